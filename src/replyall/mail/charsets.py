"""Turn mail bytes and RFC 2047 header text into str without ever losing the text."""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# Labels seen in the wild that Python's codec registry does not know or gets wrong.
# Outlook writes ks_c_5601-1987 for Korean; GB2312 mail is routinely GBK/GB18030;
# iso-8859-8-i is the "logical order" alias from RFC 1556.
_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "windows-874": "cp874",
    "tis-620": "cp874",
    "unicode-1-1-utf-7": "utf-7",
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "iso-2022-jp": "iso2022_jp_ext",
    "big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode": "utf-8",
}

# Labels that say "we don't know": decoding with them is meaningless, so detect.
_UNKNOWN = {
    "unknown-8bit", "unknown", "x-unknown", "x-user-defined", "default",
    "charset", "8bit", "binary", "none", "",
}

# WHATWG treats these labels as windows-1252: senders label cp1252 text (smart quotes
# at 0x93/0x94) as latin-1 or ascii all the time, and latin-1 would turn those bytes
# into invisible C1 controls.
_CP1252_LABELS = {"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "iso_8859-1", "l1"}


def lookup_charset(label: str | None) -> str | None:
    """Return a Python codec name for a MIME charset label, or None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = name.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    if name in _UNKNOWN:
        return None
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return None


def detect_charset(data: bytes) -> str | None:
    """Guess the charset of bytes with whatever detector is installed; None if none fits."""
    try:
        import charset_normalizer  # noqa: PLC0415 (optional and slow to import)

        best = charset_normalizer.from_bytes(data).best()
        return lookup_charset(best.encoding) if best is not None else None
    except ImportError:
        pass
    except Exception:  # a detector bug must not break ingest
        return None
    for module in ("cchardet", "chardet"):
        try:
            detector = __import__(module)
            guess = detector.detect(data) or {}
        except ImportError:
            continue
        except Exception:
            return None
        return lookup_charset(guess.get("encoding"))
    return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, list[str]]:
    """Decode bytes as text, trying the declared charset, UTF-8, detection, then cp1252.

    Returns the text and a list of defects (empty when the declared charset worked).
    """
    defects: list[str] = []
    codec = lookup_charset(declared)
    if declared and codec is None:
        defects.append(f"unknown charset {declared.strip()!r}")
    if codec in ("ascii", "latin-1", "iso8859-1") or (
        declared and declared.strip().strip("\"'").lower() in _CP1252_LABELS
    ):
        codec = "cp1252" if _has_c1(data) else codec
    if not data:
        return "", defects
    if codec is not None:
        try:
            return data.decode(codec), defects
        except (UnicodeDecodeError, LookupError):
            defects.append(f"bytes invalid in declared charset {declared!r}")
    if data.isascii():
        return data.decode("ascii"), defects
    try:
        return data.decode("utf-8"), defects
    except UnicodeDecodeError:
        pass
    worth = _worth_detecting(data)
    for attempt in ("detect", "cp1252", "detect-anyway"):
        if attempt == "cp1252":
            codec = "cp1252"
        elif (attempt == "detect") == worth:
            codec = detect_charset(data)
        else:
            continue
        if codec is None:
            continue
        try:
            return data.decode(codec), defects
        except (UnicodeDecodeError, LookupError):
            continue
    # latin-1 maps every byte, so nothing is ever dropped.
    return data.decode("latin-1"), defects


def _worth_detecting(data: bytes) -> bool:
    """Whether a charset detector beats the cp1252 default for these bytes.

    Detectors guess wildly on a few accented letters ("Caf\xe9" comes back as
    CJK or cp1250), so short mostly-ASCII Latin text goes straight to cp1252.
    Long text, or text whose letters are mostly 8-bit (Cyrillic, Greek, CJK in a
    legacy charset), is worth detecting.
    """
    high = sum(1 for b in data if b >= 0x80)
    if high >= 64:
        return True
    letters = sum(1 for b in data if 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A)
    return high >= letters


def _has_c1(data: bytes) -> bool:
    return any(0x80 <= b <= 0x9F for b in data)


def recover_8bit(value: str) -> tuple[str, bool]:
    """Undo the surrogateescape the email package uses for raw 8-bit header bytes.

    Returns the decoded text and whether raw 8-bit bytes were present (RFC 5322
    headers are ASCII; RFC 6532 allows UTF-8, older clients send latin-1/cp1252).
    """
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value, False
    raw = value.encode("utf-8", "surrogateescape")
    text, _ = decode_bytes(raw, None)
    return text, True


_ENCODED_WORD = re.compile(
    r"=\?(?P<charset>[^?\s]+)\?(?P<enc>[QqBb])\?(?P<text>[^?]*?)\?=",
)
_BETWEEN_WORDS = re.compile(r"^[ \t\r\n]*$")


def _decode_word(enc: str, text: str) -> bytes | None:
    if enc in "Bb":
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", text)
        cleaned += "=" * (-len(cleaned) % 4)
        try:
            return base64.b64decode(cleaned)
        except (binascii.Error, ValueError):
            return None
    # RFC 2047 4.2: "_" is a space in Q; decode =XX and keep any malformed escapes.
    raw = text.replace("_", " ").encode("latin-1", "replace")
    return re.sub(rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_header_value(value: object) -> tuple[str, list[str]]:
    """Unfold and decode a raw header value (RFC 2047, 8-bit), tolerating broken input.

    Handles encoded words split mid-character across words, unknown charsets, bad
    base64 padding and encoded words inside quoted strings. Returns (text, defects).
    """
    if value is None:
        return "", []
    defects: list[str] = []
    text = str(value)
    text, had_8bit = recover_8bit(text)
    if had_8bit:
        defects.append("raw 8-bit bytes in header")
    # RFC 5322 2.2.3: unfolding removes CRLF before white space.
    text = re.sub(r"\r?\n(?=[ \t])", "", text)
    text = text.replace("\r", "").replace("\n", " ")
    if "=?" not in text:
        return text, defects

    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            decoded, problems = decode_bytes(b"".join(pending), pending_charset)
            if problems:
                defects.extend(f"encoded word: {p}" for p in problems)
            out.append(decoded)
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(text):
        gap = text[pos:match.start()]
        charset = match.group("charset").split("*", 1)[0].lower()
        payload = _decode_word(match.group("enc"), match.group("text"))
        if payload is None:
            defects.append("undecodable encoded word")
            flush()
            out.append(gap + match.group(0))
            pos = match.end()
            continue
        # RFC 2047 6.2: white space between adjacent encoded words is dropped. Joining
        # the bytes of same-charset words repairs multi-byte characters split across
        # words, which many mailers do.
        if pending and _BETWEEN_WORDS.match(gap) and charset == pending_charset:
            pending.append(payload)
        else:
            if not (pending and _BETWEEN_WORDS.match(gap)):
                flush()
                out.append(gap)
            else:
                flush()
            pending, pending_charset = [payload], charset
        pos = match.end()
    flush()
    out.append(text[pos:])
    return "".join(out), defects


def clean_text(value: str) -> str:
    """Drop NULs and lone surrogates, which PostgreSQL text and UTF-8 cannot store."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = value.encode("utf-8", "replace").decode("utf-8")
    return value

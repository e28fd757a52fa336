"""Message-ID, References, Date and Outlook Thread-Index helpers (pure RFC 5322 code)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_tz

from replyall.mail.addresses import parse_address, parse_addresses
from replyall.mail.charsets import recover_8bit

__all__ = [
    "conversation_key",
    "decode_thread_index",
    "derive_message_id",
    "message_id_hash",
    "normalize_message_id",
    "parent_candidates",
    "parse_address",
    "parse_addresses",
    "parse_date",
    "parse_in_reply_to",
    "parse_references",
    "short_hash",
    "thread_index_parent",
]

DERIVED_ID_DOMAIN = "replyall.invalid"  # RFC 2606: .invalid can never collide with a real host

_BRACKETED = re.compile(r"<([^<>]*)>")
_WS = re.compile(r"\s+")
# Anything a Message-ID must not contain once brackets and white space are gone.
_JUNK = re.compile(r"[\x00-\x1f\x7f<>\"\\]")


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "surrogateescape")
    text, _ = recover_8bit(str(value))
    return text


def _clean_id(token: str) -> str | None:
    mid = _WS.sub("", token)
    mid = _JUNK.sub("", mid)
    # An id must carry some signal; "<>", "<.>" or "<-->" is junk.
    if not any(ch.isalnum() for ch in mid):
        return None
    return mid


def normalize_message_id(raw: str | None) -> str | None:
    """Return the Message-ID without angle brackets or white space; None if garbage.

    Ids without brackets are accepted (some clients and gateways drop them) and so
    are ids without "@" (HyperKitty's test data has "<msg1>").
    """
    text = _as_text(raw).strip()
    if not text:
        return None
    match = _BRACKETED.search(text)
    if match:
        return _clean_id(match.group(1))
    # No closing bracket: "<abc@host" (hyperkitty wrong-in-reply-to) or bare "abc@host".
    return _clean_id(text.lstrip("<"))


def message_id_hash(mid: str) -> str:
    """Stable 32-character URL key: base32 of the SHA-1 of the normalised id.

    Same scheme as HyperKitty's get_message_id_hash, so archive URLs can interoperate.
    """
    key = normalize_message_id(mid) or mid.strip()
    return base64.b32encode(hashlib.sha1(key.encode("utf-8", "surrogatepass")).digest()).decode("ascii")


def short_hash(mid: str, length: int = 10) -> str:
    """First ``length`` characters of message_id_hash, for compact display."""
    return message_id_hash(mid)[:length]


# Local parts of human mailboxes rarely carry digits, "$", "%" or "="; generated
# Message-IDs almost always do. Used only when the header has prose outside brackets.
_HUMAN_LOCAL = re.compile(r"^[A-Za-z][A-Za-z._'+-]{0,63}$")


def _looks_like_address(mid: str) -> bool:
    local, at, domain = mid.rpartition("@")
    return bool(at) and "." in domain and bool(_HUMAN_LOCAL.match(local))


def _extract_ids(value: object, exclude: Iterable[str] = ()) -> tuple[list[str], bool]:
    """Pull ids out of a References/In-Reply-To value; also say whether it was dodgy."""
    if isinstance(value, (list, tuple)):
        ids: list[str] = []
        dodgy = False
        for item in value:
            got, bad = _extract_ids(item, exclude)
            ids.extend(got)
            dodgy = dodgy or bad
        return _uniq(ids), dodgy
    text = _as_text(value)
    if not text.strip():
        return [], False
    skip = {e.lower() for e in exclude}
    # Old git-send-email prompted for In-Reply-To; users answered "y" or "n"
    # (public-inbox MID.pm keeps the same list).
    skip.update({"y", "n"})
    tokens = _BRACKETED.findall(text)
    outside = _BRACKETED.sub(" ", text)
    # RFC 2822 allows comments; drop them before deciding whether prose remains.
    outside = re.sub(r"\([^()]*\)", " ", outside)
    dodgy = False
    if not tokens:
        # Bare ids: "In-Reply-To: abc@host" or an unclosed "<abc@host" at the end.
        bare = [t.lstrip("<") for t in text.split() if "@" in t and not t.startswith("(")]
        tail = re.search(r"<([^<>\s]+)\s*$", text)
        tokens = [tail.group(1)] if tail else bare
        dodgy = True
        outside = "" if len(text.split()) == 1 else "prose"
    prose = bool(outside.strip())
    ids = []
    for token in tokens:
        mid = _clean_id(token)
        if mid is None or mid.lower() in skip:
            dodgy = True
            continue
        # "In-Reply-To: message from Joe <joe@example.com>" (Emacs/MH style): the
        # bracketed token is the author's address, not a Message-ID (public-inbox MID.pm).
        if prose and _looks_like_address(mid):
            dodgy = True
            continue
        ids.append(mid)
    return _uniq(ids), dodgy or prose and len(ids) != 1


def _uniq(ids: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for mid in ids:
        if mid not in seen:
            seen.add(mid)
            out.append(mid)
    return out


def parse_references(value: object, *, exclude: Iterable[str] = ()) -> list[str]:
    """Ids from a References header (str, list of str or None), in order, no duplicates.

    ``exclude`` lists addresses (e.g. From/To/Cc) that must not be taken for ids.
    """
    return _extract_ids(value, exclude)[0]


def parse_in_reply_to(value: object, *, exclude: Iterable[str] = ()) -> list[str]:
    """Ids from an In-Reply-To header, dropping the address-like tokens of prose forms."""
    return _extract_ids(value, exclude)[0]


def parent_candidates(
    in_reply_to: object,
    references: object,
    own_id: str | None,
    *,
    exclude: Iterable[str] = (),
) -> list[str]:
    """Ancestors oldest first with the best parent last, the message itself removed.

    In-Reply-To wins when it holds exactly one clean id (public-inbox trusts it over
    References because some clients reorder References). When it is dodgy (several
    ids, prose with addresses, no brackets) the last References entry is the parent.
    Both arguments accept raw header text or already-parsed lists; ``exclude`` lists
    participant addresses that must not be taken for ids.
    """
    irt, irt_dodgy = _extract_ids(in_reply_to, exclude)
    refs, _ = _extract_ids(references, exclude)
    own = normalize_message_id(own_id) if own_id else None
    if own is not None:
        irt = [m for m in irt if m != own]
        refs = [m for m in refs if m != own]
    if len(irt) == 1 and not irt_dodgy:
        parent = irt[0]
        return [m for m in refs if m != parent] + [parent]
    if len(irt) == 1 and not refs:
        return irt  # dodgy but the only clue we have
    if refs:
        return _uniq([m for m in irt if m not in refs] + refs)
    return irt


def parse_date(value: object) -> tuple[datetime | None, int | None]:
    """Parse an RFC 5322 Date into (aware UTC datetime, sender offset in minutes).

    Never raises. A missing or "-0000" zone (RFC 5322 3.3: unknown local time) gives
    UTC and offset None; so does an impossible zone such as "-3000" (HyperKitty test
    data). Two-digit years follow RFC 5322 4.3. Garbage gives (None, None).
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc), None
        offset = value.utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset is not None else None
        return value.astimezone(timezone.utc), minutes
    text = _as_text(value).strip()
    if not text:
        return None, None
    text = re.sub(r"\s+", " ", text)
    try:
        parts = parsedate_tz(text)
    except Exception:  # parsedate_tz has raised on odd input in past Pythons
        parts = None
    if parts is None:
        parts = _parse_fallback(text)
        if parts is None:
            return None, None
    else:
        parts = parts[:9] + (_zone_seconds(text, parts[9]),)
    year, month, day, hour, minute, second = parts[:6]
    tz_seconds = parts[9]
    # RFC 5322 3.3 allows second 60 (leap second); datetime does not.
    second = min(second, 59)
    if not 1970 <= year <= 9999:
        return None, None
    try:
        naive = datetime(year, month, day, hour, minute, second)
    except (ValueError, OverflowError, TypeError):
        return None, None
    if tz_seconds is None or abs(tz_seconds) >= 24 * 3600 or tz_seconds % 60:
        return naive.replace(tzinfo=timezone.utc), None
    local = naive.replace(tzinfo=timezone(timedelta(seconds=tz_seconds)))
    return local.astimezone(timezone.utc), tz_seconds // 60


_ZONE = re.compile(r"\d:\d\d(?::\d\d)?\s*(?:(?P<num>[+-]\d\d:?\d\d)|(?P<name>[A-Za-z]{1,5})\b)")
_ZONE_NAMES = {"UT", "UTC", "GMT", "Z", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT"}


def _zone_seconds(text: str, parsed: int | None) -> int | None:
    """The zone offset only when the Date really states one.

    Python 3.11's parsedate_tz reports 0 for a missing or unknown zone and for
    "-0000", which RFC 5322 3.3 defines as "no information about the local zone".
    """
    match = _ZONE.search(text)
    if not match:
        return None
    if match.group("num"):
        num = match.group("num").replace(":", "")
        if num == "-0000":
            return None
        sign = -1 if num[0] == "-" else 1
        return sign * (int(num[1:3]) * 3600 + int(num[3:5]) * 60)
    return parsed if match.group("name").upper() in _ZONE_NAMES else None


_NUMERIC_DATE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?"
    r"|(?P<d2>\d{1,2})[ ./-](?P<m2>\d{1,2})[ ./-](?P<y2>\d{4}) (?P<H2>\d{1,2}):(?P<M2>\d{2})(?::(?P<S2>\d{2}))?"
)


def _parse_fallback(text: str) -> tuple | None:
    """Numeric dates some broken mailers send ("27 6 2001 15:23:36", ISO 8601)."""
    match = _NUMERIC_DATE.search(text)
    if not match:
        return None
    g = match.groupdict()
    if g["y"]:
        y, m, d, hh, mm, ss = g["y"], g["m"], g["d"], g["H"], g["M"], g["S"]
    else:
        y, m, d, hh, mm, ss = g["y2"], g["m2"], g["d2"], g["H2"], g["M2"], g["S2"]
    zone = re.search(r"(?:Z|([+-])(\d{2}):?(\d{2}))\s*$", text[match.end():].strip() or "x")
    tz = None
    if zone and zone.group(1):
        tz = (int(zone.group(2)) * 60 + int(zone.group(3))) * 60 * (-1 if zone.group(1) == "-" else 1)
    elif zone:
        tz = 0
    return (int(y), int(m), int(d), int(hh), int(mm), int(ss or 0), 0, 1, -1, tz)


def derive_message_id(raw_bytes: bytes) -> str:
    """A stable id for a message without Message-ID: hash of From, Date, Subject, body.

    Line endings and trailing white space are normalised first, so the same message
    imported from an mbox (LF) and received over SMTP (CRLF) gets the same id.
    Returned without brackets, like normalize_message_id.
    """
    data = raw_bytes.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if data.startswith(b"From "):  # mbox From_ line is envelope, not content
        data = data.split(b"\n", 1)[1] if b"\n" in data else b""
    head, _, body = data.partition(b"\n\n")
    unfolded = re.sub(rb"\n[ \t]+", b" ", head)
    wanted = {b"from": b"", b"date": b"", b"subject": b""}
    for line in unfolded.split(b"\n"):
        name, colon, val = line.partition(b":")
        key = name.strip().lower()
        if colon and key in wanted and not wanted[key]:
            wanted[key] = b" ".join(val.split())
    body = b"\n".join(line.rstrip() for line in body.split(b"\n")).strip(b"\n")
    digest = hashlib.sha256()
    for key in (b"from", b"date", b"subject"):
        digest.update(key + b":" + wanted[key] + b"\n")
    digest.update(b"\n" + body)
    return f"{digest.hexdigest()[:32]}@{DERIVED_ID_DOMAIN}"


# Outlook Thread-Index: 22-byte header (1 reserved byte, 5 bytes of FILETIME, a
# 16-byte GUID) followed by one 5-byte block per reply ([MS-OXOMSG] 2.2.1.3).
_TI_HEADER = 22
_TI_BLOCK = 5


def decode_thread_index(value: object) -> bytes | None:
    """Decode a Thread-Index header (base64, tolerant of folding and padding); None if bad."""
    text = _as_text(value)
    cleaned = re.sub(r"[^A-Za-z0-9+/_-]", "", text).replace("-", "+").replace("_", "/")
    if not cleaned:
        return None
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        data = base64.b64decode(cleaned)
    except (binascii.Error, ValueError):
        return None
    return data if len(data) >= _TI_HEADER else None


def conversation_key(ti: bytes | str) -> str | None:
    """Hex of the first 22 bytes, shared by every message of an Outlook conversation."""
    data = decode_thread_index(ti) if isinstance(ti, str) else ti
    if not data or len(data) < _TI_HEADER:
        return None
    return data[:_TI_HEADER].hex()


def thread_index_parent(ti: bytes | str) -> bytes | None:
    """The parent's Thread-Index (child minus its last 5-byte block); None for a root."""
    data = decode_thread_index(ti) if isinstance(ti, str) else ti
    if not data or len(data) < _TI_HEADER + _TI_BLOCK:
        return None
    if (len(data) - _TI_HEADER) % _TI_BLOCK:
        return None  # truncated or not a Thread-Index: no trustworthy parent
    return data[:-_TI_BLOCK]

"""Hypothesis strategies for hostile mail: random MIME trees, broken headers, lying charsets, long lines, NULs."""

from __future__ import annotations

import base64
import quopri

from hypothesis import strategies as st

CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "koi8-r", "shift_jis", "gb2312", "big5",
            "iso-2022-jp", "utf-16", "utf-7", "x-unknown", "", "utf8mb4", "ISO-8859-15", "cp1251"]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus", ""]
TEXT_TYPES = ["text/plain", "text/html", "text/enriched", "text/calendar", "text/x-unknown"]
BINARY_TYPES = ["application/octet-stream", "image/png", "application/pdf", "application/ms-tnef",
                "message/delivery-status", "bogus", "application/"]
MULTIPART = ["mixed", "alternative", "related", "digest", "signed", "report", "x-unknown"]

# Text that exercises every decoder: scripts, emoji, control characters, surrogates' neighbours.
prose = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200
) | st.sampled_from([
    "Réponse à tous: ça marche", "Grüße aus Köln", "Привет всем", "日本語のメール", "👍 Thanks all",
    "line\x00with\x00nuls", "tab\tand\x0bvertical\x0cfeed", "\u202eright-to-left override", "\ufeffBOM first",
])


@st.composite
def header_value(draw) -> bytes:
    """A header value that may be encoded, 8-bit, broken, folded badly or far too long."""
    kind = draw(st.sampled_from(["plain", "8bit", "encoded", "broken-encoded", "long", "nul", "folded"]))
    text = draw(prose)
    if kind == "plain":
        return text.encode("ascii", "replace")
    if kind == "8bit":
        return text.encode(draw(st.sampled_from(["utf-8", "latin-1", "cp1252", "koi8-r"])), "replace")
    if kind == "encoded":
        charset = draw(st.sampled_from(["utf-8", "iso-8859-1", "x-unknown", "koi8-r"]))
        payload = base64.b64encode(text.encode("utf-8")).decode()
        return f"=?{charset}?B?{payload}?=".encode()
    if kind == "broken-encoded":
        return draw(st.sampled_from([b"=?utf-8?B?not-base64!!?=", b"=?utf-8?Q?unterminated", b"=?=?=?",
                                     b"=?iso-8859-1?q?caf=E9?= =?utf-8?b?w6k=?=", b"=?utf-8?B?4pyT?=xyz"]))
    if kind == "long":
        return ("x" * draw(st.integers(1000, 5000))).encode()  # past RFC 5322's 998 octets, unfolded
    if kind == "nul":
        return text.encode("utf-8") + b"\x00" + text.encode("utf-8")
    return b"a\r\n\r\n b" if draw(st.booleans()) else b"folded\r\n \r\n\tend"


@st.composite
def leaf(draw) -> tuple[list[bytes], bytes]:
    """A single part: headers (lines) and a body, with declared and actual encodings that may disagree."""
    binary = draw(st.booleans()) and draw(st.booleans())
    ctype = draw(st.sampled_from(BINARY_TYPES if binary else TEXT_TYPES))
    declared = draw(st.sampled_from(CHARSETS))
    actual = draw(st.sampled_from(["utf-8", "latin-1", "cp1252", "koi8-r", "shift_jis", "utf-16"]))
    cte = draw(st.sampled_from(ENCODINGS))
    if binary:
        body = draw(st.binary(max_size=300))
    else:
        body = draw(prose).encode(actual, "replace")
        if ctype == "text/html":
            body = b"<html><body><p>" + body + b"</p><script>x()</script></body></html>"
    if cte == "base64":
        body = base64.encodebytes(body) if draw(st.booleans()) else base64.b64encode(body)[:-1] + b"!"
    elif cte == "quoted-printable":
        body = quopri.encodestring(body) + (b"=\r\n=ZZ" if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        body += b"\r\n" + b"y" * draw(st.integers(998, 4000))  # an overlong line
    params = f'; charset="{declared}"' if declared and not binary else ""
    if draw(st.booleans()):
        params += f'; name="{draw(prose)[:40]}"'
    heads = [f"Content-Type: {ctype}{params}".encode("utf-8", "surrogateescape")]
    if cte:
        heads.append(f"Content-Transfer-Encoding: {cte}".encode())
    if draw(st.booleans()):
        heads.append(b"Content-Disposition: attachment; filename*=utf-8''" + draw(prose).encode("utf-8")[:60])
    return heads, body


def _render(node, draw_boundary: str, depth: int = 0) -> tuple[list[bytes], bytes]:
    if len(node) == 2:  # a leaf: (header lines, body)
        return node
    subtype, children, close, preamble = node
    boundary = f"{draw_boundary}{depth}"
    chunks = [preamble]
    for child in children:
        heads, body = _render(child, draw_boundary, depth + 1)
        chunks.append(b"--" + boundary.encode() + b"\r\n" + b"\r\n".join(heads) + b"\r\n\r\n" + body + b"\r\n")
    if close:
        chunks.append(b"--" + boundary.encode() + b"--\r\n")
    return [f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode()], b"".join(chunks)


mime_tree = st.recursive(
    leaf(),
    lambda children: st.tuples(
        st.sampled_from(MULTIPART), st.lists(children, min_size=0, max_size=4), st.booleans(),
        st.sampled_from([b"", b"This is a multi-part message in MIME format.\r\n", b"--not-a-boundary\r\n"]),
    ),
    max_leaves=8,
)


MID = b"__MID__"  # replaced by a fresh Message-ID per example, so examples never dedupe each other


@st.composite
def hostile_message(draw) -> bytes:
    """A whole message: top headers (some broken), a MIME tree, line endings CRLF, bare LF or mixed."""
    heads = [
        b"From: " + draw(header_value()) + b" <fuzz@sender.test>",
        b"To: comms-network@archive.example.org",
        b"Subject: " + draw(header_value()),
        b"Date: " + draw(st.sampled_from([b"Thu, 19 Nov 2026 10:00:00 +0000", b"yesterday", b"",
                                          b"Thu, 31 Feb 2026 25:61:61 +9999", b"Mon, 1 Jan 0001 00:00:00 -0000"])),
        b"Message-ID: <" + MID + b">",
    ]
    if draw(st.booleans()):
        heads.append(b"References: " + draw(st.sampled_from([b"<a@b> <c@d>", b"garbage <<<", b"<" + b"r" * 2000 + b"@x>"])))
    extra = draw(st.lists(st.tuples(st.sampled_from([b"X-Fuzz", b"Received", b"Content-Type", b"MIME-Version",
                                                     b"Thread-Index", b"No colon here", b"\xff\xfe"]),
                                    header_value()), max_size=4))
    heads += [name + (b": " if name != b"No colon here" else b" ") + value for name, value in extra]
    deep = draw(st.integers(0, 3)) == 0
    tree = draw(mime_tree)
    if deep:  # nesting far beyond any real mail client
        for _ in range(draw(st.integers(20, 80))):
            tree = ("mixed", [tree], True, b"")
    part_heads, body = _render(tree, draw(st.sampled_from(["b", "=_Part_", "----=_NextPart_000_0001", "x y"])))
    raw = b"\r\n".join(heads + [b"MIME-Version: 1.0"] + part_heads) + b"\r\n\r\n" + body
    ending = draw(st.sampled_from(["crlf", "lf", "mixed"]))
    if ending == "lf":
        raw = raw.replace(b"\r\n", b"\n")
    elif ending == "mixed":
        raw = raw.replace(b"\r\n\r\n", b"\n\r\n", 1)
    return raw

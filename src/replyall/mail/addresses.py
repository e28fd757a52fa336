"""Tolerant From/To/Cc parsing into (display name, address) pairs with decoded names."""

from __future__ import annotations

import re

from replyall.mail.charsets import clean_text, decode_header_value, recover_8bit

__all__ = ["normalize_address", "parse_address", "parse_addresses"]

# Pipermail and other archives obfuscate "user@host" as "user at host"; HyperKitty's
# test data carries such From lines.
_OBFUSCATED = re.compile(r"^([^\s@<>()\",]+) at ([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?=$|[\s(])")
_GROUP_PREFIX = re.compile(r'^\s*([^"<>@:()=]*):(?!//)')


def _split_top_level(text: str) -> list[str]:
    """Split on "," and ";" outside quotes, comments and angle brackets (RFC 5322 3.4)."""
    chunks: list[str] = []
    buf: list[str] = []
    quote = escape = False
    paren = angle = 0
    for ch in text:
        if escape:
            escape = False
        elif ch == "\\":
            escape = True
        elif quote:
            quote = ch != '"'
        elif ch == '"':
            quote = True
        elif ch == "(":
            paren += 1
        elif ch == ")" and paren:
            paren -= 1
        elif ch == "<" and not paren:
            angle += 1
        elif ch == ">" and angle:
            angle -= 1
        elif ch in ",;" and not (paren or angle):
            chunks.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    chunks.append("".join(buf))
    return chunks


def _unquote(name: str) -> str:
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        name = re.sub(r"\\(.)", r"\1", name[1:-1])
    elif len(name) >= 2 and name[0] == name[-1] == "'":
        name = name[1:-1]  # Outlook: 'Joe Bloggs' <joe@example.com>
    return name.strip()


def normalize_address(addr: str) -> str:
    """Strip brackets, "mailto:" and white space; lower-case the domain only.

    RFC 5321 2.4: the local part may be case-sensitive, the domain is not.
    """
    addr = addr.strip().strip("<>").strip()
    if addr.lower().startswith("mailto:"):
        addr = addr[7:]
    addr = re.sub(r"\s+", "", addr)
    local, at, domain = addr.rpartition("@")
    if not at:
        return addr
    return f"{local}@{domain.lower().rstrip('.')}"


def _mask_quoted(text: str) -> str:
    """The text with the insides of quoted strings and comments blanked, same length."""
    out: list[str] = []
    quote = escape = False
    paren = 0
    for ch in text:
        if escape:
            escape = False
            out.append("_")
            continue
        if ch == "\\" and (quote or paren):
            escape = True
            out.append("_")
        elif quote:
            quote = ch != '"'
            out.append(ch if not quote else "_")
        elif ch == '"':
            quote = True
            out.append(ch)
        elif ch == "(":
            paren += 1
            out.append(ch)
        elif ch == ")" and paren:
            paren -= 1
            out.append(ch)
        else:
            out.append("_" if paren else ch)
    return "".join(out)


def _parse_chunk(chunk: str) -> tuple[str, str] | None:
    chunk = chunk.strip()
    group = _GROUP_PREFIX.match(chunk)
    if group and "=?" not in group.group(1):
        chunk = chunk[group.end():].strip()  # RFC 5322 group: "team: a@x, b@y;"
    if not chunk:
        return None
    if "@" not in chunk:
        chunk = _OBFUSCATED.sub(r"\1@\2", chunk)
    # The angle-addr is the last <...> outside quoted strings and comments (RFC 5322 3.4):
    # Exchange writes names such as "Doe, Jane <Comms>" <jane@x>, whose first <...> is no address.
    brackets = list(re.finditer(r"<([^<>]*)>|<([^<>]*)$", _mask_quoted(chunk)))
    bracket = brackets[-1] if brackets else None
    if bracket:
        addr = chunk[bracket.start() + 1: bracket.end() - (1 if bracket.group(1) is not None else 0)]
        name = chunk[: bracket.start()] + " " + chunk[bracket.end():]
    else:
        words = re.findall(r'"[^"]*"|\([^()]*\)|[^\s()"]+', chunk)
        at_words = [w for w in words if "@" in w and not w.startswith(("(", '"'))]
        if at_words:
            addr = at_words[0]
            rest = list(words)
            rest.remove(addr)
            name = " ".join(rest)
        elif len(words) == 1 and re.fullmatch(r"[A-Za-z0-9._+-]+", words[0]):
            addr, name = words[0], ""  # local-only mailbox such as MAILER-DAEMON
        else:
            addr, name = "", chunk
    # Comments outside quotes only: "Doe, Jane (Comms)" keeps its parentheses.
    spans = [m.span() for m in re.finditer(r"\([^()]*\)", _mask_quoted(name))]
    comments = [name[a + 1: b - 1] for a, b in spans]
    starts, ends = [0] + [end for _, end in spans], [start for start, _ in spans] + [len(name)]
    bare = "".join(name[a:b] for a, b in zip(starts, ends))
    bare = " ".join(bare.split()) if spans else name.strip()
    name = bare or (comments[0] if comments else "")
    name, _ = decode_header_value(_unquote(name))
    name = clean_text(" ".join(_unquote(name).split()))
    addr = clean_text(normalize_address(addr))
    if not addr and not name:
        return None
    if name.strip().lower() == addr.lower():
        name = ""  # "joe@x.com <joe@x.com>" carries no name
    return name, addr


def parse_addresses(value: object) -> list[tuple[str, str]]:
    """Parse an address-list header into [(name, address)], never raising.

    Names are RFC 2047-decoded even inside quotes (non-compliant but common) and when
    raw 8-bit. Domains are lower-cased. Entries with neither name nor address are
    dropped; a bare phrase with no address yields (phrase, "").
    """
    if value is None:
        return []
    text, _ = recover_8bit(str(value))
    text = re.sub(r"\r?\n(?=[ \t])", "", text).replace("\r", " ").replace("\n", " ")
    out: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for chunk in _split_top_level(text):
        try:
            pair = _parse_chunk(chunk)
        except Exception:  # hostile input must never stop ingest
            pair = None
        if pair is not None and pair not in seen:
            seen.add(pair)
            out.append(pair)
    return out


def parse_address(value: object) -> tuple[str, str] | None:
    """The first mailbox of a From/Sender header, preferring one with an address."""
    pairs = parse_addresses(value)
    for pair in pairs:
        if "@" in pair[1]:
            return pair
    return pairs[0] if pairs else None


# A list that rewrites From to pass DMARC names the author "Ann Smith via Comms"
# (Mailman 2.1 and 3) or "'Ann Smith' via Comms" (Google Groups) at the list's address.
_VIA = re.compile(r"^\s*(?P<q>['\"]?)(?P<name>.+?)(?P=q)\s+via\s+\S.*$", re.I)


def original_author(
    from_: tuple[str, str] | None,
    *,
    original_from: tuple[str, str] | None = None,
    original_sender: str | None = None,
    others: tuple[tuple[str, str], ...] = (),
) -> tuple[str, str] | None:
    """The author behind a From a list rewrote, else `from_` itself.

    Lists that rewrite From keep the author elsewhere: X-Original-From (Google
    Groups), Reply-To or Cc (Mailman), X-Original-Sender (the address alone, Google
    Groups). A candidate from Reply-To or Cc (`others`) counts only when it bears the
    name the list wrote before "via", so a list's own Reply-To is never taken for its author.
    """
    if from_ is None:
        return None
    m = _VIA.match(from_[0])
    if not m:
        return from_
    list_address = from_[1].lower()
    if original_from and "@" in original_from[1] and original_from[1].lower() != list_address:
        return original_from
    name = m.group("name").strip()
    for cand_name, cand_addr in others:
        if "@" in cand_addr and cand_addr.lower() != list_address and name.casefold() in (
            cand_name.strip().casefold(), cand_addr.casefold()
        ):
            return cand_name or name, cand_addr
    if original_sender and "@" in original_sender and original_sender.lower() != list_address:
        return name, original_sender
    return from_

"""Undo the link rewriting of mail gateways, so readers see (and search finds) the real address.

Microsoft 365 Safe Links, Proofpoint URL Defense and Google's redirector replace
every link in a message with one of their own. The rewritten link is long, says
nothing to a reader, and Safe Links carry the recipient's own e-mail address in
their `data` parameter: an archive that showed them would publish the address of
everyone whose copy it kept, past its address obfuscation. The original address is
inside the rewritten one; we put it back. Mimecast's links are opaque tokens and
stay as they are.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["unwrap_links"]

_URL = re.compile(r"https?://[^\s<>\"'()\[\]]+", re.I)
# Cheap test before the regex: most text holds none of these.
_HOSTS = ("safelinks.protection.outlook.com", "urldefense.proofpoint.com", "urldefense.com", "google.com/url?")


def _safelinks(parts, query: dict[str, list[str]]) -> str | None:
    if parts.hostname and parts.hostname.endswith(".safelinks.protection.outlook.com"):
        return query.get("url", [None])[0]
    return None


def _google(parts, query: dict[str, list[str]]) -> str | None:
    if parts.hostname in ("www.google.com", "google.com") and parts.path == "/url":
        return (query.get("q") or query.get("url") or [None])[0]
    return None


def _proofpoint_v2(parts, query: dict[str, list[str]]) -> str | None:
    # v2: u=https-3A__www.example.com_path  ("-" stands for "%", "_" for "/")
    if parts.hostname == "urldefense.proofpoint.com" and parts.path.startswith("/v2/url"):
        encoded = query.get("u", [None])[0]
        if encoded:
            return unquote(encoded.replace("-", "%").replace("_", "/"))
    return None


_PROOFPOINT_V3 = re.compile(r"^https://urldefense\.com/v3/__(?P<url>.+?)__;[^\s]*$")


def _proofpoint_v3(url: str) -> str | None:
    # v3: https://urldefense.com/v3/__<url>__;<base64 of replaced characters>!!<tokens>$
    # A "*" in <url> marks a character kept in the base64 part; those we leave alone.
    m = _PROOFPOINT_V3.match(url)
    if m and "*" not in m.group("url") and _complete(m.group("url")):
        return m.group("url")
    return None


def _complete(url: str) -> bool:
    """A whole web or mail link (a rewritten link cut by line wrapping holds half of one)."""
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https", "ftp"):
        return bool(parts.hostname) and "." in parts.hostname
    return parts.scheme.lower() == "mailto" and "@" in parts.path


def _original(url: str) -> str | None:
    v3 = _proofpoint_v3(url)
    if v3 is not None:
        return v3
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    for rule in (_safelinks, _google, _proofpoint_v2):
        found = rule(parts, query)
        if found and _complete(found):
            return found
    return None


# The recipient in a Safe Links `data` value ("05%7C02%7Cjo.bloggs%40anytown.gov.uk%7C..."),
# also when line wrapping has cut it off its link, which then cannot be unwrapped.
_RECIPIENT = re.compile(r"(?<=%7C)[A-Za-z0-9._+-]+%40[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?=%7C)", re.I)


def unwrap_links(text: str) -> str:
    """Every Safe Links / URL Defense / Google redirect link in `text` replaced by the link it wraps.

    What is left of a Safe Link (one cut in two by line wrapping) loses the
    recipient's address it carries.
    """
    if not text:
        return ""
    if any(h in text for h in _HOSTS):
        text = _URL.sub(_replace, text)
    # Not only next to the host: wrapping may have cut the host itself in two.
    return _RECIPIENT.sub("", text) if "%40" in text and ("%7C" in text or "%7c" in text) else text


def _replace(m: re.Match[str]) -> str:
    url = m.group(0)
    core = url.rstrip(".,;:!?")  # prose punctuation after a link is not part of it
    original = _original(core)
    return url if original is None else original + url[len(core):]

"""Learn the blocks several senders repeat at the top or bottom of their mail (per archive).

A council's disclaimer, a trust's "please consider the environment", a gateway's
banner: nobody writes them, everybody's mail carries them. The learner records the
candidate blocks of each message and calls a block boilerplate once enough distinct
senders have sent it; find_disclaimer and find_banner then treat it as a footer or banner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from replyall.cleaning import patterns as P
from replyall.cleaning.disclaimer import any_quoted, fingerprint, paragraphs

__all__ = ["ARCHIVE_SCOPE", "BoilerplateLearner", "BoilerplateStore", "MemoryBoilerplateStore", "domain_of"]


class BoilerplateStore(Protocol):
    """Where sightings of candidate blocks are kept (a DB table in production)."""

    def record(self, scope: str, fingerprint: str, sender: str, sample: str) -> None:
        """Note that `sender` sent a block with this fingerprint in this scope (idempotent)."""

    def sender_count(self, scope: str, fingerprint: str) -> int:
        """How many distinct senders sent this block in this scope."""


@dataclass
class MemoryBoilerplateStore:
    """In-memory BoilerplateStore, for tests and one-shot CLI runs."""

    seen: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)

    def record(self, scope: str, fingerprint: str, sender: str, sample: str) -> None:
        self.seen.setdefault((scope, fingerprint), set()).add(sender)
        self.samples.setdefault(fingerprint, sample)

    def sender_count(self, scope: str, fingerprint: str) -> int:
        return len(self.seen.get((scope, fingerprint), ()))


ARCHIVE_SCOPE = "*"

# Public mail services: their users share a domain but no organisation, so no
# footer of theirs is the domain's. Two Gmail users quoting the same paragraph, or
# greeting a list the same way, must not teach the domain a footer; such blocks
# still count across the archive, where it takes more senders.
SHARED_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.co.uk", "live.com", "live.co.uk",
    "msn.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com",
    "protonmail.com", "proton.me", "gmx.de", "gmx.net", "gmx.com", "web.de", "mail.ru", "yandex.ru",
    "qq.com", "163.com", "126.com", "btinternet.com", "sky.com", "virginmedia.com", "fastmail.com",
})
_WORD = re.compile(r"[^\W\d_]{2,}")


def domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().strip(">").lower() or None


@dataclass
class BoilerplateLearner:
    """Learns blocks that several senders repeat at the top or bottom of their mail.

    A block seen from `domain_senders` distinct senders of one domain, or from
    `archive_senders` distinct senders anywhere in the archive, is boilerplate.
    One person's repeated block is their signature, not boilerplate. A block must
    say something (`min_words` words): a greeting ("Dear Jailhouse community,") or
    a git "From: Name <address>" line that several people send is not a footer.
    Quoted lines are never learned: the same quote in several replies is history.
    """

    store: BoilerplateStore
    domain_senders: int = 2
    archive_senders: int = 3
    tail_paragraphs: int = 3
    min_chars: int = 20
    min_words: int = 6

    def _learnable(self, block: list[str]) -> bool:
        text = " ".join(block).strip()
        if len(text) < self.min_chars or len(_WORD.findall(P.RE_EMAIL.sub(" ", text))) < self.min_words:
            return False
        return not any_quoted(block)

    def candidates(self, lines: list[str], end: int | None = None) -> list[list[str]]:
        """Blocks worth remembering: the first paragraph and the last few before `end`."""
        end = len(lines) if end is None else end
        paras = paragraphs(lines, 0, end)
        picked = paras[:1] + paras[1:][-self.tail_paragraphs:]
        return [lines[a:b] for a, b in picked if self._learnable(lines[a:b])]

    def observe(self, text: str, from_address: str | None) -> None:
        """Record the candidate blocks of one message's reply part (quote already cut)."""
        if not from_address:
            return
        sender = from_address.strip().lower()
        domain = domain_of(sender)
        for block in self.candidates(text.splitlines()):
            fp = fingerprint(block)
            sample = "\n".join(block)
            self.store.record(ARCHIVE_SCOPE, fp, sender, sample)
            if domain and domain not in SHARED_DOMAINS:
                self.store.record("domain:" + domain, fp, sender, sample)

    def is_boilerplate(self, block: list[str], domain: str | None) -> bool:
        if not self._learnable(block):
            return False
        fp = fingerprint(block)
        shared = domain is None or domain in SHARED_DOMAINS
        if not shared and self.store.sender_count("domain:" + domain, fp) >= self.domain_senders:
            return True
        return self.store.sender_count(ARCHIVE_SCOPE, fp) >= self.archive_senders

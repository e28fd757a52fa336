"""Split a message body into what the author wrote, the quote, the signature and the disclaimer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from replyall.cleaning.boilerplate import domain_of
from replyall.cleaning.disclaimer import BoilerplateMatcher, find_banner, find_disclaimer
from replyall.cleaning.html_quotes import QUOTE_END, QUOTE_MARK, SIGNATURE_MARK, html_to_marked_text
from replyall.cleaning import patterns as P
from replyall.cleaning.quotes import (
    QUOT_PATTERN, find_quote, forward_banner, forward_header, is_splitter_at, signs_off, split_inline_headers,
)
from replyall.cleaning.signature import find_signature, says_something
from replyall.mail.links import unwrap_links

__all__ = ["BODY", "QUOTE", "SIGNATURE", "DISCLAIMER", "Cleaned", "clean_text"]

BODY, QUOTE, SIGNATURE, DISCLAIMER = "body", "quote", "signature", "disclaimer"
_MAX_LINES = 5000


@dataclass(frozen=True)
class Cleaned:
    """The parts of one body. `parts` keeps every line of `original`, labelled, in order.

    body, quote, signature and disclaimer are the lines of each label joined by
    newlines and stripped; together they hold every character of `original`
    except whitespace at part boundaries.
    """

    body: str
    quote: str
    signature: str
    disclaimer: str
    original: str
    parts: tuple[tuple[str, str], ...] = ()

    def text(self, *labels: str) -> str:
        """The lines carrying any of `labels`, in their original order (e.g. body + signature)."""
        return "\n".join(t for label, t in self.parts if label in labels).strip()

    def as_dict(self) -> dict[str, str]:
        return {"body": self.body, "quote": self.quote, "signature": self.signature, "disclaimer": self.disclaimer}


def _label_lines(
    lines: list[str],
    quote_from: int | None,
    *,
    from_address: str | None,
    boilerplate: BoilerplateMatcher | None,
    use_ml: bool,
    cache_dir: Path | None,
    quote_to: int | None = None,
) -> list[str]:
    if quote_from is not None and quote_to is not None:
        # HTML markup closed the quote and text follows it: above it as usual, then
        # either the reply written below the quote, or the signature and footer of a
        # reply written above it (or an answer between quotes, which stays body).
        kw = dict(from_address=from_address, boilerplate=boilerplate, use_ml=use_ml, cache_dir=cache_dir)
        labels = _label_lines(lines[:quote_from], quote_from, **kw) + [QUOTE] * (quote_to - quote_from)
        labels += [BODY] * (len(lines) - quote_to)
        domain = domain_of(from_address)
        end = _history_below(lines, labels, quote_to, domain, boilerplate, from_address, use_ml, cache_dir)
        if any(lines[i].strip() for i in range(quote_from)):
            _label_tail(lines, labels, quote_to, end, domain, boilerplate, from_address, use_ml, cache_dir)
            return labels
        return _label_reply(lines, labels, quote_to, end, domain, boilerplate, from_address, use_ml, cache_dir)
    labels = [BODY] * len(lines)
    end = len(lines) if quote_from is None else quote_from
    domain = domain_of(from_address)
    span = find_quote(lines[:end])
    head = forward_header(lines[:end]) if span is None and quote_from is None else None
    if head is not None:  # only a forward: its headers are quote, what it says is the content
        for i in range(head.start, head.end):
            labels[i] = QUOTE
        return _label_reply(lines, labels, head.end, end, domain, boilerplate, from_address, use_ml, cache_dir)
    if span is not None and not any(lines[i].strip() for i in range(span.start)) and quote_from is None:
        # Nothing above and nothing below: a message forwarded or pasted without a
        # note. Its header lines are the quote; what it says is the content.
        n = is_splitter_at(lines, span.start)
        header = lines[span.start]
        quoted = QUOT_PATTERN.match(header) and not P.RE_GROUPWISE.match(header)
        if n and not any(lines[i].strip() for i in range(span.end, end)) and not quoted:
            lo = span.start + n
            for i in range(span.start, lo):
                labels[i] = QUOTE
            inner = find_quote(lines[lo:end])  # the history it carries is still history
            hi = end if inner is None else lo + inner.start
            for i in range(hi, len(lines)):
                labels[i] = QUOTE
            _label_trailer(lines, labels, hi, domain, boilerplate)
            return _label_reply(lines, labels, lo, hi, domain, boilerplate, from_address, use_ml, cache_dir)
    if span is not None:
        for i in range(span.start, span.end):
            labels[i] = QUOTE
        tail_after = span.end < end and any(lines[i].strip() for i in range(span.end, end))
        if not tail_after:
            end = span.start
        elif any(lines[i].strip() for i in range(span.start)):
            _label_tail(lines, labels, span.end, end, domain, boilerplate, from_address, use_ml, cache_dir)
    for i in range(end, len(lines)):
        labels[i] = QUOTE
    _label_trailer(lines, labels, end, domain, boilerplate)
    # The reply proper is the text above the quote; in a bottom-posted reply
    # (quote first, answer below) it is the text after the quoted block.
    lo, hi = 0, end
    if span is not None:
        hi = span.start
        if not any(lines[i].strip() for i in range(0, hi)) and span.end < end:
            lo, hi = span.end, end
    return _label_reply(lines, labels, lo, hi, domain, boilerplate, from_address, use_ml, cache_dir)


def _label_tail(lines: list[str], labels: list[str], lo: int, hi: int, domain: str | None,
                boilerplate: BoilerplateMatcher | None, from_address: str | None, use_ml: bool,
                cache_dir: Path | None) -> None:
    """Text below the quote of a top-posted reply: a list footer, the author's "-- " signature,
    or an answer written below the quote ("Hi Ann,", quote, answer), which stays body and
    ends, like any reply, in its author's signature.
    """
    first = next(i for i in range(lo, hi) if lines[i].strip())
    cut = find_disclaimer(lines, lo, hi, domain=domain, learned=boilerplate, allow_first=True)
    if cut is not None and cut <= first:
        for i in range(lo, hi):
            labels[i] = DISCLAIMER
        return
    end = hi if cut is None else cut
    sig: int | None = first
    if not P.RE_SIG_DASHES.match(lines[first]):
        found = find_signature(lines[first:end], sender=from_address, use_ml=use_ml, cache_dir=cache_dir)
        # At 0 it would be all the answer says, unless that is only a sign-off ("Thanks, Ann"),
        # as under the history an interleaved reply leaves below its last answer.
        sig = first + found if found else first if signs_off(lines[first:end]) else None
    if sig is not None:
        for i in range(sig, end):
            labels[i] = SIGNATURE
    if cut is not None:
        _label_footer(lines, labels, cut, hi)


def _history_below(lines: list[str], labels: list[str], lo: int, domain: str | None,
                   boilerplate: BoilerplateMatcher | None, from_address: str | None, use_ml: bool,
                   cache_dir: Path | None) -> int:
    """Label as quote the plain-text history below the answers that follow a marked quote.

    HTML marks the first quote; an interleaved reply quotes again below it, as ">" lines,
    and an Outlook header block may stand unmarked under the last answer. What ends the
    answers (where the history starts, or the end of the text) is returned.
    """
    below = find_quote(lines[lo:], quoted_above=True)
    if below is None or not any(lines[i].strip() for i in range(lo, lo + below.start)):
        return len(lines)
    start, stop = lo + below.start, lo + below.end
    labels[start:stop] = [QUOTE] * (stop - start)
    if any(lines[i].strip() for i in range(stop, len(lines))):
        _label_tail(lines, labels, stop, len(lines), domain, boilerplate, from_address, use_ml, cache_dir)
    else:
        _label_trailer(lines, labels, start, domain, boilerplate)
    return start


def _footer_label(line: str) -> str:
    # History quoted under the reply, or the quote that carried a list footer: still quote.
    return QUOTE if QUOT_PATTERN.match(line) else DISCLAIMER


def _label_footer(lines: list[str], labels: list[str], start: int, end: int, offset: int = 0) -> None:
    """Label lines[start:end] (labels[offset + i]) as a footer: disclaimer, but quoted lines
    stay quote, and so do the blank lines between two of them, or the joined quote would
    lose the gap between its paragraphs."""
    previous: int | None = None  # the last non-blank line seen
    for i in range(start, end):
        labels[offset + i] = label = _footer_label(lines[i])
        if not lines[i].strip():
            continue
        if label == QUOTE and previous is not None and labels[offset + previous] == QUOTE:
            for j in range(previous + 1, i):
                labels[offset + j] = QUOTE
        previous = i


def _label_reply(lines: list[str], labels: list[str], lo: int, hi: int, domain: str | None,
                 boilerplate: BoilerplateMatcher | None, from_address: str | None, use_ml: bool,
                 cache_dir: Path | None) -> list[str]:
    """Label the banner, disclaimer and signature of the reply proper, lines[lo:hi]."""
    region = lines[lo:hi]
    top = find_banner(region, len(region), domain=domain, learned=boilerplate)
    # Text that opens with "-- " has no reply above its footer (mail whose content
    # is its attachments): then the first paragraph may be the footer too.
    first = next((i for i in range(top, len(region)) if region[i].strip()), None)
    bare = first is not None and P.RE_SIG_DASHES.match(region[first]) is not None
    cut = find_disclaimer(region, top, len(region), domain=domain, learned=boilerplate, allow_first=bare)
    if boilerplate is not None and not says_something(region[top:cut]):
        # Learned blocks never take the whole message: in a reply-all storm many
        # people send the same plea ("Please remove me from this list"), which the
        # learner sees from several senders; when it is all a message says, it is
        # the message, not boilerplate.
        top = find_banner(region, len(region), domain=domain)
        cut = find_disclaimer(region, top, len(region), domain=domain, allow_first=bare)
    for i in range(top):
        labels[lo + i] = DISCLAIMER
    reply_end = len(region)
    if cut is not None:
        _label_footer(region, labels, cut, reply_end, offset=lo)
        reply_end = cut
    # A forwarded message under a note is content, but its header lines and its
    # author's sign-off are not this sender's signature: look above the banner only.
    banner = forward_banner(region[:reply_end])
    if banner is not None:
        reply_end = banner
    sig = find_signature(region[:reply_end], sender=from_address, use_ml=use_ml, cache_dir=cache_dir)
    if sig is not None and sig >= top and any(region[i].strip() for i in range(top, sig)):
        for i in range(sig, reply_end):
            labels[lo + i] = SIGNATURE
    return labels


def _label_trailer(lines: list[str], labels: list[str], lo: int, domain: str | None,
                   boilerplate: BoilerplateMatcher | None) -> None:
    """The footer below history quoted to the end (lines[lo:]) is disclaimer, not quote.

    Mail systems and marking tools append the sender's notice ("OFFICIAL", NHSmail's
    or a council's) below everything, the history an Outlook reply quotes included.
    The quoted message's own notice may stand right above it and goes with it: both
    are notices, and neither is history worth reading. The first paragraph (the
    header that opens the history) never is.
    """
    if lo >= len(lines):
        return
    cut = find_disclaimer(lines, lo, len(lines), domain=domain, learned=boilerplate)
    if cut is not None:
        _label_footer(lines, labels, cut, len(lines))


def _answers_inside(lines: list[str], labels: list[str]) -> None:
    """Relabel as body the quoted message the author answered inside.

    "My answers are below in red": Outlook users type their answers into the message
    they quote, under its header block, where the quote rules would hide them. The
    header stays quote; the message below it, down to the next header or ">" line
    (older history), is the author's content. Replies interleaved with ">" quotes
    are kept whole already.
    """
    start = next((i for i, label in enumerate(labels) if label == QUOTE), None)
    if start is None:
        return
    above = "\n".join(lines[i] for i in range(start) if labels[i] in (BODY, SIGNATURE))
    if not P.says_answers_inside(above):
        return
    while start < len(lines) and labels[start] == QUOTE and (
            not lines[start].strip() or P.RE_SEPARATOR.match(lines[start]) or lines[start].strip() == "---"):
        start += 1  # the rule Outlook draws above the header
    if start >= len(lines) or labels[start] != QUOTE or QUOT_PATTERN.match(lines[start]):
        return
    n = is_splitter_at(lines, start)
    if not n:
        return
    stop = start + n
    while stop < len(lines) and labels[stop] == QUOTE and not QUOT_PATTERN.match(lines[stop]) and not (
            lines[stop].strip() and is_splitter_at(lines, stop)):
        stop += 1
    # The answered message's own notice at its foot stays out of the body.
    cut = find_disclaimer(lines, start + n, stop)
    stop = stop if cut is None else cut
    if any(lines[i].strip() for i in range(start + n, stop)):
        labels[start + n : stop] = [BODY] * (stop - start - n)


def _marked_signature(lines: list[str], labels: list[str], start: int | None) -> None:
    """The client's own signature markup starts the signature, unless the rules found it higher.

    Gmail's "gmail_signature", Outlook's "_MailAutoSig" bookmark and "Signature" div,
    Thunderbird's "moz-signature": a card whose long links or odd lines the text rules
    may miss. It runs down to the quote or the footer; some reply must stay above it.
    """
    if start is None or start >= len(lines) or labels[start] not in (BODY, SIGNATURE):
        return
    if not any(labels[i] == BODY and lines[i].strip() for i in range(start)):
        return
    for i in range(start, len(lines)):
        if labels[i] not in (BODY, SIGNATURE):
            break
        labels[i] = SIGNATURE


def _group(lines: list[str], labels: list[str]) -> tuple[tuple[str, str], ...]:
    parts: list[tuple[str, str]] = []
    for line, label in zip(lines, labels):
        if parts and parts[-1][0] == label:
            parts[-1] = (label, parts[-1][1] + "\n" + line)
        else:
            parts.append((label, line))
    return tuple(parts)


def clean_text(
    text: str,
    *,
    html: str | None = None,
    from_address: str | None = None,
    boilerplate: BoilerplateMatcher | None = None,
    use_ml: bool = True,
    cache_dir: Path | None = None,
    pictures: Mapping[str, str] | None = None,
) -> Cleaned:
    """Clean one message body.

    `text` is the text/plain body; when `html` is given (and renders to some text)
    the HTML is used instead, because its markup marks quotes reliably, and
    `original` is its rendering. `from_address` helps the signature classifier
    and scopes learned boilerplate to the sender's domain. `boilerplate` is a
    BoilerplateLearner (or anything with `is_boilerplate(block, domain)`).
    `pictures` names the message's Content-ID pictures for their marks in the HTML's
    rendering (ParsedMessage.pictures). Pure: nothing is learned or written here,
    except the signature model cache.
    """
    quote_from: int | None = None
    quote_to: int | None = None
    source = text or ""
    if html and html.strip():
        rendered, marked = html_to_marked_text(html, pictures)
        if rendered.replace(QUOTE_MARK, "").replace(QUOTE_END, "").replace(SIGNATURE_MARK, "").strip():
            source = rendered
            if marked:
                # Each mark stands on a line of its own, left empty when it is removed.
                before, _, rest = rendered.partition(QUOTE_MARK)
                quote_from = before.count("\n")
                quoted, closed, _ = rest.partition(QUOTE_END)
                if closed:
                    quote_to = quote_from + quoted.count("\n")
                source = rendered.replace(QUOTE_MARK, "").replace(QUOTE_END, "")
    # Gateways' rewritten links carry the recipient's address; show the real link.
    source = unwrap_links(source).replace("\r\n", "\n").replace("\r", "\n")
    lines = source.split("\n")
    if quote_from is None:
        lines = split_inline_headers(lines)
    else:
        # The rule drawn above a marked quote (<hr>, "____") belongs to the quote.
        k = quote_from - 1
        while k >= 0 and not lines[k].strip():
            k -= 1
        if k >= 0 and (P.RE_SEPARATOR.match(lines[k]) or lines[k].strip() == "---"):
            quote_from = k
    # The signature the client marked (Gmail, Outlook, Thunderbird), on a line of its own.
    sig_from = next((i for i, line in enumerate(lines) if SIGNATURE_MARK in line), None)
    if sig_from is not None:
        lines[sig_from] = lines[sig_from].replace(SIGNATURE_MARK, "")
        source = source.replace(SIGNATURE_MARK, "")
    head, rest = lines[:_MAX_LINES], lines[_MAX_LINES:]
    labels = _label_lines(
        head,
        None if quote_from is None else min(quote_from, len(head)),
        from_address=from_address,
        boilerplate=boilerplate,
        use_ml=use_ml,
        cache_dir=cache_dir,
        quote_to=None if quote_to is None or quote_to >= len(head) else quote_to,
    )
    _answers_inside(head, labels)
    _marked_signature(head, labels, sig_from)
    # Past _MAX_LINES the text is kept as body: cleaning it would cost more than it
    # gives, and a body that long is rarely a reply-all.
    labels += [BODY if not labels or labels[-1] != QUOTE else QUOTE] * len(rest)
    parts = _group(lines, labels)

    def join(label: str) -> str:
        # Pieces of one label have other text between them: a paragraph break each.
        pieces = (t.strip("\n") for lab, t in parts if lab == label)
        return "\n\n".join(t for t in pieces if t.strip()).strip()

    return Cleaned(
        body=join(BODY),
        quote=join(QUOTE),
        signature=join(SIGNATURE),
        disclaimer=join(DISCLAIMER),
        original=source,
        parts=parts,
    )

"""Audit learned boilerplate: what does the learner take out of bodies on a real archive?

Usage: python bench/boilerplate.py ../shared/corpora/list-ksummit.mbox.gz [more.mbox.gz ...] [--top N]

Every message is cleaned in delivery order while the learner learns from it, as the
pipeline's clean step does (clean with what earlier messages taught, then observe),
and again with nothing learned. Prints how many bodies the learned blocks changed
and each block that did, most frequent first, so a person can judge whether each is
a footer or a reply's own words. The learner keeps its sightings in memory here.
"""

from __future__ import annotations

import argparse
import gzip
from collections import Counter

from replyall.cleaning import BODY, DISCLAIMER, SIGNATURE, BoilerplateLearner, MemoryBoilerplateStore, clean_text
from replyall.intake.importer import iter_mbox
from replyall.mail.mime import parse_message


def audit(paths: list[str]) -> tuple[int, Counter[str]]:
    learner = BoilerplateLearner(MemoryBoilerplateStore())
    moved: Counter[str] = Counter()
    seen = 0
    for path in paths:
        with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as stream:
            for data in iter_mbox(stream):
                parsed = parse_message(data)
                sender = parsed.from_[1] if parsed.from_ else None
                text, html = parsed.text or "", parsed.html
                learned = clean_text(text, html=html, from_address=sender, boilerplate=learner, use_ml=False)
                plain = clean_text(text, html=html, from_address=sender, use_ml=False)
                if learned.body != plain.body:
                    moved[learned.disclaimer.replace(plain.disclaimer, "").strip()] += 1
                if sender:
                    learner.observe(learned.text(BODY, SIGNATURE, DISCLAIMER), sender)
                seen += 1
    return seen, moved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mbox", nargs="+", help="mbox files (.gz allowed), read in the order given")
    ap.add_argument("--top", type=int, default=40, help="blocks to print")
    args = ap.parse_args()
    seen, moved = audit(args.mbox)
    print(f"{seen} messages; {sum(moved.values())} bodies changed by learned boilerplate; {len(moved)} distinct blocks")
    for block, count in moved.most_common(args.top):
        print(f"{count:5d}  {block[:160]!r}")


if __name__ == "__main__":
    main()

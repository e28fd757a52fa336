"""Check the cleaner on quote-stripping tests it was never tuned on (a generality check).

Usage:
    pip download --no-deps --no-binary :all: quotequail==0.5.4 && tar xzf quotequail-0.5.4.tar.gz
    npm pack planer@1.2.0 && mkdir planer && tar xzf planer-1.2.0.tgz -C planer
    python bench/heldout.py --quotequail quotequail-0.5.4 --planer planer/package

quotequail (MIT): the cases of tests/test_quote.py and tests/test_quote_html.py, read
from their pytest parameters; the reply is every segment marked True with the quote's
intro line counted as quote. HTML expecteds are compared as visible text. We compare
body + signature + disclaimer (quotequail strips quotes only), white space folded.
planer (MIT, talon's JavaScript port): its three real Outlook / Office 365 messages,
checked as planer checks them: the reply's sentence stays, the original's goes.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

from replyall.cleaning import BODY, DISCLAIMER, SIGNATURE, clean_text
from replyall.mail.html import html_to_text

_WS = re.compile(r"\s+")
# planer's test/planerHtml.test.coffee: file, a sentence of the reply, a sentence of the original.
PLANER = [
    ("microsoft-namespaces.html", "Lorem ipsum dolor sit amet", "Odio et pretium rutrum neque"),
    ("office-365.html", "I really hope that you're doing well!", "Do you like the holidays?"),
    ("outlook-mixed.html", "This is how it looks on my emails", "We'd love to set up a quick phone call with you"),
]


def _fold(s: str) -> str:
    return _WS.sub(" ", s).strip()


def _cases(tests: Path, module: str):
    sys.path.insert(0, str(tests.parent))  # the test modules import quotequail itself
    spec = importlib.util.spec_from_file_location(module, tests / f"{module}.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for mark in getattr(mod, module).pytestmark:
        if mark.name == "parametrize":
            yield from mark.args[1]


def quotequail(root: Path, show: bool) -> tuple[int, int]:
    ok = total = 0
    for module, html in (("test_quote", False), ("test_quote_html", True)):
        for text, _, with_intro in _cases(root / "tests", module):
            want = "".join(part for is_reply, part in with_intro if is_reply)
            if html:
                want = html_to_text(want) if want.strip() else ""
                cleaned = clean_text("", html=text)
            else:
                cleaned = clean_text(text)
            got = cleaned.text(BODY, SIGNATURE, DISCLAIMER)
            total += 1
            if _fold(got) == _fold(want):
                ok += 1
            elif show:
                print(f"--- MISS quotequail/{module}\n>>> got:\n{got}\n>>> want:\n{want}\n")
    return ok, total


def planer(root: Path, show: bool) -> tuple[int, int]:
    ok = 0
    for name, reply, original in PLANER:
        html = (root / "test" / "examples" / "html" / name).read_text(encoding="utf-8")
        body = clean_text("", html=html).body
        if reply in body and original not in body:
            ok += 1
        elif show:
            print(f"--- MISS planer/{name}\n>>> body:\n{body}\n")
    return ok, len(PLANER)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quotequail", type=Path, help="unpacked quotequail sdist (has tests/)")
    ap.add_argument("--planer", type=Path, help="unpacked planer npm package (has test/examples/html/)")
    ap.add_argument("--show-failures", action="store_true")
    args = ap.parse_args()
    if not args.quotequail and not args.planer:
        ap.error("give --quotequail and/or --planer")
    print("| source | cases | replyall pass |\n|---|---:|---:|")
    for label, path, run in (("quotequail 0.5.4", args.quotequail, quotequail), ("planer 1.2.0", args.planer, planer)):
        if path is not None:
            ok, total = run(path, args.show_failures)
            print(f"| {label} | {total} | {ok}/{total} |")


if __name__ == "__main__":
    main()

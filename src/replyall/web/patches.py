"""Find the unified diffs and diffstats in a message's text, so that the web can set them in a fixed-width font.

On development lists most messages carry a patch (git format-patch, `diff -u`), and a
patch read in a proportional font loses its indentation. A diff is found the way
`git apply` reads one: a file header ("diff --git", or "--- a" followed by "+++ b"; a
hunk pasted alone has none), then hunks whose "@@ -a,b +c,d @@" line says how many old
and new lines follow. Counting them tells where a hunk ends, so the text written after
the patch ("Thanks", an indented code excerpt) stays prose. A line a mail client wrapped
breaks the count; the diff then ends there and the rest reads as text, as before.

A diffstat (`git diff --stat`, above a patch and in a series' cover letter) lines its
"|" column and bars up in columns; it is found by its closing "N files changed" line.
"""

from __future__ import annotations

import re

__all__ = ["patch_spans"]

_HUNK = re.compile(r"@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@")
# Lines a file header may have between "diff --git" and the first hunk (git diff's format).
_HEADER = ("index ", "--- ", "+++ ", "new file mode ", "deleted file mode ", "old mode ", "new mode ",
           "similarity index ", "dissimilarity index ", "rename from ", "rename to ", "copy from ", "copy to ",
           "Binary files ")
# git diff --stat: " path/to/file.c | 12 +++---", " logo.png | Bin 0 -> 1234 bytes", then
# " 2 files changed, 9 insertions(+), 3 deletions(-)" and maybe mode and rename notes.
_STAT = re.compile(r"^ ?\S.*? +\| +(?:\d+(?: [+-]+)?|Bin(?: \d+ -> \d+ bytes)?) *$")
_STAT_SUM = re.compile(r"^ ?\d+ files? changed(?:, \d+ insertions?\(\+\))?(?:, \d+ deletions?\(-\))? *$")
_STAT_NOTE = re.compile(r"^ (?:create|delete) mode \d+ |^ mode change \d+ => \d+ |^ (?:rename|copy) .+ \(\d+%\) *$")


def patch_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each diff and diffstat in `text`, from its first line through
    the newline that ends its last one."""
    if "@@ -" not in text and "file changed" not in text and "files changed" not in text:
        return []
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        end = _diff_end(lines, i) or _stat_end(lines, i)
        if end is None:
            i += 1
            continue
        span = (starts[i], min(starts[end], len(text)))
        if spans and spans[-1][1] == span[0]:  # the next file's diff: one block for the patch
            span = (spans.pop()[0], span[1])
        spans.append(span)
        i = end
    return spans


def _diff_end(lines: list[str], i: int) -> int | None:
    """The index of the line after the diff that starts at line i, or None when none starts there."""
    line = lines[i]
    if line.startswith("diff "):
        j = i + 1
        while j < len(lines) and lines[j].startswith(_HEADER):
            j += 1
    elif line.startswith("--- ") and i + 1 < len(lines) and lines[i + 1].startswith("+++ "):
        j = i + 2
    elif _HUNK.match(line):  # a hunk pasted alone into a reply ("How does this hunk look?")
        j = i
    else:
        return None
    hunks = 0
    while j < len(lines):
        after = _hunk_end(lines, j)
        if after is None:
            break
        hunks, j = hunks + 1, after
    # A "diff" header alone is a diff too (a mode change, a binary file); "--- "/"+++ " lines
    # without a hunk are more likely a drawn rule and a list. Another file's diff may follow
    # straight away: the caller's next step finds it.
    return j if hunks or (line.startswith("diff ") and j > i + 1) else None


def _hunk_end(lines: list[str], j: int) -> int | None:
    found = _HUNK.match(lines[j])
    if not found:
        return None
    old = int(found.group(1) if found.group(1) is not None else 1)
    new = int(found.group(2) if found.group(2) is not None else 1)
    j += 1
    while j < len(lines) and (old > 0 or new > 0):
        line = lines[j]
        if line.startswith("\\"):  # "\ No newline at end of file"
            pass
        elif line.startswith("-"):
            old -= 1
        elif line.startswith("+"):
            new -= 1
        elif line.startswith(" ") or line == "":  # a blank context line whose space a mailer dropped
            old, new = old - 1, new - 1
        else:
            break
        j += 1
    while j < len(lines) and lines[j].startswith("\\"):
        j += 1
    return j


def _stat_end(lines: list[str], i: int) -> int | None:
    """The index of the line after the diffstat that starts at line i, or None."""
    j = i
    while j < len(lines) and "|" in lines[j] and _STAT.match(lines[j]):
        j += 1
    if j == i or j == len(lines) or not _STAT_SUM.match(lines[j]):
        return None
    j += 1
    while j < len(lines) and _STAT_NOTE.match(lines[j]):
        j += 1
    return j

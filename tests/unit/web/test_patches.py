"""Diffs in message text: found as `git apply` reads them, hunk lengths and all."""

from replyall.web.patches import patch_spans
from replyall.web.richtext import render

PATCH = """Fix the check.

Signed-off-by: Ann <ann@example.org>
---
 drivers/x.c | 4 +++-
 1 file changed, 3 insertions(+), 1 deletion(-)

diff --git a/drivers/x.c b/drivers/x.c
index 8d31cf3..270a3c5 100644
--- a/drivers/x.c
+++ b/drivers/x.c
@@ -293,7 +293,9 @@ static int set(struct fe *fe)
 	write(state, 0xc05);

 	// read status
-	read(state, 0x200);
+	err = read(state, 0x200);
+	if (err)
+		return err;

 	start(state);
diff --git a/drivers/y.c b/drivers/y.c
old mode 100644
new mode 100755

   67 static int readreg (struct state* state)
   68 {
Thanks
"""


def test_a_diff_ends_where_its_hunks_say_and_the_next_file_joins_it():
    spans = patch_spans(PATCH)
    assert len(spans) == 2  # the diffstat above it, then the diff
    start, end = spans[1]
    assert PATCH[start:].startswith("diff --git a/drivers/x.c") and PATCH[:end].endswith("new mode 100755\n")
    # The indented excerpt after the patch is prose, though its lines start with spaces.
    assert PATCH[end:] == "\n   67 static int readreg (struct state* state)\n   68 {\nThanks\n"


def test_a_diffstat_is_a_block_from_its_first_file_to_its_notes():
    (start, end), _ = patch_spans(PATCH)
    assert PATCH[start:end] == " drivers/x.c | 4 +++-\n 1 file changed, 3 insertions(+), 1 deletion(-)\n"
    cover = ("This series adds the board.\n\nJan Kiszka (2):\n  x86: one\n  arm: two\n\n"
             " Documentation/board.md                  |  40 ++++\n"
             " .../arm64/include/asm/control.h         |   6 +-\n"
             " images/board.png                        | Bin 0 -> 1734 bytes\n"
             " 3 files changed, 44 insertions(+), 2 deletions(-)\n"
             " create mode 100644 Documentation/board.md\n"
             " rename hypervisor/{a.c => b.c} (92%)\n\n-- \n2.26.2\n")
    (start, end), = patch_spans(cover)
    assert cover[start:end].startswith(" Documentation/board.md") and cover[:end].endswith("(92%)\n")
    # A table without git's closing line, and the closing line alone, are prose.
    for prose in ("Budget | 12\nStaff | 3\nTotal | 15", "In the end 1 file changed, 3 insertions(+).",
                  "1 file changed, 3 insertions(+)"):
        assert patch_spans(prose) == [], prose


def test_a_hunk_alone_is_a_diff_and_prose_that_only_looks_like_one_is_not():
    text = "How does this hunk look?\n\n@@ -95,2 +95,3 @@ choose\n - Ask\n+\n+Finally\n-Done\nOk?"
    (start, end), = patch_spans(text)
    assert text[start:end] == "@@ -95,2 +95,3 @@ choose\n - Ask\n+\n+Finally\n-Done\n"
    for prose in ("--- Ann\n+++ Bob\nmore", "diff between the two drafts\nis small", "@@ in a sentence", "> @@ -1 +1 @@\n> -a\n> +b"):
        assert patch_spans(prose) == [], prose


def test_a_diff_is_drawn_in_a_fixed_width_block_and_its_addresses_are_hidden_like_the_rest():
    text = "Try this:\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x <a@b.org>\n+y\nThanks"
    html = render(text, lambda s: s.replace("a@b.org", "a at b.org"))
    assert html == ('Try this:\n<pre class="patch">--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x &lt;a at b.org&gt;\n+y</pre>'
                    "Thanks")

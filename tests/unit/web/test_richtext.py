"""Message text as HTML: links and quoted lines, and nothing else the sender wrote becomes markup."""

import pytest

from replyall.web.richtext import render
from replyall.web.templating import obfuscate_text


def test_text_is_escaped_and_urls_become_links():
    html = render('See <b>this</b> & https://www.example.gov.uk/policy?id=1&v=2 for "the" policy.')
    assert "<b>" not in html and "&lt;b&gt;this&lt;/b&gt; &amp;" in html
    assert ('<a href="https://www.example.gov.uk/policy?id=1&amp;v=2" rel="nofollow ugc">'
            "https://www.example.gov.uk/policy?id=1&amp;v=2</a> for &#34;the&#34; policy.") in html


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("The toolkit (https://example.org/toolkit).", "https://example.org/toolkit"),
        ("Wiki: https://en.example.org/wiki/Thing_(disambiguation), see", "https://en.example.org/wiki/Thing_(disambiguation)"),
        ("Go to www.example.gov.uk!", "www.example.gov.uk"),
        ("<https://example.org/a>", "https://example.org/a"),
        ("Is it https://example.org/faq?", "https://example.org/faq"),
    ],
)
def test_punctuation_typed_after_a_url_stays_outside_the_link(text, url):
    html = render(text)
    assert f">{url}</a>" in html
    href = url if "://" in url else "https://" + url
    assert f'href="{href}"' in html


@pytest.mark.parametrize(
    "text", ["javascript:alert(1)", "data:text/html,<script>x</script>", "www.example", "xhttps://example.org/a"])
def test_only_http_and_www_become_links(text):
    html = render(text)
    assert "<a " not in html and "<script" not in html


def test_a_quote_inside_a_url_cannot_open_an_attribute():
    html = render('https://x.org/"onmouseover="alert(1)')
    assert html == '<a href="https://x.org/" rel="nofollow ugc">https://x.org/</a>&#34;onmouseover=&#34;alert(1)'


def test_quoted_lines_of_an_interleaved_answer_become_one_block_each_run():
    text = "On Tue, Ann wrote:\n> Can you come?\n> On Saturday?\nYes.\n\n> And the banner?\nNo, Tom has it."
    html = render(text)
    assert html == (
        "On Tue, Ann wrote:\n"
        '<blockquote class="quoted">&gt; Can you come?\n&gt; On Saturday?</blockquote>'
        "Yes.\n\n"
        '<blockquote class="quoted">&gt; And the banner?</blockquote>'
        "No, Tom has it."
    )
    assert render(text, quotes=False) == text.replace(">", "&gt;")


def test_a_blank_line_shows_on_either_side_of_a_block_as_written():
    # A browser drops the newline that ends the text before a block, and shows one that
    # starts the text after it: render keeps the first and drops the block's own last
    # newline, so the author's blank lines show above and below alike.
    spaced = render("See below.\n\n> quoted\n\nMy answer.")
    assert spaced == 'See below.\n\n<blockquote class="quoted">&gt; quoted</blockquote>\nMy answer.'
    tight = render("See below.\n> quoted\nMy answer.")
    assert tight == 'See below.\n<blockquote class="quoted">&gt; quoted</blockquote>My answer.'


def test_hidden_addresses_stay_hidden_and_never_leave_a_wrong_link():
    text = "Mail ann@example.org or see https://lore.example.org/r/20260101.abc@example.org and https://example.org/x"
    html = render(text, obfuscate_text)
    assert "@" not in html
    assert "ann at example.org" in html and "https://lore.example.org/r/20260101.abc at example.org" in html
    assert html.count("<a ") == 1 and '<a href="https://example.org/x"' in html


def test_a_long_quoted_run_shows_its_first_lines_and_folds_the_rest():
    quoted = "\n".join(f"> line {n}" for n in range(1, 31))
    html = render(f"{quoted}\nOne answer to all of that.")
    assert html == (
        '<blockquote class="quoted">&gt; line 1\n&gt; line 2\n&gt; line 3\n&gt; line 4'
        '<details class="more-quote"><summary>Show 26 more quoted lines</summary>&gt; line 5\n'
        + "\n".join(f"&gt; line {n}" for n in range(6, 31))
        + "</details></blockquote>One answer to all of that."
    )
    ten = "\n".join(f"> line {n}" for n in range(1, 11))
    assert "<details" not in render(f"{ten}\nShort enough to show whole.")


def test_a_pasted_picture_shows_at_its_mark_and_other_marks_stay_text():
    text = 'Ours:\n[image: a"b<c>.png]\n> [image: a"b<c>.png]\nAnd [image: gone.png] https://example.org/x'
    html = render(text, pictures={text.index("[image"): ("/m/abc/attachments/2", 'a"b<c>.png')})
    assert ('Ours:\n<a class="picture" href="/m/abc/attachments/2"><img src="/m/abc/attachments/2" '
            'alt="Picture a&#34;b&lt;c&gt;.png (download)" loading="lazy"></a>\n<blockquote') in html
    assert html.count("<img") == 1 and "&gt; [image: a&#34;b&lt;c&gt;.png]</blockquote>" in html
    assert 'And [image: gone.png] <a href="https://example.org/x"' in html


def test_a_picture_name_goes_through_the_archive_s_address_hiding():
    text = "[image: ann@council.gov.uk.png]"
    html = render(text, lambda s: s.replace("@", " at "), pictures={0: ("/p", "ann@council.gov.uk.png")})
    assert 'alt="Picture ann at council.gov.uk.png (download)"' in html and "@" not in html

"""What a reply's quote says about its parent: attribution lines and quoted text (replyall.threading.evidence)."""

from __future__ import annotations

from replyall.threading.evidence import attribution, mentions, quoted_lines, said_lines, shares_text

JAN, JAN_ADDR = "Jan Kiszka", "jan.kiszka@siemens.com"


def test_attribution_is_the_quote_head_ending_in_a_colon_in_any_language():
    cases = [
        "On Mon, 5 Jan 2015, Jan Kiszka wrote:\n> text",
        "On Mon, Jan 5, 2015 at 10:00 AM, Jan Kiszka <\njan.kiszka@siemens.com> wrote:\n> text",
        "Am 05.01.2015 um 10:00 schrieb Jan Kiszka <jan.kiszka@siemens.com>:\n> text",
        "Le lundi 5 janvier 2015 10:00:00 UTC+1, Jan Kiszka a écrit :\n> text",
        "5 Ocak 2015 Pazartesi 10:00:00 UTC+3 tarihinde Jan Kiszka yazdı:\n> text",
        "segunda-feira, 5 de Janeiro de 2015 às 10:00:00 UTC, Jan Kiszka escreveu:\n\n\n> text",
        '>>> "Jan Kiszka" <jan.kiszka@siemens.com> 05/01/2015 10:00 >>>\ntext',
        "-----Jan Kiszka/CT/Siemens wrote: -----\nTo: list\n\ntext",
        "Jan Kiszka/CT/Siemens wrote on 05/01/2015 10:00:55:\n\n> text",
    ]
    for quote in cases:
        assert mentions(attribution(quote), JAN, JAN_ADDR), quote


def test_outlook_header_block_names_its_author_on_the_from_line():
    quote = "From: Kiszka, Jan <jan.kiszka@siemens.com>\nSent: Monday, 5 January 2015 10:00\nTo: list\nSubject: x\n\ntext"
    att = attribution(quote)
    assert mentions(att, JAN, "")  # "Kiszka, Jan": every word of the name, in any order
    assert mentions(att, "", JAN_ADDR)
    assert not mentions(att, "Anna Schmidt", "anna@siemens.com")


def test_quote_without_attribution_or_with_prose_gives_none():
    assert attribution("> just quoted\n> lines") == ""
    assert attribution("This is a forwarded note about Jan Kiszka\n> text") == ""
    assert not mentions("", JAN, JAN_ADDR)


def test_google_groups_short_address_and_via_name():
    att = attribution("On Saturday, 19 October 2019 13:45:34 UTC+1, josema...@gmail.com wrote:\n> x")
    assert mentions(att, "", "josemartins90@gmail.com")
    assert not mentions(att, "", "josemartins90@example.org")  # same local part, other domain
    assert not mentions(att, "", "bob@gmail.com")
    via = attribution("On 20/06/19 2:53 PM, 'Pratyush Yadav' via Jailhouse wrote:\n> x")
    assert mentions(via, "'Pratyush Yadav' via Jailhouse", "")
    assert not mentions(via, "Pratyush", "")  # one word alone proves nothing


def test_names_compare_without_case_or_accents_and_need_every_word():
    att = attribution("On Thu, 9 May 2019, HAKKI KURUMAHMUT wrote:\n> x")
    assert mentions(att, "Hakkı Kurumahmut", "hkurumahmut84@hotmail.com")
    assert not mentions(att, "Hakkı Yilmaz", "hakki@example.com")
    joao = attribution("sábado, 27 de Julho de 2019, Joao Reis escreveu:\n> x")
    assert mentions(joao, "João Reis", "")


def test_quoted_text_matches_the_parents_own_lines_not_short_greetings():
    parent = said_lines("Hi all,\n\nThe gullies on Moor Lane are blocked again after the storm.\n"
                        "Can someone send a crew before Friday morning please?\n\nThanks,\nPat")
    reply = quoted_lines("> Hi all,\n>\n> The gullies on Moor Lane are blocked again after the storm.\n"
                         ">  Can someone send a crew before   Friday morning please?")
    assert shares_text(reply, parent)
    greeting_only = quoted_lines("> Hi all,\n> Thanks,\n> Pat")
    assert not shares_text(greeting_only, parent)
    one_line = quoted_lines("> The gullies on Moor Lane are blocked again after the storm.")
    assert not shares_text(one_line, parent)  # one of its two long lines: not enough
    assert shares_text(one_line, said_lines("The gullies on Moor Lane are blocked again after the storm."))

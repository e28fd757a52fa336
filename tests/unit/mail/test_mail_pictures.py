"""Pictures laid out by Content-ID: the mark each leaves in the text, and which ones the author pasted."""

from email.message import EmailMessage

from replyall.cleaning import clean_text
from replyall.mail.html import html_to_text
from replyall.mail.mime import parse_message
from replyall.mail.parts import Attachment
from replyall.mail.pictures import mark, normalise_marks, placed, roles, shared_files
from replyall.pipeline.clean import clean_parsed

SHOT = "image002.png@01DA1234.56789AB0"
LOGO = "image001.png@01DA1234.56789AB0"


def part(filename, cid, ctype="image/png") -> Attachment:
    return Attachment(filename=filename, content_type=ctype, size=10, content_id=cid, payload=b"x" * 10)


def outlook_reply() -> bytes:
    """Outlook's shape: text and HTML alternatives in multipart/related with the pictures, a
    screenshot pasted into the answer and the council's logo under the signature."""
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "Ann Smith <ann@council.gov.uk>", "comms@archive.example.org", "RE: policy"
    m["Message-ID"] = "<reply@council.gov.uk>"
    m.set_content(f"Here is ours:\n\n[cid:{SHOT}]\n\nKind regards\nAnn Smith\nComms Officer\n[cid:{LOGO}]\n\n"
                  "From: Bob\nSent: Monday\nTo: comms\nSubject: policy\n\nHas anyone got one?\n")
    m.add_alternative(
        f'<html><body><p>Here is ours:</p><p><img width=600 height=300 src="cid:{SHOT}"></p>'
        '<p>Kind regards<br>Ann Smith<br>Comms Officer<br>'
        f'<a href="https://council.gov.uk"><img src="cid:{LOGO}" alt="Council logo"></a></p>'
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        "<p><b>From:</b> Bob<br><b>Sent:</b> Monday<br><b>To:</b> comms<br><b>Subject:</b> policy</p></div>"
        "<p>Has anyone got one?</p></body></html>", subtype="html")
    html = m.get_payload()[1]
    html.make_related()
    html.add_related(b"\x89PNG screenshot", maintype="image", subtype="png", cid=f"<{SHOT}>", filename="image002.png")
    html.add_related(b"\x89PNG logo", maintype="image", subtype="png", cid=f"<{LOGO}>", filename="image001.png")
    return m.as_bytes()


def test_html_pictures_leave_a_mark_named_by_their_file_and_pictures_from_the_web_none():
    html = (f'<p>Before <img src="cid:{SHOT}"> after</p><p><img src="cid:ii_kx81" alt="image.png"></p>'
            '<p><img src="cid:lost@x" alt=""><img src="https://tracker.example/p.gif" alt="pixel"></p>')
    assert html_to_text(html, {SHOT: "screenshot.png"}) == (
        "Before [image: screenshot.png] after\n\n[image: image.png]\n\n[image: lost]")
    # Without the message's names, the Content-ID's left-hand side names the picture.
    assert html_to_text(f'<img src="cid:{SHOT}">') == "[image: image002.png]"


def test_outlook_plain_text_marks_become_ours_and_other_brackets_stay():
    text = f"See:\n[cid:{SHOT}]\n[cid:unknown@x]\n[citation needed] [cid: spaced]"
    assert normalise_marks(text, {SHOT: "shot.png"}) == (
        "See:\n[image: shot.png]\n[image: unknown]\n[citation needed] [cid: spaced]")


def test_a_mark_takes_the_nth_picture_of_its_name_and_quoted_marks_are_not_the_authors():
    # Gmail names every pasted picture "image.png".
    parts = [part("image.png", "ii_a"), part("report.pdf", None, "application/pdf"), part("image.png", "ii_b"),
             part(None, "logo@x")]
    text = "One:\n[image: image.png]\nTwo:\n[image: image.png]\n> [image: image.png]\n[image: logo] [image: other.png]"
    found = placed(text, parts)
    assert [(text[a:b], i) for a, b, i in found] == [("[image: image.png]", 0), ("[image: image.png]", 2),
                                                    ("[image: logo]", 3)]
    # A name a mark cannot hold is written as the mark writes it.
    odd = [part("photo [1].png", "x@y")]
    assert [i for *_, i in placed(f"{mark('photo [1].png')}", odd)] == [0] and mark("photo [1].png") == "[image: photo [1).png]"
    # A PDF is never a laid-out picture, whatever a mark says.
    assert placed("[image: report.pdf]", parts) == []


def test_each_part_is_attached_pasted_or_layout_by_where_its_mark_stands():
    parts = [part("image001.png", LOGO), part("policy.pdf", "f_pdf", "application/pdf"), part("image002.png", SHOT),
             part("photo.jpg", "f_kx81", "image/jpeg")]  # Gmail gives an attached photo a Content-ID too
    original = "Here:\n[image: image002.png]\n\nAnn\n[image: image001.png]"
    assert roles("Here:\n[image: image002.png]", original, parts) == ["layout", "attached", "pasted", "attached"]
    assert roles("Here:", original, parts) == ["layout", "attached", "layout", "attached"]
    assert [p.filename for p in shared_files("Here:\n[image: image002.png]", original, parts)] == [
        "policy.pdf", "image002.png", "photo.jpg"]
    # Nothing lays a picture out: the sender attached it.
    assert roles("Thanks", "Thanks", parts[:1]) == ["attached"]


def test_an_outlook_reply_keeps_the_screenshot_in_the_answer_and_the_logo_in_the_signature():
    parsed = parse_message(outlook_reply())
    assert parsed.pictures() == {SHOT: "image002.png", LOGO: "image001.png"}
    cleaned = clean_parsed(parsed, None)
    assert cleaned.body == "Here is ours:\n\n[image: image002.png]"
    assert cleaned.signature == "Kind regards\nAnn Smith\nComms Officer\n[image: image001.png] <https://council.gov.uk>"
    assert cleaned.quote.startswith("From: Bob")
    assert roles(cleaned.body, cleaned.original, parsed.attachments) == ["pasted", "layout"]


def test_plain_text_marks_are_named_by_the_message_pictures():
    plain = EmailMessage()
    plain["From"], plain["To"], plain["Subject"] = "ann@council.gov.uk", "comms@archive.example.org", "RE: policy"
    plain.set_content(f"Here is ours:\n\n[cid:{SHOT}]\n\nThanks\n")
    plain.add_attachment(b"\x89PNG", maintype="image", subtype="png", cid=f"<{SHOT}>", filename="our-policy.png",
                         disposition="inline")
    assert parse_message(plain.as_bytes()).text == "Here is ours:\n\n[image: our-policy.png]\n\nThanks"


def test_a_row_of_linked_icons_under_a_signature_does_not_break_it():
    # Seen on a real list: logo above the name, social-media icons below the address.
    text = ("Can it be done?\n\nThank you,\n\n[image: image001.jpg]\nRaimundo Sagarzazu\nElectronics Development\n"
            "Example Packaging Headquarters\nrs@example.com | Tel.: +34 943 034205\n"
            "[image: image002.jpg] <https://www.youtube.com/channel/x> [image: image003.jpg] <https://maps.example/y>")
    cleaned = clean_text(text, from_address="rs@example.com")
    assert cleaned.body == "Can it be done?"
    assert cleaned.signature.startswith("Thank you,") and cleaned.signature.endswith("<https://maps.example/y>")

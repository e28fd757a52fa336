"""Multilingual word lists and regular expressions shared by the cleaning rules."""

from __future__ import annotations

import re


def _alt(words: tuple[str, ...]) -> str:
    # Longest first so "Gesendet von" wins over "Gesendet".
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


# Outlook header block keys, as Outlook desktop, OWA and mobile clients write them
# in the user's language. The "from" keys open a block; the others confirm it.
FROM_KEYS = (
    "From", "Von", "De", "Van", "Från", "Fra", "Da", "Od", "Від", "От", "Lähettäjä",
    "Kimden", "Feladó", "Afzender", "Remitente", "Mittente", "Frá", "Saatja", "Nuo", "Oddi wrth",
    "Od:", "发件人", "寄件者", "差出人", "보낸 사람", "Expéditeur", "Absender",
)
OTHER_KEYS = (
    # English
    "Sent", "Date", "To", "Cc", "Bcc", "Subject", "Reply-To", "Importance",
    # German
    "Gesendet", "Datum", "An", "Betreff", "Kopie", "Antwort an",
    # French
    "Envoyé", "Envoyé le", "Date d'envoi", "Message du", "À", "A", "Objet", "Cc", "Répondre à",
    # Dutch
    "Verzonden", "Aan", "Onderwerp", "Datum",
    # Swedish, Danish, Norwegian
    "Skickat", "Till", "Ämne", "Sendt", "Til", "Emne", "Dato", "Kopi", "Sendte",
    # Italian
    "Inviato", "Data", "Oggetto", "Inviato il",
    # Spanish, Portuguese
    "Enviado", "Enviado el", "Fecha", "Para", "Asunto", "Assunto", "Enviada em", "Enviado em",
    # Welsh (Outlook in Cymraeg)
    "Anfonwyd", "At", "Pwnc", "Dyddiad", "Copi",
    # Polish, Czech, Finnish, Turkish, Hungarian, Russian, Ukrainian
    "Wysłano", "Temat", "Do", "Odesláno", "Komu", "Předmět", "Lähetetty", "Vastaanottaja",
    "Aihe", "Tarih", "Kime", "Konu", "Elküldve", "Címzett", "Tárgy", "Отправлено", "Кому",
    "Тема", "Дата", "Надіслано",
    # Chinese, Japanese, Korean
    "发送时间", "收件人", "主题", "日期", "傳送時間", "收件者", "主旨", "送信日時", "宛先", "件名",
    "보낸 날짜", "받는 사람", "제목",
)
# One header line: optional bold markers (*From:*), the key, a colon (ASCII or
# full width), then the value. Some clients put the value on the next line.
RE_HEADER_LINE = re.compile(
    r"^[ \t>]*[*_]{0,2}(?P<key>" + _alt(FROM_KEYS + OTHER_KEYS) + r")[*_]{0,2}[ \t]*[:：][*_]{0,2}",
    re.I,
)
FROM_KEY_SET = frozenset(k.lower().rstrip(":") for k in FROM_KEYS)
DATE_KEY_SET = frozenset(
    k.lower() for k in ("Sent", "Date", "Gesendet", "Datum", "Envoyé", "Date d'envoi", "Verzonden",
                        "Skickat", "Sendt", "Inviato", "Data", "Enviado", "Fecha", "Enviada em",
                        "Wysłano", "Odesláno", "Lähetetty", "Tarih", "Elküldve", "Отправлено", "Дата",
                        "Anfonwyd", "Dyddiad")
)
# Further header keys inside a flattened one-line block ("From: a Sent: b To: c").
RE_INLINE_KEY = re.compile(
    r"\s[*_]{0,2}(?:Sent|Date|To|Subject|Gesendet|Datum|An|Betreff|Envoyé|Objet|Verzonden|Aan|Onderwerp|"
    r"Skickat|Till|Ämne|Anfonwyd|Pwnc|Inviato|Oggetto|Enviado|Para|Asunto|Assunto)[*_]{0,2}\s?:\s"
)

# "-----Original Message-----" and its translations; also forwarded-message banners.
ORIGINAL_WORDS = (
    "Original Message", "Original message", "Reply Message", "Ursprüngliche Nachricht",
    "Originalnachricht", "Antwort Nachricht", "Message d'origine", "Message original",
    "Oorspronkelijk bericht", "Origineel bericht", "Originalmeddelande", "Ursprungligt meddelande",
    "Oprindelig meddelelse", "Oprindelig besked", "Opprinnelig melding", "Messaggio originale", "Mensaje original",
    "Mensagem original", "Alkuperäinen viesti", "Wiadomość oryginalna", "Oryginalna wiadomość",
    "Původní zpráva", "Исходное сообщение", "Оригинальное сообщение", "Eredeti üzenet",
    "Orijinal Mesaj", "Αρχικό μήνυμα",
)
FORWARD_WORDS = (
    "Forwarded message", "Forwarded Message", "Weitergeleitete Nachricht", "Message transféré",
    "Doorgestuurd bericht", "Vidarebefordrat meddelande", "Videresendt meddelelse",
    "Videresendt melding", "Messaggio inoltrato", "Mensaje reenviado", "Mensagem encaminhada",
    "Välitetty viesti", "Wiadomość przekazana", "Пересылаемое сообщение", "Přeposlaná zpráva",
)
RE_ORIGINAL_BANNER = re.compile(
    r"^[ \t>]*[-_=*]{2,}[ \t]*(?:" + _alt(ORIGINAL_WORDS) + r")[ \t]*[-_=*]{2,}[ \t]*$", re.I
)
# Any short dashed banner ("-------- Original-Nachricht --------") is a client's
# quote banner, whatever the language; forward banners are told apart first.
RE_DASHED_BANNER = re.compile(r"^[ \t>]*-{3,}[ \t]*[^\W\d_][^-\n]{2,40}?[ \t]*-{3,}[ \t]*$")
RE_FORWARD_BANNER = re.compile(
    r"^[ \t>]*(?:[-_=*]{2,}[ \t]*(?:" + _alt(FORWARD_WORDS) + r")[ \t]*[-_=*]{2,}"
    # Lotus Notes: "----- Forwarded by Ann Smith/Comms/Anytown on 12/03/2024 09:14 -----".
    r"|-{3,}[ \t]*(?:Forwarded by|Weitergeleitet von|Transféré par|Doorgestuurd door)[ \t][^\n]{1,160}?-{3,}"
    r"|(?:Begin forwarded message|Anfang der weitergeleiteten Nachricht|Début du message réexpédié"
    r"|Début du message transféré|Inicio del mensaje reenviado|Início da mensagem encaminhada"
    r"|Begin doorgestuurd bericht|Vidarebefordrat brev|Videresendt brev)[ \t]*:"
    # git format-patch's first line (its fixed date marks it): a patch pasted into a mail
    # is content, as a forward is, not history.
    r"|From [0-9a-f]{40} Mon Sep 17 00:00:00 2001)[ \t]*$",
    re.I,
)

# Verbs of "On <date>, <person> wrote:" in the languages our senders use.
WROTE_WORDS = (
    "wrote", "writes", "has written", "a écrit", "écrivait", "schrieb", "hat geschrieben",
    "schreef", "heeft geschreven", "verzond", "geschreven", "escribió", "ha escrito", "escreveu",
    "ha scritto", "scrisse", "skrev", "har skrivit", "kirjoitti", "napisał", "napisała",
    "napisał(a)", "napsal", "napsala", "написал", "написала", "написал(а)", "написав", "yazdı",
    "írta", "έγραψε", "đã viết", "ysgrifennodd", "sent", "送信", "寫道", "写道", "작성",
)
# What may follow the verb: a few words without a colon ("wrote the following:"), or
# Lotus Notes' date, whose time has colons of its own ("wrote on 12/03/2024 09:14:55:").
_WROTE_TAIL = (
    r"(?:[ \t]+(?:on|am|le|op|el|il|den|em)[ \t]+\d{1,4}[./-]\d{1,2}[./-]\d{1,4}[ \t,]+(?:um[ \t]+|à[ \t]+)?"
    r"\d{1,2}:\d{2}(?::\d{2})?(?:[ \t]*[AP]M)?|(?:[ \t][^:\n]{0,80})?)"
)
RE_WROTE_END = re.compile(r"(?:^|[\s,)>])(?:" + _alt(WROTE_WORDS) + r")" + _WROTE_TAIL + r"[ \t]*[:：][ \t]*$", re.I)
# Lotus Notes draws its attribution as a banner: '-----"Ann Smith" <ann@x.gov.uk> wrote: -----'
# or "-----Ann Smith/Comms/Anytown wrote: -----", with the old message's headers below.
RE_NOTES_WROTE = re.compile(
    r"^[ \t]*-{3,}[ \t]*(?P<who>[^\n]{1,160}?)[ \t]+(?:" + _alt(WROTE_WORDS) + r")" + _WROTE_TAIL
    + r"[ \t]*[:：][ \t]*-{3,}[ \t]*$",
    re.I,
)
# GroupWise's reply header, with the old message unmarked below it:
# '>>> "Ann Smith" <ann@x.gov.uk> 12/03/2024 09:14 >>>' or ">>> Ann Smith 3/12/2024 9:14 AM >>>".
# It starts like a ">"-quoted line, so it is tested before the quote markers are.
RE_GROUPWISE = re.compile(r"^[ \t]*>>>[ \t]*(?P<who>[^>\n][^\n]{0,160}?\d{1,2}[:.]\d{2}[^\n]{0,30}?)[ \t]*>>>[ \t]*$")
# The openers that begin such a line ("On", "Le", "Am", ...), so a wrapped
# header can be recognised from its first line.
ON_WORDS = (
    "On", "Le", "Am", "Op", "El", "Em", "Il", "Den", "På", "W dniu", "Dne", "В", "Vào", "Dana",
    "Il giorno", "Ar", "Am Montag", "Em seg", "Op ma", "Le lun", "Le mar", "Le mer", "Le jeu", "Le ven",
)
RE_ON_START = re.compile(r"^[ \t>]*(?:" + _alt(ON_WORDS) + r")\b", re.I)
RE_DIGIT_OR_AT = re.compile(r"\d|@")

# A separator line Outlook and others draw above the header block.
RE_SEPARATOR = re.compile(r"^[ \t]*(?:[_]{5,}|[-]{5,}|[=]{5,}|[*]{5,})[ \t]*$")

# "My answers are below in red", "Comments inline", "I've added my replies below": the
# author answered inside the message they quote, as Outlook users do, so the first
# quoted message holds their answers. A sentence needs a word about answering and
# either where or how the answers are marked, or "my/our ... below".
RE_ANSWER_WORD = re.compile(r"\b(?:answer\w*|respon\w*|comment\w*|repl(?:y|ies|ied)|notes?|thoughts|feedback|added|see|marked)\b", re.I)
RE_ANSWER_MARK = re.compile(
    r"\b(?:in-?line|in line|in (?:red|blue|green|purple|orange|pink|yellow|bold|italics?|capitals|caps|colou?r"
    r"|a different colou?r|highlight(?:s|ed)?))\b"
    r"|\b(?:my|our)\s+(?:\w+\s+)?(?:answers?|responses?|comments?|replies|notes|thoughts|feedback)\b[^.!?\n]{0,40}\bbelow\b"
    r"|\b(?:I|we)(?:['’]ve| have)?\s+(?:added|put|inserted|answered|responded|replied|commented|noted)\b[^.!?\n]{0,40}\bbelow\b",
    re.I,
)


# The same in the other languages of our senders: Welsh, German, French, Dutch.
RE_ANSWER_OTHER = re.compile(
    r"\b(?:atebion|sylwadau|antwort\w*|kommentar\w*|anmerkung\w*|réponses?|commentaires?|antwoord\w*|opmerking\w*)"
    r"\b[^.!?\n]{0,40}(?:\bisod\b|\bmewn (?:coch|glas|print trwm)\b|\bim text\b|\bin (?:rot|blau|fett)\b|\bunten\b"
    r"|\ben (?:rouge|bleu|gras)\b|\bdans le texte\b|\bci-dessous\b|\bin het (?:rood|blauw)\b|\bin de tekst\b|\bhieronder\b)",
    re.I,
)


# Words one of the two must contain: most replies have none, and need no closer look.
_ANSWER_HINTS = (
    "inline", "in-line", "in line", "below", "in red", "in blue", "in green", "in purple", "in orange", "in pink",
    "in yellow", "in bold", "in italic", "in capitals", "in caps", "in colo", "in a different", "in highlight",
    "isod", "mewn ", "im text", "in rot", "in blau", "in fett", "unten", "en rouge", "en bleu", "en gras",
    "dans le texte", "ci-dessous", "in het", "in de tekst", "hieronder",
)


def says_answers_inside(text: str) -> bool:
    """Does the reply say that its answers are written into the quoted message?"""
    folded = text.casefold()
    if not any(hint in folded for hint in _ANSWER_HINTS):
        return False
    return any(RE_ANSWER_WORD.search(s) and RE_ANSWER_MARK.search(s) or RE_ANSWER_OTHER.search(s)
               for s in re.split(r"[.!?\n]+", text))


# A line marking where quoted text was cut: "[...]", "(...)", "[snip]", "<snip>".
RE_ELISION = re.compile(
    r"^[ \t]*(?:\[[ \t]*(?:\.\.\.|…|snip|snipped|cut|trimmed)[ \t]*\]|\([ \t]*(?:\.\.\.|…|snip)[ \t]*\)"
    r"|<[ \t]*(?:snip|snipped)[ \t]*>)[ \t]*$", re.I)

# Clients that announce the device or app at the bottom of a message.
SENT_FROM = (
    "Sent from my", "Sent from", "Sent via", "Sent using", "Sent with BlackBerry", "Get Outlook for", "Envoyé de mon",
    "Envoyé depuis", "Envoyé à partir de", "Von meinem", "Gesendet von", "Gesendet mit",
    "Enviado desde mi", "Enviado desde", "Enviado do meu", "Enviado de meu", "Enviado do",
    "Inviato da", "Inviato dal mio", "Verzonden vanaf", "Verstuurd vanaf", "Verzonden met",
    "Skickat från", "Sendt fra", "Wysłane z", "Lähetetty", "Отправлено с", "Надіслано з",
    "Odesláno z", "Saadetud", "via mobile", "from my mobile", "from my phone",
)
RE_SENT_FROM = re.compile(
    r"^[ \t]*(?:" + _alt(SENT_FROM) + r")\b(?:[^.!?\n<]|\.\S){0,60}(?:<[^>\s]{0,80}>)?[.!]?[ \t]*$", re.I
)
# Lines such as "Von meinem iPhone gesendet" put the verb last.
RE_SENT_FROM_TAIL = re.compile(r"^[ \t]*(?:Von meinem|Vanaf mijn|Från min)\b.{0,40}\b(?:gesendet|verzonden|skickat)[ \t]*$", re.I)

VALEDICTIONS = (
    "Thanks", "Thank you", "Thankyou", "Thanks again", "Many thanks", "Thanks and regards", "Thanks & regards",
    "Thanks in advance", "Thank you in advance", "Many thanks in advance", "Thanks very much",
    "Thank you very much", "Thanks so much", "Thank you so much", "Thanks a lot", "With thanks",
    "Regards", "Best regards", "Kind regards", "Kindest regards", "Warm regards", "Warmest regards",
    "With best regards", "With kind regards", "Best", "Best wishes", "With best wishes", "All the best",
    "Cheers", "Sincerely", "Yours sincerely", "Sincerely yours", "Yours faithfully", "Yours truly",
    "Yours", "Respectfully", "BR", "KR",
    "Rgds", "Thx", "Ta", "Take care", "Talk soon", "Speak soon", "Warmly", "Greetings",
    "Mit freundlichen Grüßen", "Mit freundlichen Grüssen", "Freundliche Grüße", "Viele Grüße",
    "Beste Grüße", "Liebe Grüße", "Herzliche Grüße", "Schöne Grüße", "Viele Grüsse", "Beste Grüsse",
    "Gruß", "Grüße", "LG", "VG", "MfG", "Danke",
    "Cordialement", "Bien cordialement", "Bien à vous", "Amicalement", "Salutations", "Merci",
    "Merci d'avance", "Bonne journée",
    "Met vriendelijke groet", "Met vriendelijke groeten", "Vriendelijke groet", "Groeten", "Groet",
    "Med vänlig hälsning", "Vänliga hälsningar", "Hälsningar", "Mvh", "Med venlig hilsen",
    "Venlig hilsen", "Hilsen", "Med vennlig hilsen", "Kærlig hilsen", "Bedste hilsner", "Kh", "Vh", "Mvg", "Cordiali saluti", "Saluti", "Distinti saluti",
    "Grazie", "Saludos", "Un saludo", "Saludos cordiales", "Atentamente", "Gracias",
    "Atenciosamente", "Abraços", "Cumprimentos", "Obrigado", "Obrigada", "Pozdrawiam",
    "Z poważaniem", "Z powazaniem", "Pozdrowienia", "Serdecznie pozdrawiam", "Ystävällisin terveisin", "Terveisin", "С уважением", "Спасибо",
    "S pozdravem", "Üdvözlettel", "Saygılarımla",
    # Welsh; bilingual bodies sign "Diolch / Thanks", "Cofion / Regards".
    "Diolch", "Diolch yn fawr", "Cofion", "Cofion gorau", "Cofion cynnes", "Yn gywir", "Yr eiddoch yn gywir",
)
# One sign-off, or two in two languages: "Diolch / Thanks", "Cofion | Regards".
_SIGN_OFF = r"(?:" + _alt(VALEDICTIONS) + r")(?:[ \t]*[,.!]?[ \t]*[/|][ \t]*(?:" + _alt(VALEDICTIONS) + r"))?"
RE_VALEDICTION = re.compile(r"^[ \t]*" + _SIGN_OFF + r"[ \t]*[,.!:;-]*[ \t]*$", re.I)
# A valediction and the name on one line: "Thanks, Bob" / "Cheers -- Ann".
RE_VALEDICTION_NAME = re.compile(
    r"^[ \t]*" + _SIGN_OFF + r"[ \t]*[,!-]+[ \t]*\S[^,.!?]{0,30}[ \t]*$", re.I
)
# A name signed with a leading dash or slash on the last line: "-Ann Smith", "/John".
RE_DASH_NAME = re.compile(r"^[ \t]*(?:-|–|—|/|~)[ \t]?(?P<name>[^\W\d_][\w.'’-]*(?:[ \t]+[^\W\d_][\w.'’-]*){0,3})[ \t]*$")
RE_SIG_DASHES = re.compile(r"^(?:-- ?|--)[ \t]*$")
RE_PHONE = re.compile(r"(?:\+?\d[\d ().\-/]{6,}\d)")
# A line that is only a link, maybe in brackets: "(www.blackberry.com)", "https://x.org/a".
RE_BARE_LINK = re.compile(r"^[ \t]*\(?<?(?:https?://|www\.)[^\s()<>]+>?\)?[ \t]*$", re.I)
RE_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:com|org|net|gov|edu|int|eu|uk|de|fr|nl|io)\b", re.I)
RE_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
RE_ROLE = re.compile(
    r"\b(?:director|manager|officer|head|chief|engineer|developer|president|secretary|adviser|"
    r"advisor|coordinator|administrator|assistant|analyst|consultant|lead|founder|ceo|cto|cfo|"
    r"department|division|ministry|council|office|team|university|institute|agency|services|"
    r"tel|phone|mobile|mob|fax|cell|direct|ext)\b",
    re.I,
)

# Protective markings: the UK Government Security Classifications (OFFICIAL,
# OFFICIAL-SENSITIVE and its caveats), the older GPMS ("NOT PROTECTIVELY MARKED",
# PROTECT, RESTRICTED) and the sensitivity labels of Microsoft Purview and similar
# tools ("Classification: General", "Sensitivity: Internal"). Marking tools write
# them alone on a line at the top and the bottom of the body; they say how to handle
# the message, not what its author wrote. Bare markings count only in capitals, as
# the schemes write them, so that "Official" in a sentence is never one.
RE_BARE_MARKING = re.compile(
    r"^[\W_]*(?:OFFICIAL(?:[ \-–:]+SENSITIVE)?(?:[ \-–:]+(?:PERSONAL|COMMERCIAL|LOCSEN))?|"
    r"NOT PROTECTIVELY MARKED|UNCLASSIFIED|PROTECT|RESTRICTED)[\W_]*$"
)
RE_LABELLED_MARKING = re.compile(
    r"^[\W_]*(?:this (?:e-?mail|message) (?:is|has been) )?(?:(?:security|protective|information|data) )?"
    r"(?:classification|classified(?: as)?|sensitivity(?: label)?|protective marking|marking)"
    r"[ \t]*[:\-–]?[ \t]*(?P<value>[^\n]{2,60}?)[\W_]*$",
    re.I,
)
_MARKING_VALUE_WORDS = frozenset(
    "official sensitive personal commercial locsen unclassified public general internal confidential "
    "restricted highly secret top not protectively marked protect use only business non-business "
    "for limited strictly private".split()
)


def is_marking(line: str) -> bool:
    """A line that is only a protective marking or sensitivity label."""
    s = line.strip()
    if not s or len(s) > 80:
        return False
    if RE_BARE_MARKING.match(s):
        return True
    m = RE_LABELLED_MARKING.match(s)
    if m is None:
        return False
    words = re.split(r"[\s\-–:/,]+", m.group("value").casefold())
    return all(w in _MARKING_VALUE_WORDS for w in words if w)

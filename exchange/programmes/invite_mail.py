"""The emails a practitioner receives (the invitation with its calendar file, the reminders), in their
language, and the ready `mailto:` link a facilitator uses when the server sends no mail.

Pure apart from reading catalogues: the caller sends (exchange/mail.py) and records (mail_jobs.py).
The text is whole sentences, each through gettext in the practitioner's language: Babel catalogues
from exchange/locale/<lang>/LC_MESSAGES/messages.po, falling back to English.
"""

from __future__ import annotations

import gettext
from datetime import datetime
from urllib.parse import quote

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime

from exchange import i18n
from exchange.mail import Attachment, Mail
from exchange.programmes import ics
from exchange.programmes.models import Exchange, Participant
from exchange.timeutil import zone

#: The languages an invitation can be written in (issue 19): BCP 47 codes, English first.
LANGUAGES = ("en", "fr", "es", "pt", "ar")
SOURCE = "en"
DAY, HOUR = "day", "hour"


def language_name(code: str) -> str:
    """The language's name in itself ("Français"), as a menu lists it."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return code
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def language_of(participant: Participant, exchange: Exchange) -> str:
    """The practitioner's language if they have one we write in, else the exchange's, else English."""
    for code in (participant.language, exchange.language):
        if code and code.split("-", 1)[0].lower() in LANGUAGES:
            return code.split("-", 1)[0].lower()
    return SOURCE


def translations(code: str) -> gettext.NullTranslations:
    """The catalogue for `code`: the app's one catalogue per language (exchange/i18n.py); English where a
    sentence is missing."""
    return i18n.catalogue(code) if code in i18n.languages() else gettext.NullTranslations()


def when(moment: datetime, tz_name: str, code: str) -> str:
    """e.g. "mardi 8 décembre 2026, 14:00 (Africa/Nairobi)": in the exchange's zone, in the reader's words."""
    tz = zone(tz_name)
    local = moment.astimezone(tz) if tz else moment
    try:
        words = format_datetime(local, "EEEE d MMMM y, HH:mm", locale=code.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        words = format_datetime(local, "EEEE d MMMM y, HH:mm", locale=SOURCE)
    return f"{words} ({tz_name})"


def invitation(
    exchange: Exchange, participant: Participant, *, link: str, code: str, attached: bool = True
) -> tuple[str, str]:
    """(subject, body) of the invitation, in the language `code` (`attached`: with the calendar file)."""
    _ = translations(code).gettext
    subject = _("Your invitation to “{title}”").format(title=exchange.title)
    paragraphs = [
        _("Dear {name},").format(name=participant.name),
        _("You are invited to “{title}”, a facilitated story exchange, on {when}.").format(
            title=exchange.title, when=when(exchange.starts_at, exchange.timezone, code)
        ),
        _("Your personal link (please keep it to yourself): {link}").format(link=link),
        _(
            "Open it before the exchange, on the phone or computer you will use on the day, to read the ground "
            "rules and choose how you appear in the record. From then on the link works on that device only. "
            "On the day, open it there again and keep it open during the call."
        ),
    ]
    if exchange.call_url:
        paragraphs.append(_("We will talk on: {call}").format(call=exchange.call_url))
    if attached:
        paragraphs.append(_("The calendar file attached adds the exchange to your calendar."))
    return subject, "\n\n".join(paragraphs) + "\n"


def reminder(exchange: Exchange, participant: Participant, *, link: str, code: str, which: str) -> tuple[str, str]:
    """(subject, body) of the reminder a day (`DAY`) or an hour (`HOUR`) before the start."""
    _ = translations(code).gettext
    at = when(exchange.starts_at, exchange.timezone, code)
    if which == DAY:
        subject = _("Tomorrow: “{title}”").format(title=exchange.title)
        opening = _("A reminder: “{title}” starts tomorrow, {when}.").format(title=exchange.title, when=at)
    else:
        subject = _("In one hour: “{title}”").format(title=exchange.title)
        opening = _("A reminder: “{title}” starts in one hour, {when}.").format(title=exchange.title, when=at)
    paragraphs = [
        _("Dear {name},").format(name=participant.name),
        opening,
        _("Join from your personal link, on the device where you first opened it: {link}").format(link=link),
    ]
    if exchange.call_url:
        paragraphs.append(_("We will talk on: {call}").format(call=exchange.call_url))
    return subject, "\n\n".join(paragraphs) + "\n"


def calendar_file(exchange: Exchange, *, link: str, code: str) -> Attachment:
    """The exchange's .ics (METHOD:PUBLISH), its description carrying the personal link."""
    _ = translations(code).gettext
    body = ics.calendar(exchange, url=link, description_extra=_("Your personal link: {link}").format(link=link))
    return Attachment(filename=f"exchange-{exchange.id}.ics", content=body, params=(("method", "PUBLISH"),))


def invitation_mail(exchange: Exchange, participant: Participant, *, link: str) -> Mail:
    code = language_of(participant, exchange)
    subject, body = invitation(exchange, participant, link=link, code=code)
    return Mail(
        to=participant.email, subject=subject, body=body, language=code,
        attachments=(calendar_file(exchange, link=link, code=code),),
    )


def reminder_mail(exchange: Exchange, participant: Participant, *, link: str, which: str) -> Mail:
    code = language_of(participant, exchange)
    subject, body = reminder(exchange, participant, link=link, code=code, which=which)
    return Mail(to=participant.email, subject=subject, body=body, language=code)


def mailto(exchange: Exchange, participant: Participant, *, link: str) -> tuple[str, str]:
    """(a `mailto:` URL with the invitation filled in, the message text): for a facilitator to send it
    from their own mail program. RFC 6068: every part percent-encoded as UTF-8."""
    code = language_of(participant, exchange)
    subject, text = invitation(exchange, participant, link=link, code=code, attached=False)
    body = text
    body = body.replace("\n", "\r\n")  # RFC 6068: line breaks as %0D%0A
    to = quote(participant.email, safe="@")
    return f"mailto:{to}?subject={quote(subject, safe='')}&body={quote(body, safe='')}", text

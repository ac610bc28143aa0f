"""Sending email through the SMTP server the settings name (EXCHANGE_SMTP_*); nothing is sent without one.

One plain-text message at a time (with attachments, such as an invitation's calendar file), in a
worker thread (smtplib blocks). `deliver` says why a message was not handed to the server (None when
it was), `send` only whether; a failure is logged, never raised at the person who caused it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from starlette.concurrency import run_in_threadpool

from exchange.i18n import _
from exchange.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content: str
    maintype: str = "text"
    subtype: str = "calendar"
    #: Extra Content-Type parameters, e.g. {"method": "PUBLISH"} for a calendar file.
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    #: The message's language (Content-Language), a BCP 47 code.
    language: str = ""


def configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def message(settings: Settings, mail: Mail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2].strip("> ") or "localhost")
    msg.set_content(mail.body)
    if mail.language:
        msg["Content-Language"] = mail.language  # after set_content, which clears Content-* headers
    for attachment in mail.attachments:
        msg.add_attachment(
            attachment.content.encode(),
            maintype=attachment.maintype,
            subtype=attachment.subtype,
            filename=attachment.filename,
        )
        part = msg.get_payload()[-1]
        part.set_param("charset", "utf-8")
        for key, value in attachment.params:
            part.set_param(key, value)
    return msg


def send(settings: Settings, mail: Mail) -> bool:
    """Hand one message to the SMTP server; False when mail is off or the server refused it."""
    return deliver(settings, mail) is None


def _reason(exc: Exception) -> str:
    """What went wrong, for the staff page and the log: the kind of failure and the server's answer."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {raw.decode(errors='replace') if isinstance(raw, bytes) else raw}" for code, raw in exc.recipients.values()]
        return (_("The mail server refused the address:") + " " + "; ".join(codes))[:300]
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return _("The mail server answered: {answer}").format(answer=f"{exc.smtp_code} {text}")[:300]
    if isinstance(exc, smtplib.SMTPException):
        return _("The mail server failed: {error}").format(error=exc.__class__.__name__)[:300]
    return _("The mail server could not be reached: {error}").format(error=f"{exc.__class__.__name__} {exc}")[:300]


def deliver(settings: Settings, mail: Mail) -> str | None:
    """Hand one message to the SMTP server: None when it took it, else why not (for the person who sent it)."""
    if not configured(settings):
        return _("Mail is not set up on this server.")
    if not mail.to:
        return _("There is no email address to send to.")
    with Outbox(settings) as outbox:
        return outbox.deliver(mail)


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
    if settings.smtp_tls == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if settings.smtp_tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        client.close()
        raise
    return client


class Outbox:
    """One SMTP connection for several messages (a run of reminders), opened at the first message and
    opened again once if the server dropped it in between. Blocking: use it in a worker thread.

        with Outbox(settings) as outbox:
            error = outbox.deliver(mail)   # None, or why it was not handed over
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def deliver(self, mail: Mail) -> str | None:
        if not configured(self.settings):
            return _("Mail is not set up on this server.")
        if not mail.to:
            return _("There is no email address to send to.")
        for again in (False, True):
            reused = self.client is not None
            try:
                if self.client is None:
                    self.client = _connect(self.settings)
                self.client.send_message(message(self.settings, mail))
                return None
            except smtplib.SMTPRecipientsRefused as exc:  # the connection is still good (smtplib reset it)
                log.warning("mail to one recipient was not sent: %s", exc.__class__.__name__)
                return _reason(exc)
            except (OSError, smtplib.SMTPException) as exc:
                if self.client is not None:
                    self.client.close()
                    self.client = None
                if reused and not again and isinstance(exc, OSError | smtplib.SMTPServerDisconnected):
                    continue  # a kept connection the server closed meanwhile: once more on a new one
                log.warning("mail to one recipient was not sent: %s", exc.__class__.__name__)
                return _reason(exc)
        return _("The mail server could not be reached: {error}").format(error="")  # not reached


async def send_all(settings: Settings, mails: list[Mail]) -> int:
    """Send each message in a worker thread; how many were handed over."""
    if not configured(settings):
        return 0
    sent = 0
    for mail in mails:
        sent += await run_in_threadpool(send, settings, mail)
    return sent

"""Sending email through the SMTP server the settings name (EXCHANGE_SMTP_*); nothing is sent without one.

One plain-text message at a time, in a worker thread (smtplib blocks). `send` says whether the
message was handed to the server; a failure is logged, never raised at the person who caused it.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from starlette.concurrency import run_in_threadpool

from exchange.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Mail:
    to: str
    subject: str
    body: str


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
    return msg


def send(settings: Settings, mail: Mail) -> bool:
    """Hand one message to the SMTP server; False when mail is off or the server refused it."""
    if not configured(settings) or not mail.to:
        return False
    host, port, timeout = settings.smtp_host, settings.smtp_port, settings.smtp_timeout_seconds
    try:
        if settings.smtp_tls == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=timeout)
        with client:
            if settings.smtp_tls == "starttls":
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                client.login(settings.smtp_user, settings.smtp_password)
            client.send_message(message(settings, mail))
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to one recipient was not sent: %s", exc.__class__.__name__)
        return False


async def send_all(settings: Settings, mails: list[Mail]) -> int:
    """Send each message in a worker thread; how many were handed over."""
    if not configured(settings):
        return 0
    sent = 0
    for mail in mails:
        sent += await run_in_threadpool(send, settings, mail)
    return sent

"""A real SMTP server on loopback (aiosmtpd) that keeps every message it is given.

Addresses whose local part starts with "bounce" are refused at RCPT (550), as a mail server refuses
an unknown mailbox, so a failed send can be shown without mocking anything.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message

import pytest
from aiosmtpd.controller import Controller

from tests.support.servers import free_port


class Inbox:
    """An SMTP server on loopback that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        if address.lower().startswith("bounce"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]  # type: ignore[misc]

    def wait_for(self, address: str, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """The messages to `address` once there are `count` of them (the server sends in the background)."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.to(address)


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    box.controller.start()
    try:
        yield box
    finally:
        box.controller.stop()


def smtp_env(inbox: Inbox) -> dict[str, str]:
    """The settings that point a server at the inbox."""
    return {"EXCHANGE_SMTP_HOST": "127.0.0.1", "EXCHANGE_SMTP_PORT": str(inbox.port), "EXCHANGE_SMTP_TLS": "none",
            "EXCHANGE_MAIL_FROM": "Story Exchange <exchange@example.org>"}  # fmt: skip

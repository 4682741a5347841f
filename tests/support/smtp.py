"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, and the settings that point edoc at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller

from tests.support.components import free_port


class Inbox:
    """Every message the server accepted, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(cast(EmailMessage, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@contextmanager
def smtp_inbox(settings_env: dict[str, str], sender: str) -> Iterator[Inbox]:
    """Start the server and add EDOC_SMTP_HOST/PORT/SENDER to ``settings_env`` (before the test's app is made)."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings_env.update({"EDOC_SMTP_HOST": "127.0.0.1", "EDOC_SMTP_PORT": str(controller.port),
                         "EDOC_SMTP_SENDER": sender})
    try:
        yield handler
    finally:
        controller.stop()

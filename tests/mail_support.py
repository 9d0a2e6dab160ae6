"""A mailbox for the e-mail tests: an aiosmtpd handler keeping every letter (parsed with the modern
policy: ``get_body``, ``iter_attachments``), and a free local port. The server is the
``smtp_server`` fixture of ``tests.mail_fixtures``."""

from __future__ import annotations

import email
import email.policy
import socket
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session


class Inbox:
    """An aiosmtpd handler that keeps every letter."""

    def __init__(self) -> None:
        self.letters: list[tuple[Envelope, EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        letter = email.message_from_bytes(envelope.original_content or b"", policy=email.policy.default)
        assert isinstance(letter, EmailMessage)
        self.letters.append((envelope, letter))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])

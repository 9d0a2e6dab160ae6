"""E-mail copies of staff answers (the client's additional channel) through SMTP with aiosmtplib.

Letters are plain text: nothing in them is interpreted as markup, whatever the client or staff
wrote. Settings: ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASSWORD``, ``SMTP_FROM``,
``SMTP_STARTTLS``.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from bot.settings import Settings
from handlers.models import MailNotConfigured

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 30.0  # seconds for the whole conversation with the server


def build_letter(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "localhost")
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")  # 7-bit safe anywhere
    return msg


async def send_mail(settings: Settings, to: str, subject: str, body: str) -> None:
    """Send one letter; raises ``MailNotConfigured`` or an ``aiosmtplib`` / OS error on failure."""
    if not settings.smtp_host:
        raise MailNotConfigured("SMTP_HOST is not set")
    letter = build_letter(settings, to, subject, body)
    await aiosmtplib.send(
        letter,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_user or None,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        start_tls=settings.smtp_starttls,
        timeout=SMTP_TIMEOUT,
    )
    log.info("e-mail sent to %s: %s", to, subject)

"""E-mail as a channel: copies of answers to clients who asked for them, and a department's
mailbox as a staff destination (``email:ok@lenreg.ru``). Send-only: nobody writes to the bot here.

Letters are plain text (nothing in them is interpreted as markup, whatever a client or staff
member wrote), quoted-printable so that any server passes them; buttons become a line telling
how to answer (in the staff chat, or the web workspace: a link to the request there when
``WEB_BASE_URL`` is set), files are attached (a client's files too: bot.files brings them over).
The subject is the reply's title, else its first line («Обращение №7 · принято»).

aiosmtplib speaks STARTTLS (``SMTP_STARTTLS=true``, port 587) and implicit TLS (``SMTP_TLS=true``,
port 465). A 4xx answer or a network error is worth another try (the outbox retries); a 5xx
answer is a refusal.
"""

from __future__ import annotations

import asyncio
import logging
import mimetypes
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, ClassVar

import aiosmtplib

from bot.channels.base import Channel, Here, SendFailed
from handlers import texts
from handlers.models import Address, Document, Reply

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 30.0  # seconds for the whole conversation with the server
SUBJECT_MAX = 120


def build_letter(settings: Settings, to: str, reply: Reply) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    first = reply.text.strip().split("\n", 1)[0].strip()
    msg["Subject"] = reply.title or (first[:SUBJECT_MAX] if first else texts.EMAIL_SUBJECT_DEFAULT)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or "localhost")
    body = reply.text
    if any(b.payload for row in reply.buttons for b in row):
        body += "\n\n" + texts.EMAIL_HOW_TO_ANSWER
        kind, _, number = (reply.tag or "").partition(":")
        if kind == "request" and number.isdigit() and settings.web_base_url:
            link = f"{settings.web_base_url.rstrip('/')}/staff/requests/{number}"
            body += "\n" + texts.EMAIL_WORKSPACE_LINK.format(link=link)
    links = [f"{b.label}: {b.url}" for row in reply.buttons for b in row if b.url]
    if links:
        body += "\n\n" + "\n".join(links)
    if reply.venue is not None:
        body += f"\n\n{reply.venue.title}: {reply.venue.address}"
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")  # 7-bit safe anywhere
    for doc in (reply.document, reply.image, *reply.uploads):
        if doc is not None:
            _attach(msg, doc)
    return msg


def _attach(msg: EmailMessage, doc: Document) -> None:
    mime = doc.mime if "/" in doc.mime else (mimetypes.guess_type(doc.filename)[0] or "application/octet-stream")
    maintype, _, subtype = mime.partition("/")
    msg.add_attachment(doc.content, maintype=maintype, subtype=subtype, filename=doc.filename)


class EmailChannel(Channel):
    name: ClassVar[str] = "email"
    interactive: ClassVar[bool] = False

    def __init__(self, app: App) -> None:
        super().__init__(app)

    async def send(self, address: Address, reply: Reply, *, key: str, here: Here | None = None) -> list[str]:
        settings = self.app.settings
        if not settings.smtp_host:
            raise SendFailed("SMTP_HOST is not set", transient=False)
        letter = build_letter(settings, address.chat_id, reply)
        try:
            await aiosmtplib.send(
                letter, hostname=settings.smtp_host, port=settings.smtp_port,
                username=settings.smtp_user or None,
                password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
                start_tls=settings.smtp_starttls and not settings.smtp_tls, use_tls=settings.smtp_tls,
                timeout=SMTP_TIMEOUT)
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.code}", transient=400 <= exc.code < 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"SMTP: {type(exc).__name__}", transient=True) from exc
        log.info("e-mail sent (%s)", key)  # never the address: it is personal data
        return [str(letter["Message-ID"])]


async def run(app: App, stop: asyncio.Event) -> None:
    """``consult-bot run``: the mail channel has nothing to receive; it sends until stopped."""
    channel = EmailChannel(app)
    app.add_channel(channel)
    try:
        await channel.run(stop)
    finally:
        app.remove_channel(channel)
        await channel.close()

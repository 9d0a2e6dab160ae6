"""What flows see: a channel-neutral incoming event and channel-neutral outgoing replies.

Channels (``bot/channels``) translate platform updates into ``Event`` and render ``Reply``;
flows never import aiogram or vk_api.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Contact:
    phone: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    kind: str  # photo, document, sticker, voice, video, location, other
    file_id: str | None = None  # the platform's own reference: re-sent by it on the same platform
    filename: str | None = None
    mime: str | None = None
    size: int | None = None
    # Where the file's bytes can be fetched (VK gives each attachment a link: the largest size of a
    # photo, a document's file); None where the platform fetches by ``file_id`` (Telegram).
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a person did: wrote text, pressed a button, shared a contact or sent a file."""

    channel: str
    user_id: str
    chat_id: str
    text: str | None = None
    payload: str | None = None
    contact: Contact | None = None
    attachments: tuple[Attachment, ...] = ()
    user_name: str | None = None
    reply_to: str | None = None  # id of the bot's message this one answers (staff replies to cards)
    message_id: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel, self.user_id)


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    payload: str | None = None  # short ASCII id; channels put it into callback data as is
    url: str | None = None  # a link button instead of a callback


@dataclass(frozen=True, slots=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"
    caption: str | None = None


@dataclass(slots=True)
class Reply:
    """One message to show. ``menu`` marks navigation screens a channel may edit in place."""

    text: str
    title: str | None = None
    buttons: list[list[Button]] = field(default_factory=list)
    venue: Venue | None = None
    document: Document | None = None
    image: Document | None = None
    request_contact: bool = False
    menu: bool = False
    tag: str | None = None  # what the message is about, e.g. "request:17" for staff cards
    # Files a person sent, re-sent after the text by their id on the platform (a Telegram file_id
    # can be sent again); flows put here only files of the channel the reply goes to.
    files: tuple[Attachment, ...] = ()

    def payload_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row if b.payload is not None]


class TransientSendError(Exception):
    """A channel could not send now (network, server error, rate limit beyond its retry budget);
    the message is worth trying again later. Permanent failures (blocked bot) return False instead."""


class MailNotConfigured(RuntimeError):
    """No SMTP server is configured: e-mail copies cannot be sent at all."""


@dataclass(frozen=True, slots=True)
class Address:
    """Where a message goes when it is not an answer to the current person (staff chats, clients)."""

    channel: str
    chat_id: str
    thread_id: int | None = None
    user_id: str | None = None


@dataclass(slots=True)
class Outgoing:
    address: Address
    reply: Reply
    staff: bool = False  # shown as staff output in the console
    # Called by ``App.deliver`` with whether the message arrived; returns messages to send next
    # (e.g. tell staff that an answer could not be delivered to a client who blocked the bot).
    on_result: Callable[[bool], Awaitable[list[Outgoing]]] | None = field(default=None, repr=False)

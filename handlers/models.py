"""What flows see: a channel-neutral incoming event and channel-neutral outgoing replies.

Channels (``bot/channels``) translate platform updates into ``Event`` and render ``Reply``;
flows never import aiogram or vk_api.
"""

from __future__ import annotations

import base64
from dataclasses import asdict, dataclass, field
from typing import Any


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
    # The platform it came from: ``file_id`` and ``url`` are valid there. A file of another platform
    # is fetched from its own and uploaded anew by the sender (bot.files).
    channel: str | None = None


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
    # The channel's id of the update (Telegram update_id, VK event_id, MAX message or callback id):
    # an update delivered again (a crash, a webhook retry) is recognised and answered once.
    update_id: str | None = None
    thread_id: int | None = None  # a forum topic of a group (Telegram), where the answer goes too
    group: bool = False  # written in a group chat, not in the person's own dialogue with the bot
    # ``dialogue_url`` opens the person's private dialogue with the bot (where personal data may be asked).
    dialogue_url: str | None = None

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
    # Files a person sent, shown after the text: re-sent by their id on the platform they came from
    # (a Telegram file_id can be sent again), fetched and uploaded anew on any other.
    files: tuple[Attachment, ...] = ()
    # Files to upload (what the sender fetched of ``files`` from another platform).
    uploads: tuple[Document, ...] = ()

    def payload_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row if b.payload is not None]


@dataclass(frozen=True, slots=True)
class Address:
    """Where a message goes when it is not an answer to the current person (staff chats, clients)."""

    channel: str
    chat_id: str
    thread_id: int | None = None
    user_id: str | None = None


@dataclass(slots=True)
class Outgoing:
    """A message to deliver. Everything but the current screen is written to the outbox in the
    event's transaction and sent after the commit.

    ``department``: whose staff may see it if it cannot be delivered; ``person``: the client
    (``channel:user id``) whose data it carries, so that forgetting him removes it; ``hook``: the
    name of a ``handlers.jobs.delivery_hook`` told the outcome, with ``hook_args``; ``bulk``: sent
    paced under the messenger's limits (nobody waits for it); ``edit``: the id of a message the bot
    sent to that chat earlier, to be replaced by this reply where the channel can edit its own
    messages (nothing is sent where it cannot)."""

    address: Address
    reply: Reply
    staff: bool = False  # shown as staff output in the console
    department: str | None = None
    person: str | None = None
    hook: str | None = None
    hook_args: dict[str, Any] | None = None
    bulk: bool = False
    edit: str | None = None


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """A reply as JSON-safe data for the outbox (file contents base64-encoded)."""
    def doc(d: Document | None) -> dict[str, Any] | None:
        return None if d is None else {"filename": d.filename, "mime": d.mime, "caption": d.caption,
                                       "content": base64.b64encode(d.content).decode()}

    return {"text": reply.text, "title": reply.title, "menu": reply.menu, "tag": reply.tag,
            "request_contact": reply.request_contact,
            "buttons": [[{"label": b.label, "payload": b.payload, "url": b.url} for b in row] for row in reply.buttons],
            "venue": None if reply.venue is None else {"latitude": reply.venue.latitude,
                                                       "longitude": reply.venue.longitude,
                                                       "title": reply.venue.title, "address": reply.venue.address},
            "document": doc(reply.document), "image": doc(reply.image),
            "files": [asdict(f) for f in reply.files], "uploads": [doc(d) for d in reply.uploads]}


def reply_from_payload(data: dict[str, Any]) -> Reply:
    def doc(d: dict[str, Any] | None) -> Document | None:
        return None if d is None else Document(d["filename"], base64.b64decode(d["content"]), d["mime"],
                                               d.get("caption"))

    v = data.get("venue")
    return Reply(text=data["text"], title=data.get("title"), menu=bool(data.get("menu")), tag=data.get("tag"),
                 request_contact=bool(data.get("request_contact")),
                 buttons=[[Button(**b) for b in row] for row in data.get("buttons") or []],
                 venue=Venue(**v) if v else None, document=doc(data.get("document")), image=doc(data.get("image")),
                 files=tuple(Attachment(**f) for f in data.get("files") or []),
                 uploads=tuple(d for d in map(doc, data.get("uploads") or []) if d is not None))

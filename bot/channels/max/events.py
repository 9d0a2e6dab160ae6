"""MAX updates as core events: texts, button presses, shared phones, files, the start of a dialogue.

``parse_update`` turns one update (the JSON of ``GET /updates`` or of a webhook POST) into an
``Inbound``: the ``Event`` for the engine (None when there is nothing for a conversation), the
update's own id (``key``: the message ``mid``, the ``callback_id``), what to answer (a button press
is always answered with ``POST /answers``) and where it happened (a dialogue or a group chat).

A dialogue's ``chat_id`` is MAX's id of that dialogue (not the person's id): the bot answers with
``POST /messages?chat_id=...``. In a group chat every message reaches a bot that is an
administrator with "read all messages"; ``addressed`` says whether one is meant for the bot (a
command, a mention of it, a reply to its message), the rest is talk among people.
"""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import Any

from bot.channels.max.types import Attachment as MaxAttachment
from bot.channels.max.types import Message, Update, User
from handlers.models import Attachment, Contact, Event

CHANNEL = "max"


@dataclass(frozen=True, slots=True)
class Me:
    """The bot itself (``GET /me``): its own messages and mentions are told apart by these."""

    user_id: int | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    kind: str  # the update_type
    key: str  # the update's own id: the same update delivered twice has the same key
    event: Event | None = None
    chat_id: int | None = None  # the dialogue or group chat it happened in
    group: bool = False  # a group chat (or channel), not the person's dialogue with the bot
    addressed: bool = True  # in a group: a command, a mention of the bot or a reply to it
    callback_id: str | None = None  # a button press, to answer with POST /answers
    start_payload: str | None = None  # bot_started: the deep-link payload (https://max.ru/<bot>?start=...)
    urls: tuple[tuple[str, str], ...] = ()  # (file token, download URL) of the files in the message

    def url(self, token: str) -> str | None:
        return dict(self.urls).get(token)


def user_name(user: User | None) -> str | None:
    if not user:
        return None
    name = " ".join(x for x in (user.get("first_name"), user.get("last_name")) if x)
    return name or user.get("name") or None


def update_key(update: Update) -> str:
    """The update's own id: a message's ``mid``, a button press's ``callback_id``, otherwise its
    type, chat, person and time (what MAX sends again for a repeated delivery)."""
    kind = update.get("update_type", "")
    if kind == "message_callback" and update.get("callback"):
        return f"cb:{update['callback']['callback_id']}"
    message = update.get("message")
    if kind in ("message_created", "message_edited") and message:
        return f"{kind}:{message['body']['mid']}"
    user = update.get("user") or {}
    return f"{kind}:{update.get('chat_id')}:{user.get('user_id')}:{update.get('timestamp')}"


_TEL = re.compile(r"^(?:item\d+\.)?TEL[^:]*:(.+)$", re.IGNORECASE | re.MULTILINE)
_FN = re.compile(r"^FN[^:]*:(.+)$", re.IGNORECASE | re.MULTILINE)


def contact(payload: dict[str, Any]) -> Contact | None:
    """The phone of a shared contact (the vCard in ``vcf_info``), ``+7…`` for Russian numbers."""
    vcf = payload.get("vcf_info") or ""
    found = _TEL.search(vcf)
    if not found:
        return None
    phone = re.sub(r"[^\d+]", "", found.group(1))
    digits = phone.lstrip("+")
    if not digits:
        return None
    if len(digits) == 11 and digits[0] in "78" and not phone.startswith("+"):
        phone = "+7" + digits[1:]
    elif not phone.startswith("+"):
        phone = "+" + digits
    name = _FN.search(vcf)
    return Contact(phone=phone, name=name.group(1).strip() if name else user_name(payload.get("max_info")))


def _attachment(raw: MaxAttachment) -> Attachment | None:
    kind = raw.get("type")
    payload = raw.get("payload") or {}
    token = payload.get("token")
    url = payload.get("url")  # where the bytes can be read, for staff in another messenger
    if kind == "image":
        return Attachment("photo", token, url=url)
    if kind == "file":
        name = raw.get("filename")
        return Attachment("document", token, filename=name, mime=mimetypes.guess_type(name)[0] if name else None,
                          size=raw.get("size"), url=url)
    if kind == "video":
        return Attachment("video", token, url=url)
    if kind == "audio":
        return Attachment("voice", token, url=url)
    if kind == "sticker":
        return Attachment("sticker", payload.get("code") or payload.get("url"))
    if kind == "location":
        return Attachment("location", f"{raw.get('latitude')},{raw.get('longitude')}")
    if kind in ("inline_keyboard", "contact"):
        return None  # a keyboard is not the person's; a contact is read by ``contact``
    return Attachment("other", payload.get("url"))


def _files(message: Message) -> tuple[tuple[Attachment, ...], Contact | None, tuple[tuple[str, str], ...]]:
    files: list[Attachment] = []
    shared: Contact | None = None
    urls: list[tuple[str, str]] = []
    for raw in message["body"].get("attachments") or []:
        if raw.get("type") == "contact":
            shared = shared or contact(raw.get("payload") or {})
            continue
        found = _attachment(raw)
        if found is not None:
            files.append(found)
            payload = raw.get("payload") or {}
            if payload.get("token") and payload.get("url"):
                urls.append((payload["token"], payload["url"]))
    return tuple(files), shared, tuple(urls)


def _reply_to(message: Message, me: Me) -> str | None:
    """The ``mid`` of the bot's message this one replies to (a staff answer to a card)."""
    link = message.get("link")
    if not link or link.get("type") != "reply":
        return None
    sender = link.get("sender") or {}
    if me.user_id is not None and sender.get("user_id") not in (None, me.user_id):
        return None  # a reply to another person's message
    return link["message"]["mid"]


def _addressed(text: str, replied: bool, me: Me) -> tuple[bool, str]:
    """Is a group message meant for the bot; its text without the mention (a bare mention: menu)."""
    if text.startswith("/"):
        return True, text
    if me.username:
        mention = re.compile(rf"(?<![\w@])@{re.escape(me.username)}\b[\s,:.!]*", re.IGNORECASE)
        stripped = mention.sub(" ", text).strip()
        if stripped != text.strip():
            return True, stripped or "/menu"
    return replied, text


def _message(update: Update, me: Me) -> Inbound:
    message = update.get("message")
    key = update_key(update)
    if not message:
        return Inbound(update["update_type"], key)
    sender = message.get("sender") or {}
    recipient = message["recipient"]
    chat_id = recipient.get("chat_id")
    group = recipient.get("chat_type") != "dialog"
    if not sender or sender.get("is_bot") or recipient.get("chat_type") == "channel" or chat_id is None:
        return Inbound(update["update_type"], key, chat_id=chat_id, group=group, addressed=False)
    files, shared, urls = _files(message)
    text = message["body"].get("text")
    reply_to = _reply_to(message, me)
    addressed = True
    if group:
        addressed, stripped = _addressed(text or "", reply_to is not None, me)
        if text is not None:
            text = stripped
    event = Event(channel=CHANNEL, user_id=str(sender["user_id"]), chat_id=str(chat_id), text=text,
                  contact=shared, attachments=files, user_name=user_name(sender), reply_to=reply_to,
                  message_id=message["body"]["mid"], group=group)
    return Inbound(update["update_type"], key, event, chat_id, group, addressed, urls=urls)


def _callback(update: Update) -> Inbound:
    callback = update["callback"]
    key = update_key(update)
    message = update.get("message")
    user = callback.get("user") or {}
    if not message or not user.get("user_id"):
        return Inbound("message_callback", key, callback_id=callback["callback_id"])
    chat_id = message["recipient"].get("chat_id")
    group = message["recipient"].get("chat_type") != "dialog"
    payload = callback.get("payload") or None
    event = None
    if payload is not None and chat_id is not None:
        event = Event(channel=CHANNEL, user_id=str(user["user_id"]), chat_id=str(chat_id), payload=payload,
                      user_name=user_name(user), message_id=message["body"]["mid"], group=group)
    return Inbound("message_callback", key, event, chat_id, group, callback_id=callback["callback_id"])


def parse_update(update: Update, me: Me = Me()) -> Inbound:
    """What one update means for the bot."""
    kind = update.get("update_type", "")
    if kind == "message_created":
        return _message(update, me)
    if kind == "message_callback" and update.get("callback"):
        return _callback(update)
    chat_id = update.get("chat_id")
    user = update.get("user") or {}
    if kind == "bot_started" and chat_id is not None and user.get("user_id"):
        # The «Начать» button or a deep link: the dialogue begins with the main menu.
        event = Event(channel=CHANNEL, user_id=str(user["user_id"]), chat_id=str(chat_id), text="/start",
                      user_name=user_name(user))
        return Inbound(kind, update_key(update), event, chat_id, start_payload=update.get("payload") or None)
    group = kind in ("bot_added", "bot_removed", "user_added", "user_removed", "chat_title_changed")
    return Inbound(kind, update_key(update), chat_id=chat_id, group=group, addressed=False)

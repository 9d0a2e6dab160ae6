"""Telegram updates as core events, and whether a group message is meant for the bot."""

from __future__ import annotations

import re

from aiogram.enums import ChatType, ContentType
from aiogram.types import CallbackQuery, Message, User

from handlers.engine import COMMANDS
from handlers.matching import NAV_WORDS
from handlers.models import Attachment, Contact, Event

CHANNEL = "telegram"

# What a person writes or sends; everything else (joins, pins, title changes ...) is a service
# message the conversation ignores.
USER_CONTENT = frozenset({
    ContentType.TEXT, ContentType.PHOTO, ContentType.DOCUMENT, ContentType.ANIMATION, ContentType.STICKER,
    ContentType.VOICE, ContentType.VIDEO, ContentType.VIDEO_NOTE, ContentType.AUDIO, ContentType.LOCATION,
    ContentType.VENUE, ContentType.CONTACT, ContentType.POLL, ContentType.DICE, ContentType.STORY,
})


def attachments(message: Message) -> tuple[Attachment, ...]:
    m = message
    if m.photo:
        best = m.photo[-1]  # sizes come smallest first
        return (Attachment("photo", best.file_id, size=best.file_size),)
    if m.animation:  # a GIF also fills ``document``: it is a video for people
        return (Attachment("video", m.animation.file_id, m.animation.file_name, m.animation.mime_type,
                           m.animation.file_size),)
    if m.document:
        return (Attachment("document", m.document.file_id, m.document.file_name, m.document.mime_type,
                           m.document.file_size),)
    if m.sticker:
        return (Attachment("sticker", m.sticker.file_id),)
    if m.voice:
        return (Attachment("voice", m.voice.file_id, mime=m.voice.mime_type, size=m.voice.file_size),)
    if m.video:
        return (Attachment("video", m.video.file_id, m.video.file_name, m.video.mime_type, m.video.file_size),)
    if m.video_note:
        return (Attachment("video", m.video_note.file_id, size=m.video_note.file_size),)
    if m.audio:
        return (Attachment("other", m.audio.file_id, m.audio.file_name, m.audio.mime_type, m.audio.file_size),)
    if m.location or m.venue:
        return (Attachment("location"),)
    if m.contact or m.text or m.caption:
        return ()
    return (Attachment("other"),)  # polls, dice, stories: nothing a flow can read


def contact(message: Message) -> Contact | None:
    c = message.contact
    if c is None:
        return None
    phone = c.phone_number.strip()
    if phone.isdigit():  # Telegram sends own numbers without "+": 79111234567
        phone = "+" + phone
    name = " ".join(x for x in (c.first_name, c.last_name) if x) or None
    return Contact(phone=phone, name=name)


def _command_name(text: str) -> tuple[str, str | None]:
    head = text.split(maxsplit=1)[0].lower()
    name, _, target = head.partition("@")
    return name, target or None


def _known_command(name: str) -> bool:
    return name in COMMANDS or any(name in words for words in NAV_WORDS.values())


def addressed(message: Message, me: User) -> bool:
    """In a group the bot answers only what is meant for it: a command (its own, or a plain one it
    knows), a reply to its message, or a mention of its name."""
    text = message.text or message.caption or ""
    username = (me.username or "").lower()
    if text.startswith("/"):
        name, target = _command_name(text)
        if target is not None:
            return target == username
        return _known_command(name)
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == me.id:
        return True
    if username and f"@{username}" in text.lower():
        return True
    entities = message.entities or message.caption_entities or []
    return any(e.type == "text_mention" and e.user is not None and e.user.id == me.id for e in entities)


def strip_mention(text: str, username: str | None) -> str:
    """``@consult_bot как попасть в резерв`` -> ``как попасть в резерв``; a bare mention calls
    the bot, so it opens the menu."""
    if not username:
        return text
    stripped = re.sub(rf"(?<![\w@])@{re.escape(username)}\b", "", text, flags=re.IGNORECASE).strip()
    return stripped if stripped or not text.strip() else "/menu"


def message_event(message: Message, me: User) -> Event:
    user = message.from_user
    assert user is not None
    text = message.text if message.text is not None else message.caption
    if text is not None:
        text = strip_mention(text, me.username)
    reply = message.reply_to_message
    reply_to = (str(reply.message_id) if reply is not None and reply.from_user is not None
                and reply.from_user.id == me.id else None)
    return Event(channel=CHANNEL, user_id=str(user.id), chat_id=str(message.chat.id), text=text,
                 contact=contact(message), attachments=attachments(message), user_name=user.full_name,
                 reply_to=reply_to, message_id=str(message.message_id), thread_id=topic(message),
                 group=message.chat.type != ChatType.PRIVATE)


def topic(message: Message) -> int | None:
    """The forum topic a message is in (None: not a forum, or its general topic)."""
    return message.message_thread_id if message.is_topic_message else None


def callback_event(query: CallbackQuery, chat_id: int) -> Event:
    message = query.message
    accessible = isinstance(message, Message)  # messages older than 48 hours are not
    return Event(channel=CHANNEL, user_id=str(query.from_user.id), chat_id=str(chat_id), payload=query.data,
                 user_name=query.from_user.full_name,
                 message_id=str(message.message_id) if message is not None else None,
                 thread_id=topic(message) if accessible else None,
                 group=message is not None and message.chat.type != ChatType.PRIVATE)

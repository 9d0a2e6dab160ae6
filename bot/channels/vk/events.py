"""VK long-poll updates as core events: text, button payloads, attachments, places, callbacks.

Group chats (peer_id >= 2000000000) are answered only when the community is addressed (a
mention or a reply to its message), and the answer goes to the person's private dialogue with
the community: a conversation may show a person's name or phone, which the chat must not see.

A chat that is a department's staff destination is different: the staff work there. Every
message in it is an event of that chat (the engine ignores talk that is not for it), a reply to a
card or a card forwarded with a message names the card by its ``conversation_message_id`` (the
community has no other id of a chat's messages), and callback buttons are pressed there.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from bot.channels.vk.render import ClientCaps, button_payload
from handlers.models import Attachment, Event

CHAT_START_ID = 2_000_000_000
CHANNEL = "vk"


@dataclass(frozen=True, slots=True)
class Inbound:
    """What to do with one update: handle ``event``; ``chat_peer`` is the group chat it came from."""

    event: Event
    source: str  # unique id of the update: the seed of random_id of the answers
    chat_peer: int | None = None
    chat_message: int | None = None  # conversation_message_id in the chat, to reply to it
    caps: ClientCaps | None = None


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback button press: always answered with messages.sendMessageEventAnswer."""

    event_id: str
    user_id: int
    peer_id: int


def update_id(update: dict[str, Any]) -> str:
    if update.get("event_id"):
        return str(update["event_id"])
    obj = update.get("object") or {}
    msg = obj.get("message") or obj
    return f"{update.get('type')}:{msg.get('peer_id')}:{msg.get('conversation_message_id') or msg.get('id')}"


# Photo size types from the smallest to the largest (dev.vk.com, «Формат описания размеров фотографии»):
# used when a size gives no width and height.
_SIZE_ORDER = "smopqrxyzw"


def largest_photo_url(photo: dict[str, Any]) -> str | None:
    """The link to the largest copy VK keeps of a photo (the original, ``orig_photo``, if given)."""
    sizes = [s for s in [*(photo.get("sizes") or []), photo.get("orig_photo") or {}] if s.get("url")]
    if not sizes:
        return None
    best = max(sizes, key=lambda s: ((s.get("width") or 0) * (s.get("height") or 0),
                                     _SIZE_ORDER.find(str(s.get("type")))))
    return str(best["url"])


def _attachment(raw: dict[str, Any]) -> Attachment:
    kind = raw.get("type", "")
    item = raw.get(kind) or {}
    ident = None
    if "owner_id" in item and "id" in item:
        ident = f"{kind}{item['owner_id']}_{item['id']}" + (f"_{item['access_key']}" if item.get("access_key") else "")
    if kind == "photo":
        return Attachment("photo", ident, mime="image/jpeg", url=largest_photo_url(item))
    if kind == "doc":
        title = item.get("title") or f"document.{item.get('ext', 'bin')}"
        return Attachment("document", ident, filename=title, mime=mimetypes.guess_type(title)[0],
                          size=item.get("size"), url=item.get("url"))
    if kind == "audio_message":
        return Attachment("voice", ident, mime="audio/ogg", url=item.get("link_ogg"))
    if kind in ("video", "sticker"):
        return Attachment(kind, ident)
    return Attachment("other", ident)


def _geo(raw: dict[str, Any]) -> Attachment | None:
    coords = raw.get("coordinates") or {}
    if "latitude" in coords and "longitude" in coords:
        return Attachment("location", f"{coords['latitude']},{coords['longitude']}")
    return None


def _caps(info: dict[str, Any] | None) -> ClientCaps | None:
    if not info:
        return None
    return ClientCaps(inline=bool(info.get("inline_keyboard", True)),
                      callback="callback" in (info.get("button_actions") or ["callback"]))


def _addressed(message: dict[str, Any], group_id: int) -> tuple[bool, str]:
    """Is a group chat message meant for the community; the text without the mention."""
    text = message.get("text") or ""
    mention = re.compile(rf"\[(?:club|public){group_id}\|[^\]]*\][\s,:.!]*|@(?:club|public){group_id}\b[\s,:.!]*")
    stripped = mention.sub(" ", text).strip()
    reply = message.get("reply_message") or {}
    return stripped != text.strip() or reply.get("from_id") == -group_id, stripped


def _card_in_chat(message: dict[str, Any], group_id: int) -> str | None:
    """The ``conversation_message_id`` of the community's message in this chat that a staff message
    replies to, or forwards (the first such): the card it answers."""
    peer = message.get("peer_id")
    reply = message.get("reply_message")
    for quoted in ([reply] if reply else []) + list(message.get("fwd_messages") or []):
        if (quoted.get("from_id") == -group_id and quoted.get("peer_id", peer) == peer
                and quoted.get("conversation_message_id")):
            return str(quoted["conversation_message_id"])
    return None


def _staff_chat_message(update: dict[str, Any], message: dict[str, Any], group_id: int) -> Inbound:
    """A message in a staff chat: an event of the chat itself (its answers are shown there)."""
    _, text = _addressed(message, group_id)
    files = [_attachment(a) for a in message.get("attachments") or []]
    event = Event(channel=CHANNEL, user_id=str(message["from_id"]), chat_id=str(message["peer_id"]),
                  text=text or None, attachments=tuple(files), reply_to=_card_in_chat(message, group_id),
                  message_id=str(message.get("conversation_message_id") or "") or None, group=True)
    return Inbound(event, update_id(update))


def parse_message(update: dict[str, Any], group_id: int, staff_chats: Collection[int] = ()) -> Inbound | None:
    """A ``message_new`` update as an event; None for what the bot does not answer. ``staff_chats``:
    the peer ids of the chats that are staff destinations."""
    obj = update.get("object") or {}
    message = obj.get("message") or {}
    from_id, peer_id = int(message.get("from_id") or 0), int(message.get("peer_id") or 0)
    if from_id <= 0 or peer_id <= 0 or message.get("action"):  # communities, service messages
        return None
    if peer_id in staff_chats:
        return _staff_chat_message(update, message, group_id)
    text = message.get("text") or ""
    chat_peer = None
    if peer_id >= CHAT_START_ID:
        addressed, text = _addressed(message, group_id)
        if not addressed:
            return None
        chat_peer = peer_id
        if not text and not message.get("attachments"):
            text = "/menu"  # a bare mention: show the menu, keeping a conversation in progress
    payload = None
    raw_payload = message.get("payload")
    if raw_payload and chat_peer is None:
        payload = button_payload(raw_payload)
        if payload is None and _is_start(raw_payload):
            text = "/start"  # the «Начать» button of a new dialogue
    files = [_attachment(a) for a in message.get("attachments") or []]
    geo = _geo(message.get("geo") or {})
    if geo:
        files.append(geo)
    reply = message.get("reply_message") or {}
    event = Event(channel=CHANNEL, user_id=str(from_id), chat_id=str(from_id if chat_peer else peer_id),
                  text=text or None, payload=payload, attachments=tuple(files),
                  reply_to=str(reply["id"]) if reply.get("id") and chat_peer is None else None,
                  message_id=str(message["id"]) if message.get("id") else None)
    return Inbound(event, update_id(update), chat_peer, message.get("conversation_message_id"),
                   _caps(obj.get("client_info")))


def community_added(update: dict[str, Any], group_id: int) -> int | None:
    """The peer id of a chat the community was just added to (a ``chat_invite_user`` service
    message naming it), else None: what an administrator needs for ``STAFF_CHATS``."""
    message = (update.get("object") or {}).get("message") or {}
    action = message.get("action") or {}
    if action.get("type") == "chat_invite_user" and action.get("member_id") == -group_id:
        peer = int(message.get("peer_id") or 0)
        return peer if peer >= CHAT_START_ID else None
    return None


def _is_start(raw: str) -> bool:
    try:
        data = json.loads(raw)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("command") == "start"


def parse_callback(update: dict[str, Any], staff_chats: Collection[int] = ()
                   ) -> tuple[Callback, Inbound | None] | None:
    """A ``message_event`` (callback button): what to answer, and the event unless from a chat
    that is not a staff chat (citizens get no callback keyboards in chats)."""
    obj = update.get("object") or {}
    if not obj.get("event_id") or not obj.get("user_id") or not obj.get("peer_id"):
        return None
    user_id, peer_id = int(obj["user_id"]), int(obj["peer_id"])
    answer = Callback(str(obj["event_id"]), user_id, peer_id)
    payload = button_payload(obj.get("payload"))
    staff_chat = peer_id in staff_chats
    if payload is None or (peer_id >= CHAT_START_ID and not staff_chat):
        return answer, None
    cmid = obj.get("conversation_message_id")
    event = Event(channel=CHANNEL, user_id=str(user_id), chat_id=str(peer_id), payload=payload,
                  message_id=str(cmid) if cmid else None, group=staff_chat)
    return answer, Inbound(event, update_id(update))

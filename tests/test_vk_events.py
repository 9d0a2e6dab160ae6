"""VK updates as core events: what the engine gets from text, buttons, files, places and chats."""

from __future__ import annotations

import json

from bot.channels.vk.events import largest_photo_url, parse_callback, parse_message
from bot.channels.vk.render import ClientCaps
from handlers.models import Attachment

GROUP = 77
CHAT = 2_000_000_003


def _update(text: str = "", *, from_id: int = 42, peer_id: int | None = None, **fields: object) -> dict:
    message = {"id": 900, "from_id": from_id, "peer_id": peer_id or from_id, "text": text,
               "conversation_message_id": 12, "attachments": [], **fields}
    return {"type": "message_new", "event_id": "abc123", "object": {"message": message, "client_info": {
        "button_actions": ["text", "callback", "open_link"], "inline_keyboard": True}}, "group_id": GROUP}


def test_private_text_message() -> None:
    inbound = parse_message(_update("Как попасть в резерв?"), GROUP)
    assert inbound is not None
    e = inbound.event
    assert (e.channel, e.user_id, e.chat_id, e.text, e.payload, e.message_id) == \
        ("vk", "42", "42", "Как попасть в резерв?", None, "900")
    assert inbound.source == "abc123" and inbound.chat_peer is None
    assert inbound.caps == ClientCaps(inline=True, callback=True)


def test_text_button_payloads() -> None:
    inbound = parse_message(_update("Аттестация", payload=json.dumps({"p": "a1b2c3.t_attestation"})), GROUP)
    assert inbound is not None and inbound.event.payload == "a1b2c3.t_attestation"
    start = parse_message(_update("Начать", payload='{"command":"start"}'), GROUP)
    assert start is not None and start.event.text == "/start" and start.event.payload is None
    other = parse_message(_update("Привет", payload='{"button":"1"}'), GROUP)
    assert other is not None and other.event.text == "Привет" and other.event.payload is None


def test_attachments_and_place() -> None:
    sizes = [{"type": "s", "url": "https://sun9-1.userapi.com/s.jpg", "width": 75, "height": 56},
             {"type": "w", "url": "https://sun9-1.userapi.com/w.jpg", "width": 2560, "height": 1920},
             {"type": "x", "url": "https://sun9-1.userapi.com/x.jpg", "width": 604, "height": 453}]
    files = [
        {"type": "photo", "photo": {"id": 1, "owner_id": 42, "access_key": "ak", "sizes": sizes}},
        {"type": "doc", "doc": {"id": 2, "owner_id": 42, "title": "заявление.pdf", "size": 2048, "ext": "pdf",
                                "url": "https://vk.com/doc42_2?hash=h&dl=d"}},
        {"type": "audio_message", "audio_message": {"id": 3, "owner_id": 42, "link_ogg": "https://psv4.vk.me/a.ogg"}},
        {"type": "sticker", "sticker": {"sticker_id": 9}},
        {"type": "wall", "wall": {"id": 4, "owner_id": -1}},
    ]
    geo = {"type": "point", "coordinates": {"latitude": 59.94, "longitude": 30.38}}
    inbound = parse_message(_update("", attachments=files, geo=geo), GROUP)
    assert inbound is not None
    assert inbound.event.text is None  # files only: the engine asks the step about the files
    assert inbound.event.attachments == (
        Attachment("photo", "photo42_1_ak", mime="image/jpeg", url="https://sun9-1.userapi.com/w.jpg"),
        Attachment("document", "doc42_2", filename="заявление.pdf", mime="application/pdf", size=2048,
                   url="https://vk.com/doc42_2?hash=h&dl=d"),
        Attachment("voice", "audio_message42_3", mime="audio/ogg", url="https://psv4.vk.me/a.ogg"),
        Attachment("sticker", None),
        Attachment("other", "wall-1_4"),
        Attachment("location", "59.94,30.38"),
    )


def test_the_largest_copy_of_a_photo_is_its_link() -> None:
    """By width and height; by VK's order of size types where a size has none (old photos give 0)."""
    assert largest_photo_url({"sizes": []}) is None
    by_type = [{"type": t, "url": f"https://u/{t}.jpg", "width": 0, "height": 0} for t in "zmsyxw"]
    assert largest_photo_url({"sizes": by_type}) == "https://u/w.jpg"
    original = {"type": "base", "url": "https://u/orig.jpg", "width": 4000, "height": 3000}
    assert largest_photo_url({"sizes": by_type[:1], "orig_photo": original}) == "https://u/orig.jpg"


def test_reply_to_a_bot_message() -> None:
    inbound = parse_message(_update("Уточняю: стаж 5 лет", reply_message={"id": 777, "from_id": -GROUP}), GROUP)
    assert inbound is not None and inbound.event.reply_to == "777"


def test_what_is_not_answered() -> None:
    assert parse_message(_update("бот-сосед", from_id=-5), GROUP) is None
    assert parse_message(_update("", action={"type": "chat_invite_user", "member_id": -GROUP}), GROUP) is None
    assert parse_message(_update("просто болтаем", peer_id=CHAT), GROUP) is None


def test_group_chat_addressed_by_mention_or_reply_is_answered_in_private() -> None:
    inbound = parse_message(_update("[club77|@consult], как попасть в резерв?", peer_id=CHAT), GROUP)
    assert inbound is not None
    assert inbound.event.text == "как попасть в резерв?"
    assert inbound.event.chat_id == "42"  # the private dialogue, not the chat
    assert inbound.chat_peer == CHAT and inbound.chat_message == 12
    by_reply = parse_message(_update("а телефон?", peer_id=CHAT, reply_message={"from_id": -GROUP, "id": 0}), GROUP)
    assert by_reply is not None and by_reply.event.text == "а телефон?" and by_reply.event.reply_to is None
    bare = parse_message(_update("[public77|Консультант]", peer_id=CHAT), GROUP)
    assert bare is not None and bare.event.text == "/menu"
    other_group = parse_message(_update("[club78|@other] привет", peer_id=CHAT), GROUP)
    assert other_group is None


def test_callback_button() -> None:
    update = {"type": "message_event", "event_id": "u1", "group_id": GROUP, "object": {
        "user_id": 42, "peer_id": 42, "event_id": "3f2a", "payload": {"p": "g.menu"},
        "conversation_message_id": 15}}
    parsed = parse_callback(update)
    assert parsed is not None
    answer, inbound = parsed
    assert (answer.event_id, answer.user_id, answer.peer_id) == ("3f2a", 42, 42)
    assert inbound is not None and inbound.event.payload == "g.menu" and inbound.event.chat_id == "42"
    update["object"]["peer_id"] = CHAT
    answer, inbound = parse_callback(update)  # type: ignore[misc]
    assert answer.peer_id == CHAT and inbound is None  # answered, not handled
    update["object"].update(peer_id=42, payload={"something": "else"})
    answer, inbound = parse_callback(update)  # type: ignore[misc]
    assert inbound is None


def test_old_app_capabilities() -> None:
    update = _update("привет")
    update["object"]["client_info"] = {"button_actions": ["text"], "inline_keyboard": False}
    inbound = parse_message(update, GROUP)
    assert inbound is not None and inbound.caps == ClientCaps(inline=False, callback=False)

"""MAX updates as core events. The updates are made by the fake MAX API as MAX sends them (and are
checked against MAX's description there): texts, presses, starts, phones, files, places, staff
replies to cards in a group chat, and what is nothing for a conversation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.channels.max.events import Inbound, Me, parse_update
from handlers.models import Attachment, Contact, Event
from tests.fake_max_api import FakeMax

ME = Me(user_id=900_001, username="consult_bot")


@pytest.fixture
def fake() -> Iterator[FakeMax]:
    """The model of MAX without its server: the updates are all that is needed here."""
    fake = FakeMax()
    yield fake
    assert fake.violations == []


def last(fake: FakeMax) -> Inbound:
    return parse_update(fake.updates[-1][1], ME)  # type: ignore[arg-type]


def test_a_text_in_the_dialogue(fake: FakeMax) -> None:
    mid = fake.write(7, "Как попасть в кадровый резерв?")
    got = last(fake)
    chat = fake.dialog(7)
    assert got.event == Event(channel="max", user_id="7", chat_id=str(chat), text="Как попасть в кадровый резерв?",
                              user_name="Иван Петров", message_id=mid)
    assert (got.kind, got.key, got.chat_id, got.group, got.addressed) == ("message_created",
                                                                          f"message_created:{mid}", chat, False, True)


def test_a_button_press_carries_its_payload_and_the_message_it_was_on(fake: FakeMax) -> None:
    chat = fake.dialog(7)
    mid = fake.bot_said(chat, "Выберите тему")
    callback = fake.press(7, mid, "t3.2")
    got = last(fake)
    assert got.event == Event(channel="max", user_id="7", chat_id=str(chat), payload="t3.2", user_name="Иван Петров",
                              message_id=mid)
    assert (got.callback_id, got.key) == (callback, f"cb:{callback}")


def test_a_press_without_payload_is_answered_but_is_no_event(fake: FakeMax) -> None:
    mid = fake.bot_said(fake.dialog(7), "Выберите тему")
    fake.press(7, mid, "")
    got = last(fake)
    assert got.event is None and got.callback_id is not None


def test_the_start_button_and_a_deep_link_open_the_menu(fake: FakeMax) -> None:
    fake.begin(7)
    plain = last(fake)
    fake.begin(8, payload="awards")
    linked = last(fake)
    assert plain.event is not None and plain.event.text == "/start" and plain.start_payload is None
    assert linked.event == Event(channel="max", user_id="8", chat_id=str(fake.dialog(8)), text="/start",
                                 user_name="Иван Петров")
    assert (linked.kind, linked.start_payload) == ("bot_started", "awards")


@pytest.mark.parametrize(("shared", "phone"), [
    ("79111234567", "+79111234567"), ("89111234567", "+79111234567"), ("+7 (911) 123-45-67", "+79111234567"),
    ("375291234567", "+375291234567")])
def test_a_shared_phone_is_a_contact(fake: FakeMax, shared: str, phone: str) -> None:
    fake.user(7, "Мария", "Сидорова")
    fake.share_contact(7, shared)
    got = last(fake)
    assert got.event is not None
    assert got.event.contact == Contact(phone=phone, name="Мария Сидорова")
    assert got.event.text is None and got.event.attachments == ()


def test_files_and_photos_keep_their_token_name_and_address(fake: FakeMax) -> None:
    fake.send_file(7, "Справка о доходах.pdf", b"%PDF-1.4 ...", text="Документы к заявлению")
    doc = last(fake)
    fake.send_file(7, "scan.jpg", b"\xff\xd8\xff", kind="image")
    photo = last(fake)
    assert doc.event is not None and photo.event is not None
    [file] = doc.event.attachments
    token = file.file_id
    assert file == Attachment("document", token, filename="Справка о доходах.pdf", mime="application/pdf", size=12,
                              url=f"{fake.base_url}/files/{token}")
    assert doc.event.text == "Документы к заявлению"
    assert doc.url(token or "") == file.url
    [image] = photo.event.attachments
    assert image.kind == "photo" and image.file_id and photo.url(image.file_id) == image.url


def test_a_place_is_a_location(fake: FakeMax) -> None:
    fake.send_location(7, 59.9386, 30.3141)
    got = last(fake)
    assert got.event is not None and got.event.attachments == (Attachment("location", "59.9386,30.3141"),)


def test_a_staff_reply_to_a_card_in_a_group_names_the_card(fake: FakeMax) -> None:
    fake.user(501, "Ольга", "Иванова")
    chat = fake.group(members=(501,))
    card = fake.bot_said(chat, "Запрос №17: справка о стаже")
    reply = fake.write(501, "Добрый день! Справку можно получить в каб. 12.", chat_id=chat, reply_to=card)
    got = last(fake)
    assert got.event == Event(channel="max", user_id="501", chat_id=str(chat),
                              text="Добрый день! Справку можно получить в каб. 12.", user_name="Ольга Иванова",
                              reply_to=card, message_id=reply, group=True)
    assert (got.group, got.addressed) == (True, True)


def test_a_reply_to_someone_else_is_not_a_reply_to_the_bot(fake: FakeMax) -> None:
    chat = fake.group(members=(501, 502))
    other = fake.write(502, "Коллеги, кто сегодня дежурит?", chat_id=chat)
    fake.write(501, "Я", chat_id=chat, reply_to=other)
    got = last(fake)
    assert got.event is not None and got.event.reply_to is None
    assert got.addressed is False  # talk among staff: not for the bot


def test_a_group_message_is_for_the_bot_only_when_it_is_addressed(fake: FakeMax) -> None:
    chat = fake.group(members=(501,))
    fake.write(501, "Обед в 13:00", chat_id=chat)
    talk = last(fake)
    fake.write(501, "@consult_bot сколько запросов в работе?", chat_id=chat)
    mention = last(fake)
    fake.write(501, "@consult_bot", chat_id=chat)
    bare = last(fake)
    fake.write(501, "/requests", chat_id=chat)
    command = last(fake)
    assert talk.addressed is False
    assert mention.addressed and mention.event is not None and mention.event.text == "сколько запросов в работе?"
    assert bare.event is not None and bare.event.text == "/menu"
    assert command.addressed and command.event is not None and command.event.text == "/requests"


def test_the_bot_learns_of_a_new_group_chat(fake: FakeMax) -> None:
    chat = fake.add_bot(501, "Награды — сотрудники")
    got = last(fake)
    assert (got.kind, got.chat_id, got.group, got.event) == ("bot_added", chat, True, None)


@pytest.mark.parametrize("act", ["stop", "remove"])
def test_a_stop_or_a_removal_is_no_conversation(fake: FakeMax, act: str) -> None:
    if act == "stop":
        fake.stop_bot(7)
        kind, chat = "bot_stopped", fake.dialog(7)
    else:
        chat = fake.add_bot(501)
        fake.remove_bot(chat, 501)
        kind = "bot_removed"
    got = last(fake)
    assert (got.kind, got.chat_id, got.event) == (kind, chat, None)
    assert got.key.startswith(f"{kind}:{chat}:")


def test_what_bots_write_and_unknown_updates_are_ignored(fake: FakeMax) -> None:
    fake.write(7, "эхо")
    echo = dict(fake.updates[-1][1])
    echo["message"] = {**echo["message"], "sender": fake.bot}
    assert parse_update(echo, ME).event is None  # type: ignore[arg-type]
    assert parse_update({"update_type": "message_chat_created", "timestamp": 1}, ME).event is None


def test_the_same_update_twice_has_the_same_key(fake: FakeMax) -> None:
    fake.write(7, "вопрос")
    update = fake.updates[-1][1]
    assert parse_update(update, ME).key == parse_update(dict(update), ME).key  # type: ignore[arg-type]

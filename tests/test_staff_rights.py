"""Who acts for which department, and where: a Telegram forum group with a topic per department
keeps them apart (through the Telegram adapter: the topic comes from the update); a staff member
the directory lists works from his private dialogue with the bot; commands that print clients'
data are not answered in an ordinary group, even to an admin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.settings import Settings
from handlers import texts
from tests.conftest import FakeClock
from tests.requests_helpers import RecordingChannel, write_request
from tests.telegram_harness import TelegramHarness

FORUM = -1005  # one group, a topic per department
PERSONNEL_TOPIC, AWARDS_TOPIC = 2, 3
CLIENT, OTHER_CLIENT, STAFF, AWARDS_STAFF, ADMIN = 5001, 5002, 9001, 9002, 700


def _settings(settings: Settings, **extra: object) -> Settings:
    values = settings.model_dump()
    values.update(staff_chats=f"personnel=telegram:{FORUM}/{PERSONNEL_TOPIC};awards=telegram:{FORUM}/{AWARDS_TOPIC}",
                  department_staff="personnel=telegram:9101;awards=telegram:9102",
                  department_heads="personnel=telegram:9103", staff_admin_ids=f"telegram:{ADMIN}", flood_burst=1000)
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def forum(settings: Settings, clock: FakeClock) -> AsyncIterator[TelegramHarness]:
    app = await App.create(_settings(settings), clock=clock, migrate=False)
    h = TelegramHarness(app)
    h.api.add_group(FORUM, "Сотрудники управления", forum=True)
    yield h
    await app.close()


async def _request(h: TelegramHarness, client: int, text: str) -> None:
    await h.send_text(client, "/start")
    await h.send_text(client, "Написать в отдел")
    await h.send_text(client, text)
    await h.press(client, "Готово")
    await h.press(client, "Согласен(на)")
    await h.send_text(client, "Пётр Сидоров")
    await h.share_contact(client, "+79110001122")
    await h.press(client, "Только в этот чат")
    await h.press(client, "Отправить")


def _in_topic(h: TelegramHarness, topic: int) -> list[str]:
    return [m.text for m in h.sent(FORUM) if m.thread_id == topic]


async def test_a_forum_group_keeps_its_departments_apart(forum: TelegramHarness) -> None:
    h = forum
    await _request(h, CLIENT, "Прошу выдать справку о стаже работы для оформления пенсии.")
    await _request(h, OTHER_CLIENT, "Как оформить наградной лист на государственную награду для коллеги?")
    personnel, awards = _in_topic(h, PERSONNEL_TOPIC), _in_topic(h, AWARDS_TOPIC)
    assert [t.split("\n")[0] for t in personnel] == ["Обращение №1 · принято"]
    assert [t.split("\n")[0] for t in awards] == ["Обращение №2 · принято"]
    assert "Тема: Государственные награды" in awards[0]

    # each topic lists and opens only its own department's requests
    await h.send_to_chat(FORUM, AWARDS_STAFF, "/requests", thread_id=AWARDS_TOPIC)
    listing = _in_topic(h, AWARDS_TOPIC)[-1]
    assert listing.startswith("Открытые обращения (1)") and "№2 ·" in listing and "№1 ·" not in listing
    await h.send_to_chat(FORUM, AWARDS_STAFF, "/request 1", thread_id=AWARDS_TOPIC)
    assert _in_topic(h, AWARDS_TOPIC)[-1] == texts.ST_OTHER_DEPARTMENT.format(number=1)
    await h.send_to_chat(FORUM, AWARDS_STAFF, "/answer 1 Не наш вопрос", thread_id=AWARDS_TOPIC)
    assert _in_topic(h, AWARDS_TOPIC)[-1] == texts.ST_OTHER_DEPARTMENT.format(number=1)

    # a reply to the card in its topic answers its client
    card = next(m for m in h.sent(FORUM) if m.text.startswith("Обращение №1"))
    await h.send_to_chat(FORUM, STAFF, "Справка будет готова в четверг.", reply_to_message_id=card.message_id,
                         thread_id=PERSONNEL_TOPIC)
    assert _in_topic(h, PERSONNEL_TOPIC)[-1] == "Ответ по обращению №1 принят и отправляется клиенту (Telegram)."
    assert "Справка будет готова в четверг." in h.last_text(CLIENT)
    # talk in a topic is not for the bot
    sent = len(h.sent(FORUM))
    await h.send_to_chat(FORUM, STAFF, "Коллеги, кто возьмёт №1?", thread_id=PERSONNEL_TOPIC)
    assert len(h.sent(FORUM)) == sent

    # a request moved to the other department from its card: the other topic gets it anew
    await _request(h, 5003, "Прошу выдать копию приказа о переводе.")
    card = next(m for m in h.sent(FORUM) if m.text.startswith("Обращение №3"))
    await h.press(STAFF, "Изменить тему", chat_id=FORUM, message_id=card.message_id)
    await h.press(STAFF, "Государственные награды", chat_id=FORUM)  # on the chooser
    assert _in_topic(h, PERSONNEL_TOPIC)[-1].startswith("Обращение №3 передано")
    assert _in_topic(h, AWARDS_TOPIC)[-2] == texts.ST_MOVED_IN.format(number=3)
    assert _in_topic(h, AWARDS_TOPIC)[-1].startswith("Обращение №3 · принято")


async def test_listed_staff_work_from_their_private_dialogue(forum: TelegramHarness) -> None:
    h = forum
    await _request(h, CLIENT, "Прошу выдать справку о стаже работы для оформления пенсии.")
    await _request(h, OTHER_CLIENT, "Как оформить наградной лист на государственную награду для коллеги?")
    await h.send_text(9101, "/requests")  # personnel staff, privately
    assert h.last_text(9101).startswith("Открытые обращения (1)") and "№1 ·" in h.last_text(9101)
    await h.send_text(9101, "/request 2")
    assert h.last_text(9101) == texts.ST_OTHER_DEPARTMENT.format(number=2)
    # only a head sets deadlines, of his department
    await h.send_text(9101, "/extend 1 10")
    assert h.last_text(9101) == texts.ST_ONLY_HEAD
    await h.send_text(9103, "/extend 2 10")
    assert h.last_text(9103) == texts.ST_OTHER_DEPARTMENT.format(number=2)
    await h.send_text(9103, "/extend 1 10")
    assert h.last_text(9103) == texts.ST_DEADLINE_SET.format(number=1, due="26.04.2026")
    # a card shown privately: a reply to it answers the client
    await h.send_text(9101, "/request 1")
    card = h.sent(9101)[-1]
    assert card.text.startswith("Обращение №1 · принято") and "Взять в работу" in card.labels
    await h.send_to_chat(9101, 9101, "Справка готова, заберите в каб. 210.", reply_to_message_id=card.message_id)
    assert h.last_text(9101) == "Ответ по обращению №1 принят и отправляется клиенту (Telegram)."
    assert "Справка готова, заберите в каб. 210." in h.last_text(CLIENT)
    # a citizen gets no staff commands
    await h.send_text(OTHER_CLIENT, "/requests")
    assert texts.STAFF_ONLY in h.messages(OTHER_CLIENT)[-2:]  # and his menu again


async def test_personal_data_commands_are_not_answered_in_an_ordinary_group(forum: TelegramHarness) -> None:
    h = forum
    await _request(h, CLIENT, "Прошу выдать справку о стаже работы для оформления пенсии.")
    group = -1009
    h.api.add_group(group, "Сотрудники и гости")
    for command in ("/requests", "/request 1", "/visits", "/visits_week", "/undelivered"):
        await h.send_to_chat(group, ADMIN, command)
        assert h.last_text(group) == texts.STAFF_NOT_IN_GROUP, command
    assert not any("Пётр Сидоров" in t for t in h.messages(group))
    await h.send_text(ADMIN, "/request 1")  # the same admin, privately
    assert "Пётр Сидоров" in h.last_text(ADMIN)


async def test_a_moved_request_reaches_every_destination_of_its_new_department(
        settings: Settings, clock: FakeClock) -> None:
    app = await App.create(_settings(settings, staff_chats="personnel=telegram:-1001;awards=telegram:-1002,"
                                                           "telegram:-1003"), clock=clock, migrate=False)
    try:
        tg = RecordingChannel(app)
        await write_request(tg, str(CLIENT))
        assert tg.chat("-1002") == [] and tg.last("-1001").startswith("Обращение №1")
        await tg.send(str(STAFF), "/take 1", chat_id="-1001")
        buttons = tg.buttons("-1001")
        await tg.send(str(STAFF), payload=buttons["Изменить тему"], chat_id="-1001")
        await tg.send(str(STAFF), payload=tg.buttons("-1001")["Государственные награды"], chat_id="-1001")
        for chat in ("-1002", "-1003"):
            moved, card = tg.chat(chat)
            assert moved == texts.ST_MOVED_IN.format(number=1)
            assert card.startswith("Обращение №1 · в работе") and "Тема: Государственные награды" in card
    finally:
        await app.close()


async def test_staff_see_staff_commands_in_their_topics_and_private_chats(forum: TelegramHarness) -> None:
    for person in (9101, 9103, ADMIN):
        forum.api.private_chat(person)  # they have started the bot (else Telegram knows no chat of theirs)
    await forum.start()  # the command menus, as run_telegram sets them
    staff_menu = {"requests", "request", "answer", "visits", "undelivered"}
    for scope in (f"chat:{FORUM}", "chat:9101", "chat:9103", f"chat:{ADMIN}"):
        assert staff_menu <= {c["command"] for c in forum.api.commands[scope]}, scope
    assert not staff_menu & {c["command"] for c in forum.api.commands["default"]}

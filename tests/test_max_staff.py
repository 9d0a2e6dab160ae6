"""Staff in MAX, over the real channel module and the fake MAX API: a department's staff chat in
MAX gets the request card with its buttons and the client's file, a button on the card works, a
staff reply to the card (MAX ``link.type == "reply"``) answers the client on his channel, staff
commands work in the chat and talk among staff is left alone. And a MAX client answered by staff in
a Telegram staff chat (VK staff chats are not on main yet).

Until channel-qualified staff destinations land (STAFF_CHATS=personnel=max:<chat id>), the MAX
staff chat is put into ``services.staff_chats`` and cards are routed to it through ``staff_address``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.settings import Settings
from handlers import texts
from tests.conftest import FakeClock
from tests.fake_max_api import FakeMax
from tests.max_harness import MaxBot, MaxPerson, max_settings
from tests.requests_helpers import STAFF_CHAT as TELEGRAM_STAFF_CHAT
from tests.requests_helpers import staff_settings
from tests.telegram_harness import TelegramHarness

pytest_plugins = ["tests.max_fixtures"]  # fake_max

CLIENT, STAFF, COLLEAGUE = 7, 9001, 9002
REQUEST = "Прошу выдать справку о стаже работы в отделе кадров для оформления пенсии."


async def write_request(client: MaxPerson, text: str = REQUEST) -> str:
    """From «Начать» to «Отправить», with a document; the confirmation the client sees."""
    await client.begin()
    await client.press("Обращения в отдел")
    await client.press("Написать в отдел")
    await client.say(text)
    await client.send_file("Трудовая книжка.pdf", b"%PDF-1.4 scan")
    await client.press(texts.BTN_RQ_DONE)
    await client.press(texts.BTN_CONSENT_YES)
    await client.say("Пётр Сидоров")
    await client.share_contact("+79110001122")
    await client.press(texts.BTN_RQ_ONLY_HERE)
    return (await client.press(texts.BTN_RQ_SEND)).text


@pytest.fixture(params=["webhook", "polling"])
async def staffed(request: pytest.FixtureRequest, settings: Settings, clock: FakeClock, fake_max: FakeMax,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[MaxBot, int]]:
    group = fake_max.group("Отдел кадров — сотрудники", members=(STAFF, COLLEAGUE))
    configured = max_settings(settings, fake_max, request.param).model_copy(
        update={"staff_chats": f"personnel=max:{group}"})
    app = await App.create(configured, clock=clock, migrate=False)
    bot = await MaxBot(app, fake_max).start()
    yield bot, group
    await bot.close()
    await app.close()


async def test_a_request_answered_in_the_max_staff_chat(staffed: tuple[MaxBot, int], fake_max: FakeMax) -> None:
    bot, group = staffed
    client = bot.person(CLIENT)
    confirmation = await write_request(client)
    assert "Обращение №1 принято" in confirmation

    chat = fake_max.sent_to(group)
    card = next(m for m in chat if m.text.startswith("Обращение №1"))
    assert "Канал ответа: MAX" in card.text and REQUEST in card.text
    assert "Взять в работу" in card.labels
    [resent] = [m for m in chat if m.of_type("file")]
    assert resent.of_type("file")[0]["filename"] == "Трудовая книжка.pdf"  # the client's file, by its token

    fake_max.press_button(STAFF, card, "Взять в работу")
    await bot.settled()
    latest = fake_max.sent_to(group)[-1]
    assert latest.text.startswith("Обращение №1 · в работе") and "Исполнитель: Иван Петров" in latest.text

    fake_max.write(COLLEAGUE, "Кто сегодня на приёме?", chat_id=group)  # talk among staff: not for the bot
    await bot.settled()
    assert fake_max.sent_to(group)[-1].mid == latest.mid

    fake_max.write(STAFF, "Справка готова, заберите в каб. 210.", chat_id=group, reply_to=card.mid)
    await bot.settled()
    assert fake_max.sent_to(group)[-1].text == "Ответ по обращению №1 принят и отправляется клиенту (MAX)."
    answer = client.received()[-1]
    assert answer.text.startswith("Ответ на ваше обращение №1")
    assert "Справка готова, заберите в каб. 210." in answer.text

    fake_max.write(STAFF, "/undelivered", chat_id=group)  # a staff command in the chat
    await bot.settled()
    assert fake_max.sent_to(group)[-1].text == texts.UNDELIVERED_NONE


@pytest.mark.parametrize("mode", ["webhook"])
async def test_a_max_client_answered_from_the_telegram_staff_chat(settings: Settings, clock: FakeClock,
                                                                   fake_max: FakeMax, mode: str) -> None:
    app = await App.create(staff_settings(max_settings(settings, fake_max, mode)), clock=clock, migrate=False)
    telegram = TelegramHarness(app)
    bot = await MaxBot(app, fake_max).start()
    try:
        client = bot.person(CLIENT)
        assert "Обращение №1 принято" in await write_request(client)
        chat = int(TELEGRAM_STAFF_CHAT)
        card = next(m for m in telegram.sent(chat) if m.text.startswith("Обращение №1"))
        assert "Канал ответа: MAX" in card.text
        assert "Трудовая книжка.pdf" in card.text  # a MAX file is named on a Telegram card, not re-sent
        await telegram.send_to_chat(chat, 501, "Справка готова.", reply_to_message_id=card.message_id)
        await bot.settled()
        assert telegram.last_text(chat) == "Ответ по обращению №1 принят и отправляется клиенту (MAX)."
        answer = client.received()[-1]
        assert answer.text.startswith("Ответ на ваше обращение №1") and "Справка готова." in answer.text
    finally:
        await bot.close()
        await app.close()


async def test_a_client_who_stopped_the_bot_is_reported_to_the_staff_chat(staffed: tuple[MaxBot, int],
                                                                          fake_max: FakeMax) -> None:
    bot, group = staffed
    client = bot.person(CLIENT)
    await write_request(client, "Прошу выдать копию приказа о переводе.")
    card = next(m for m in fake_max.sent_to(group) if m.text.startswith("Обращение №1"))
    fake_max.stop_bot(CLIENT)  # MAX refuses messages to him from now on (403 chat.denied)
    await bot.settled()
    fake_max.write(STAFF, "Копия готова.", chat_id=group, reply_to=card.mid)
    await bot.settled()
    told = fake_max.sent_to(group)[-1].text
    assert told.startswith("Сообщение по обращению №1 не доставлено клиенту: MAX сообщает, что клиент недоступен")
    assert "Пётр Сидоров, +79110001122" in told  # staff can call him instead
    assert not client.received()[-1].text.startswith("Ответ на ваше обращение")

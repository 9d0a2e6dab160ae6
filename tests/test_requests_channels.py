"""Written requests over the real channel adapters: a Telegram client and a VK client write to the
department, the card arrives in the Telegram staff chat (through the strict fake Bot API), a staff
member answers by replying to it, and the answer reaches each client on his own channel."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.scheduler import JobRunner
from bot.settings import Settings
from tests.conftest import FakeClock
from tests.fake_vk_api import FakeVk, sample_image
from tests.requests_helpers import staff_settings
from tests.telegram_harness import TelegramHarness
from tests.vk_harness import VkBot, fast_config, wait_until

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk

STAFF_CHAT = -1001  # the personnel department's staff chat (see staff_settings)
CLIENT = 5001
STAFF = 9001


@pytest.fixture
async def both(settings: Settings, clock: FakeClock, fake_vk: FakeVk
               ) -> AsyncIterator[tuple[App, TelegramHarness, VkBot]]:
    # a whole request is many quick messages: not a flood here (the anti-flood has tests of its own)
    app = await App.create(staff_settings(settings, flood_burst=1000), clock=clock, migrate=False)
    h = TelegramHarness(app)
    vk = await VkBot(app, fake_vk, fast_config(fake_vk)).start()
    yield app, h, vk
    await vk.close()
    await app.close()


async def _telegram_request(h: TelegramHarness, text: str) -> None:
    await h.send_text(CLIENT, "/start")
    await h.press(CLIENT, "Обращения в отдел")
    await h.press(CLIENT, "Написать в отдел")
    await h.send_text(CLIENT, text)
    await h.send_photo(CLIENT, caption=None)
    await h.press(CLIENT, "Готово")
    await h.press(CLIENT, "Согласен(на)")
    await h.send_text(CLIENT, "Пётр Сидоров")
    await h.share_contact(CLIENT, "+79110001122")
    await h.press(CLIENT, "Только в этот чат")
    await h.press(CLIENT, "Отправить")


async def test_telegram_client_and_staff_reply_in_the_staff_chat(both: tuple[App, TelegramHarness, VkBot]) -> None:
    app, h, _ = both
    runner = JobRunner(app, worker="test")
    await _telegram_request(h, "Прошу справку о стаже. <b>Срочно</b> & без <script>alert(1)</script>!")
    assert "Обращение №1 принято" in h.messages(CLIENT)[-2]
    staff_chat = h.sent(STAFF_CHAT)
    card = next(m for m in staff_chat if m.text.startswith("Обращение №1"))
    # the client's markup arrives as text: escaped for Telegram's HTML, accepted by the strict fake API
    assert "<b>Срочно</b> & без <script>alert(1)</script>!" in card.text
    assert "&lt;b&gt;Срочно&lt;/b&gt; &amp; без &lt;script&gt;" in (card.html or "")
    assert "Взять в работу" in card.labels
    photo = staff_chat[-1]
    assert photo.kind == "photo" and photo.file_id and photo.file_id.startswith("photo-file-")  # re-sent by id

    # a button on the card, pressed in the staff chat: the refreshed card says who took it
    await h.press(STAFF, "Взять в работу", chat_id=STAFF_CHAT, message_id=card.message_id)
    assert h.last_text(STAFF_CHAT).startswith("Обращение №1 · в работе")
    assert "Исполнитель: " in h.last_text(STAFF_CHAT)

    await h.send_to_chat(STAFF_CHAT, STAFF, "Справка готова, заберите в каб. 210.",
                         reply_to_message_id=card.message_id)
    assert h.last_text(STAFF_CHAT) == "Ответ по обращению №1 принят и отправляется клиенту (Telegram)."
    assert await runner.run_due() == 0  # nothing waits: the answer went out when the staff event committed
    assert h.last_text(CLIENT).startswith("Ответ на ваше обращение №1 (тема «Иные кадровые вопросы»):")
    assert "Справка готова, заберите в каб. 210." in h.last_text(CLIENT)



async def test_telegram_client_who_blocked_the_bot(both: tuple[App, TelegramHarness, VkBot]) -> None:
    app, h, _ = both
    runner = JobRunner(app, worker="test")
    await _telegram_request(h, "Прошу выдать копию приказа о переводе.")
    card = next(m for m in h.sent(STAFF_CHAT) if m.text.startswith("Обращение №1"))
    await h.block(CLIENT)
    h.api.block(CLIENT)
    await h.send_to_chat(STAFF_CHAT, STAFF, "Копия готова.", reply_to_message_id=card.message_id)
    await runner.run_due()
    assert h.last_text(STAFF_CHAT).startswith(
        "Сообщение по обращению №1 не доставлено клиенту: Telegram сообщает, что клиент недоступен")
    assert "Пётр Сидоров, +79110001122" in h.last_text(STAFF_CHAT)


async def test_vk_client_gets_the_answer_from_the_telegram_staff_chat(
        both: tuple[App, TelegramHarness, VkBot], fake_vk: FakeVk) -> None:
    app, h, vk = both
    runner = JobRunner(app, worker="test")
    user = vk.user(301)
    await user.say("Начать")
    await user.say("Написать в отдел")  # a typed shortcut of the main menu
    seen = await user.say("Когда будет готова справка о стаже? Жду с прошлого месяца.")
    assert "Получено сообщений: 1" in seen.text
    scan = sample_image(1200, 900)
    await user.say("", attachments=[fake_vk.client_photo(301, scan)])
    await user.press("Готово")
    await user.press("Согласен(на)")
    await user.say("Ирина Волкова")
    await user.say("+7 921 765-43-21")
    await user.press("Перезвоните мне")
    await user.press("Согласен(на)")  # a call back is a purpose of its own
    seen = await user.press("Отправить")
    assert "Обращение №1 принято" in seen.text and "перезвонит вам по номеру +79217654321" in seen.text

    card = next(m for m in h.sent(STAFF_CHAT) if m.text.startswith("Обращение №1"))
    assert "Канал ответа: ВКонтакте; перезвонить по телефону +79217654321" in card.text
    assert "Вложения (1): фото — переслан ниже" in card.text
    # the client's photo is brought from VK and reaches the Telegram staff chat as a photo
    photo = h.sent(STAFF_CHAT)[-1]
    assert photo.kind == "photo" and photo.content == scan and photo.message_id == card.message_id + 1
    before = len(user.received())
    await h.send_to_chat(STAFF_CHAT, STAFF, "Справка будет готова в четверг.", reply_to_message_id=card.message_id)
    assert "Задача: перезвонить клиенту по обращению №1" in h.last_text(STAFF_CHAT)
    await runner.run_due()
    await wait_until(lambda: len(user.received()) > before, what="the answer in VK")
    answer = user.received()[-1]
    assert answer.text.startswith("Ответ на ваше обращение №1 (тема «Иные кадровые вопросы»):")
    assert "Справка будет готова в четверг." in answer.text and "Подробнее" in answer.labels()

    # the VK user forbids messages from the community: staff learn it at once
    fake_vk.forbidden[301] = 901
    await h.send_to_chat(STAFF_CHAT, STAFF, "/answer 1 Дополнительно: возьмите паспорт.")
    await runner.run_due()
    assert h.last_text(STAFF_CHAT).startswith(
        "Сообщение по обращению №1 не доставлено клиенту: ВКонтакте сообщает, что клиент недоступен")

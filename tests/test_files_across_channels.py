"""Files crossing messengers, over real HTTP on both sides (``run_telegram`` against the fake Bot API
server, the VK channel against the fake VK API): a VK client's photo reaches the Telegram staff
chat as a photo (downloaded from VK, uploaded to Telegram), and the document a staff member
attaches to his answer in Telegram reaches the VK client as a VK document."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.channels.telegram import create_bot, run_telegram
from bot.settings import Settings
from tests.conftest import FakeClock
from tests.fake_telegram_api import FakeTelegramServer, Sent
from tests.fake_vk_api import FakeVk, sample_image
from tests.vk_harness import VkBot, fast_config, wait_until

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk

STAFF_CHAT = -1001  # the personnel department's Telegram group
CLIENT, STAFF = 301, 9001


@pytest.fixture
async def both(settings: Settings, clock: FakeClock, fake_vk: FakeVk) -> AsyncIterator[tuple[FakeTelegramServer,
                                                                                              VkBot]]:
    async with FakeTelegramServer() as tg:
        tg.api.add_group(STAFF_CHAT, "Отдел кадров")
        values = settings.model_dump()
        values.update(telegram_token=tg.api.token, telegram_api_server=tg.base_url, telegram_polling_timeout=1,
                      telegram_request_timeout=5, vk_token=fake_vk.token, vk_group_id=fake_vk.group_id,
                      staff_chats=f"personnel=telegram:{STAFF_CHAT}", flood_burst=1000)
        app = await App.create(Settings(_env_file=None, **values), clock=clock, migrate=False)  # type: ignore[call-arg]
        stop = asyncio.Event()
        bot = create_bot(app.settings)
        telegram = asyncio.create_task(run_telegram(app, stop, bot=bot))
        await wait_until(lambda: "telegram" in app.channels and app.channels["telegram"].connected, what="Telegram")
        vk = await VkBot(app, fake_vk, fast_config(fake_vk)).start()
        yield tg, vk
        await vk.close()
        stop.set()
        await asyncio.wait_for(telegram, 10)
        await bot.session.close()
        await app.close()


async def test_a_vk_photo_reaches_telegram_staff_and_a_telegram_document_reaches_the_vk_client(
        both: tuple[FakeTelegramServer, VkBot], fake_vk: FakeVk) -> None:
    tg, vk = both
    user = vk.user(CLIENT)
    scan = sample_image(1200, 900)
    await user.say("Начать")
    await user.say("Написать в отдел")
    await user.say("Прошу выдать справку о стаже, скан удостоверения прилагаю.")
    await user.say("", attachments=[fake_vk.client_photo(CLIENT, scan)])
    await user.press("Готово")
    await user.press("Согласен(на)")
    await user.say("Ирина Волкова")
    await user.say("+7 921 765-43-21")
    await user.press("Только в этот чат")
    assert "Обращение №1 принято" in (await user.press("Отправить")).text

    def staff_chat() -> list[Sent]:
        return tg.api.messages_in(STAFF_CHAT)

    await tg.api.wait_for(lambda: len(staff_chat()) == 2)
    card, photo = staff_chat()
    assert card.text.startswith("Обращение №1 · принято") and "Вложения (1): фото — переслан ниже" in card.text
    assert photo.kind == "photo" and photo.content == scan  # uploaded to Telegram: the file itself
    assert any(path.startswith("/files/") for path in fake_vk.downloads)  # fetched from VK

    # a staff member answers with a document, replying to the card in the Telegram group
    pdf = b"%PDF-1.4 spravka o stazhe"
    before = len(user.received())
    await tg.api.inject(tg.api.make_document(STAFF, "справка.pdf", caption="Справка во вложении.", chat_id=STAFF_CHAT,
                                             content=pdf, reply_to_message_id=card.message_id))
    await wait_until(lambda: len(user.received()) > before, what="the answer in VK")
    answer = user.received()[-1]
    assert answer.text.startswith("Ответ на ваше обращение №1") and "Справка во вложении." in answer.text
    [doc] = answer.media
    assert (doc.kind, doc.name, doc.content) == ("doc", "справка.pdf", pdf)  # uploaded to VK for the client
    assert [p for p in tg.api.downloads]  # fetched from Telegram with getFile
    await tg.api.wait_for(lambda: "принят и отправляется клиенту (ВКонтакте)" in staff_chat()[-1].text)

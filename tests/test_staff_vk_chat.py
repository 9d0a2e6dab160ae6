"""A VK chat as a department's staff chat, in a deployment with no Telegram at all (fake VK API
over real HTTP): the card arrives in the chat with callback buttons, staff press them there, a
reply to the card (or the card forwarded with the answer) reaches the VK client, staff commands
work in the chat, other talk is ignored; citizens in an ordinary chat are still answered privately."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.settings import Settings
from handlers import texts
from tests.conftest import FakeClock
from tests.fake_vk_api import FakeVk, Sent, sample_image
from tests.vk_harness import GROUP_ID, VkBot, fast_config
from tests.web.support import LINK, served

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk

STAFF_CHAT = 2_000_000_001  # the personnel department's chat
OTHER_CHAT = 2_000_000_002  # an ordinary chat the community is in
CLIENT, SECOND, STAFF = 301, 302, 9001


def vk_settings(settings: Settings, fake: FakeVk, **extra: object) -> Settings:
    values = settings.model_dump()
    values.update(vk_token=fake.token, vk_group_id=fake.group_id, telegram_token=None, flood_burst=1000,
                  staff_chats=f"personnel=vk:{STAFF_CHAT}", staff_admin_ids="")
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def vk_only(settings: Settings, clock: FakeClock, fake_vk: FakeVk) -> AsyncIterator[VkBot]:
    app = await App.create(vk_settings(settings, fake_vk), clock=clock, migrate=False)
    assert app.configured == {"vk"}
    bot = await VkBot(app, fake_vk, fast_config(fake_vk)).start()
    yield bot
    await bot.close()
    await app.close()


async def write_request(bot: VkBot, user_id: int, text: str) -> str:
    """A VK citizen writes a request to the personnel department; returns the confirmation."""
    user = bot.user(user_id)
    await user.say("Начать")
    await user.say("Написать в отдел")
    await user.say(text)
    await user.press("Готово")
    await user.press("Согласен(на)")
    await user.say("Ирина Волкова")
    await user.say("+7 921 765-43-21")
    await user.press("Только в этот чат")
    return (await user.press("Отправить")).text


async def in_chat(bot: VkBot, user_id: int, text: str, **kwargs: object) -> list[Sent]:
    """A message in the staff chat; what the bot sent anywhere because of it."""
    before = len(bot.fake.sent)
    await bot.handled(bot.fake.push_message(user_id, text, peer_id=STAFF_CHAT, **kwargs))  # type: ignore[arg-type]
    return bot.fake.sent[before:]


async def press_in_chat(bot: VkBot, user_id: int, message: Sent, label: str) -> list[Sent]:
    action = next(a for a in message.buttons() if a["label"] == label)
    assert action["type"] == "callback"
    before = len(bot.fake.sent)
    await bot.handled(bot.fake.push_callback(user_id, json.loads(action["payload"]), peer_id=STAFF_CHAT,
                                             cmid=message.cmid))
    return bot.fake.sent[before:]


def card_of(fake: FakeVk, number: int) -> Sent:
    return next(m for m in reversed(fake.sent_to(STAFF_CHAT)) if m.text.startswith(f"Обращение №{number} "))


async def test_a_request_round_trip_in_a_vk_staff_chat(vk_only: VkBot, fake_vk: FakeVk) -> None:
    bot = vk_only
    confirmation = await write_request(bot, CLIENT, "Когда будет готова справка о стаже? Жду с прошлого месяца.")
    assert "Обращение №1 принято" in confirmation

    card = card_of(fake_vk, 1)
    assert "Тема: Иные кадровые вопросы" in card.text and "Контакт: Ирина Волкова, +79217654321" in card.text
    assert card.labels() == ["Взять в работу", "Уточнить у клиента", "Срочное", "Не срочное", "Изменить тему",
                             "Изменить потребность", "Сократить срок", "Продлить срок", "Закрыть"]
    assert card.keyboard is not None and card.keyboard["inline"] and card.cmid > 0

    # a button on the card, pressed in the chat: the card comes again, with who took it
    [shown] = await press_in_chat(bot, STAFF, card, "Взять в работу")
    assert shown.peer_id == STAFF_CHAT and shown.text.startswith("Обращение №1 · в работе")
    assert fake_vk.event_answers[-1]["peer_id"] == str(STAFF_CHAT)  # the press itself is answered

    # people talking in the staff chat: not for the bot
    assert await in_chat(bot, 9002, "Коллеги, кто сегодня дежурит?") == []

    # a reply to the card answers the client in VK
    sent = await in_chat(bot, STAFF, "Справка готова, заберите в каб. 210.", reply_message=card.as_quoted(GROUP_ID))
    said = [m for m in sent if m.peer_id == STAFF_CHAT]
    assert [m.text for m in said] == ["Ответ по обращению №1 принят и отправляется клиенту (ВКонтакте)."]
    answer = fake_vk.sent_to(CLIENT)[-1]
    assert answer.text.startswith("Ответ на ваше обращение №1 (тема «Иные кадровые вопросы»):")
    assert "Справка готова, заберите в каб. 210." in answer.text

    # the card forwarded with the answer works too
    await write_request(bot, SECOND, "Прошу копию приказа о переводе.")
    second = card_of(fake_vk, 2)
    await in_chat(bot, STAFF, "Копия приказа готова.", fwd_messages=[second.as_quoted(GROUP_ID)])
    assert "Копия приказа готова." in fake_vk.sent_to(SECOND)[-1].text

    # staff commands in the chat
    await write_request(bot, 303, "Прошу выдать копию трудовой книжки.")
    [listing] = await in_chat(bot, STAFF, "/requests")
    assert listing.text.splitlines()[:2] == ["Открытые обращения (1), сначала просроченные:",
                                             "№3 · до 16.04.2026 (осталось дней: 30) · Иные кадровые вопросы · принято"]
    [shown] = await in_chat(bot, STAFF, "/request 2")
    assert shown.text.startswith("Обращение №2 · дан ответ") and shown.peer_id == STAFF_CHAT
    [nothing] = await in_chat(bot, STAFF, "/undelivered")
    assert nothing.text == "Недоставленных сообщений нет."


async def test_citizens_in_an_ordinary_chat_are_answered_privately(vk_only: VkBot, fake_vk: FakeVk) -> None:
    await vk_only.handled(fake_vk.push_message(555, "[club77|@consult] привет", peer_id=OTHER_CHAT))
    assert "Здравствуйте" in fake_vk.sent_to(555)[0].text  # in the private dialogue
    [note] = fake_vk.sent_to(OTHER_CHAT)
    assert note.text == texts.VK_CHAT_ANSWERED  # where the answer went, never its content
    # a staff command in an ordinary chat is not answered with anyone's data, in the chat or privately
    before = len(fake_vk.sent_to(555))
    await vk_only.handled(fake_vk.push_message(555, "[club77|@consult] /requests", peer_id=OTHER_CHAT))
    assert "доступна только сотрудникам" in fake_vk.sent_to(555)[before].text


async def test_the_bot_removed_from_the_staff_chat_is_listed_as_undelivered(vk_only: VkBot, fake_vk: FakeVk) -> None:
    fake_vk.forbidden[STAFF_CHAT] = 917  # «You don't have access to this chat»
    assert "Обращение №1 принято" in await write_request(vk_only, CLIENT, "Прошу справку о стаже.")
    assert fake_vk.sent_to(STAFF_CHAT) == []
    del fake_vk.forbidden[STAFF_CHAT]
    [listing] = await in_chat(vk_only, STAFF, "/undelivered")
    assert listing.text.startswith("Не удалось доставить сообщений: 1")
    assert "vk, ошибка доставки: Обращение №1 · принято" in listing.text


async def test_the_workspace_opens_a_vk_clients_file(vk_only: VkBot, fake_vk: FakeVk) -> None:
    """/web in the VK staff chat sends the link privately; the request page gives the client's photo,
    fetched from VK by the channel it came through."""
    scan = sample_image(640, 480)
    user = vk_only.user(CLIENT)
    await user.say("Начать")
    await user.say("Написать в отдел")
    await user.say("Прошу справку о стаже, скан во вложении.")
    await user.say("", attachments=[fake_vk.client_photo(CLIENT, scan)])
    for label in ("Готово", "Согласен(на)"):
        await user.press(label)
    await user.say("Ирина Волкова")
    await user.say("+7 921 765-43-21")
    await user.press("Только в этот чат")
    await user.press("Отправить")
    async with served(vk_only.app) as site:
        said, private = await in_chat(vk_only, STAFF, "/web")
        assert said.peer_id == STAFF_CHAT and said.text == texts.WEB_LINK_SENT_PRIVATELY
        link = LINK.search(private.text)
        assert private.peer_id == STAFF
        assert link is not None
        browser = site.browser()
        page = await browser.sign_in(link.group(0))
        page = await browser.get("/staff/requests/1")
        assert page.status == 200 and "Ирина Волкова" in page.text
        status, content, _ = await browser.raw(page.link("фото"))
        assert (status, content) == (200, scan)


async def test_the_log_names_a_chat_the_community_is_added_to(vk_only: VkBot, fake_vk: FakeVk,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """How an administrator learns a chat's address: the bot writes it to the log when added."""
    for peer in (2_000_000_003, STAFF_CHAT):
        message = fake_vk.message(701, "", peer_id=peer)
        message["action"] = {"type": "chat_invite_user", "member_id": -GROUP_ID}
        await vk_only.handled(fake_vk.push_other("message_new", {"message": message, "client_info": {}}))
    said = [r.getMessage() for r in caplog.records if r.name == "bot.channels.vk"]
    assert ("VK: the community was added to chat vk:2000000003 (not a staff chat; to make it one: "
            "STAFF_CHATS=<department>=vk:2000000003)") in said
    assert f"VK: the community was added to chat vk:{STAFF_CHAT}" in said
    assert fake_vk.sent_to(2_000_000_003) == []  # nothing said in the chat

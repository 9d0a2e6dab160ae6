"""Sending to VK: the rate limit under a burst, retries without duplicates, people who forbid
messages, files, long texts, group chats."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import pytest

from bot.app import App
from bot.channels.vk import random_id
from handlers import texts
from handlers.models import Address, Button, Document, Outgoing, Reply
from storage.clients import get_client, touch_client
from storage.sent import find_tag
from tests.fake_vk_api import FakeVk, sample_image
from tests.test_vk_api_pool import max_in_window
from tests.vk_harness import VkBot, fast_config

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot

CHAT = 2_000_000_005


def _to(user: int, reply: Reply) -> Outgoing:
    return Outgoing(Address("vk", str(user), user_id=str(user)), reply)


async def test_error_6_burst_in_a_dialogue_is_retried_and_shown_once(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    user = vk_bot.user(701)
    fake_vk.fail_next("messages.send", 6, times=4)
    seen = await user.say("привет")
    assert [m.text.split("\n")[0] for m in seen.messages] == [texts.WELCOME.split("\n")[0],
                                                               texts.MENU.split("\n")[0]]
    assert len(fake_vk.calls_of("messages.send")) == 2 + 4


async def test_staff_answer_to_a_person_who_forbids_messages(vk_bot: VkBot, fake_vk: FakeVk, app: App,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    await touch_client(app.services.db, "vk", "702", "702", app.services.clock())  # he wrote to the department
    fake_vk.forbidden[702] = 901
    delivered = await app.deliver(_to(702, Reply("Ответ специалиста на ваше обращение")))
    assert delivered is False
    client = await get_client(app.services.db, "vk", "702")
    assert client is not None and client.unreachable
    assert "vk: user 702 is unreachable (VK error 901)" in caplog.text
    fake_vk.forbidden[703] = 902
    assert await app.deliver(_to(703, Reply("Ответ"))) is False


async def test_tagged_message_can_be_found_by_its_vk_id(vk_bot: VkBot, fake_vk: FakeVk, app: App) -> None:
    assert await app.deliver(_to(704, Reply("Карточка обращения №5", tag="request:5")))
    [sent] = fake_vk.sent_to(704)
    assert await find_tag(app.services.db, "vk", "704", str(sent.id)) == "request:5"


async def test_a_send_whose_answer_was_lost_is_not_duplicated(vk_bot: VkBot, fake_vk: FakeVk, app: App) -> None:
    fake_vk.drop_after_send = 1
    assert await app.deliver(_to(705, Reply("Ваш вопрос передан специалисту.")))
    calls = fake_vk.calls_of("messages.send")
    assert len(calls) == 2 and calls[0].params["random_id"] == calls[1].params["random_id"]
    assert [m.text for m in fake_vk.sent_to(705)] == ["Ваш вопрос передан специалисту."]


async def test_random_ids_are_deterministic_and_distinct(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    assert random_id("ev5:1", 0) == random_id("ev5:1", 0)
    ids = {random_id(f"ev{n}:{k}", part) for n in range(200) for k in range(1, 4) for part in range(2)}
    assert len(ids) == 1200 and 0 not in ids and all(-2**31 <= i < 2**31 for i in ids)
    await vk_bot.user(706).say("привет")
    welcome, menu = fake_vk.sent_to(706)
    assert welcome.random_id != menu.random_id


async def test_burst_of_200_messages_never_exceeds_the_rate(app: App, fake_vk: FakeVk) -> None:
    bot = await VkBot(app, fake_vk, fast_config(fake_vk, rps=100)).start()
    try:
        started = time.monotonic()
        results = await asyncio.gather(*(app.deliver(_to(800 + n % 20, Reply(f"Сообщение {n}")))
                                         for n in range(200)))
        took = time.monotonic() - started
    finally:
        await bot.close()
    assert all(results)
    assert sorted(m.text for m in fake_vk.sent) == sorted(f"Сообщение {n}" for n in range(200))
    arrivals = [c.at for c in fake_vk.calls if c.method != "groups.getLongPollServer"]
    busiest = max_in_window(arrivals, 1.0)
    assert busiest <= 100  # measured on the fake server's clock
    assert took >= 1.0  # the limiter did hold the second hundred back


async def test_long_text_is_split_in_order_with_the_buttons_last(vk_bot: VkBot, fake_vk: FakeVk,
                                                                 app: App) -> None:
    text = "\n\n".join(f"Пункт {i}. " + "подробности " * 150 for i in range(12))
    assert len(text) > 18000
    reply = Reply(text, buttons=[[Button("Главное меню", payload="g.menu")]])
    assert await app.deliver(_to(707, reply))
    parts = fake_vk.sent_to(707)
    assert len(parts) == 3 and all(len(p.text) <= 9000 for p in parts)
    assert parts[0].text.startswith("Пункт 0.") and "Пункт 11." in parts[-1].text
    assert [p.keyboard is not None for p in parts] == [False, False, True]


async def test_documents_and_images_are_uploaded_and_attached(vk_bot: VkBot, fake_vk: FakeVk, app: App) -> None:
    doc = Document("priem.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    image = Document("chart.png", sample_image(fmt="PNG"), "image/png")
    assert await app.deliver(_to(708, Reply("Вы записаны на приём", document=doc, image=image)))
    [sent] = fake_vk.sent_to(708)
    assert sent.text == "Вы записаны на приём"
    assert [(m.kind, m.name, m.content) for m in sent.media] == [("doc", "priem.ics", doc.content),
                                                                  ("photo", "chart.png", image.content)]
    assert sent.attachment == ",".join(f"{m.ref}_{m.access_key}" for m in sent.media)


async def test_failed_upload_sends_the_text_with_a_note(vk_bot: VkBot, fake_vk: FakeVk, app: App,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    fake_vk.fail_next("docs.getMessagesUploadServer", 15)
    doc = Document("priem.ics", b"BEGIN:VCALENDAR", "text/calendar")
    assert await app.deliver(_to(709, Reply("Вы записаны на приём", document=doc)))
    [sent] = fake_vk.sent_to(709)
    assert sent.text.startswith("Вы записаны на приём")
    assert texts.VK_FILE_UNAVAILABLE.format(name="priem.ics") in sent.text
    assert sent.attachment is None
    assert "not uploaded" in caplog.text


async def test_captcha_on_a_staff_answer_is_reported(vk_bot: VkBot, fake_vk: FakeVk, app: App,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    fake_vk.fail_next("messages.send", 14, times=50)
    assert await app.deliver(_to(710, Reply("Ответ"))) is False
    assert len(fake_vk.calls_of("messages.send")) == 1
    assert "captcha" in caplog.text


async def test_app_without_callback_buttons_gets_numbers(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    old_app = {"button_actions": ["text"], "keyboard": True, "inline_keyboard": False, "lang_id": 0}
    user = vk_bot.user(711)
    seen = await user.say("привет", client_info=old_app)
    assert all(m.keyboard is None for m in seen.messages)
    assert "1. Конкурсы и кадровый резерв" in seen.text and texts.VK_TYPE_NUMBER in seen.text
    seen = await user.say("2", client_info=old_app)
    assert "Что вас интересует по аттестации?" in seen.text


class TestGroupChats:
    async def test_chat_messages_not_addressed_to_the_community_are_ignored(self, vk_bot: VkBot,
                                                                            fake_vk: FakeVk) -> None:
        await vk_bot.handled(fake_vk.push_message(720, "привет всем", peer_id=CHAT))
        await vk_bot.handled(fake_vk.push_message(720, "кадровый резерв", peer_id=CHAT))
        assert fake_vk.sent == []

    async def test_addressed_question_is_answered_privately(self, vk_bot: VkBot, fake_vk: FakeVk) -> None:
        await vk_bot.handled(fake_vk.push_message(721, "[club77|@consult] привет", peer_id=CHAT))
        private = fake_vk.sent_to(721)
        assert "Здравствуйте" in private[0].text and "Выберите тему вопроса" in private[-1].text  # in private
        [note] = fake_vk.sent_to(CHAT)
        assert note.text == texts.VK_CHAT_ANSWERED and note.keyboard is None
        assert json.loads(note.params["forward"])["is_reply"] is True  # a reply to his message in the chat
        # a reply to the community's message counts as addressed too
        await vk_bot.handled(fake_vk.push_message(721, "как попасть в кадровый резерв?", peer_id=CHAT,
                                                  reply_message={**fake_vk.message(-77, "...", peer_id=CHAT),
                                                                 "out": 1}))
        assert "Кадровый резерв" in fake_vk.sent_to(721)[-1].text
        assert all("резерв" not in m.text for m in fake_vk.sent_to(CHAT))  # nothing of his in the chat

    async def test_person_who_forbids_private_messages_is_invited(self, vk_bot: VkBot, fake_vk: FakeVk) -> None:
        fake_vk.forbidden[722] = 901
        await vk_bot.handled(fake_vk.push_message(722, "[club77|Консультант], как попасть в резерв?",
                                                  peer_id=CHAT))
        [note] = fake_vk.sent_to(CHAT)
        assert note.text == texts.VK_CHAT_WRITE_ME
        [link] = note.buttons()
        assert link == {"type": "open_link", "link": "https://vk.me/club77", "label": texts.BTN_VK_WRITE}

    async def test_callback_from_a_chat_is_answered_and_ignored(self, vk_bot: VkBot, fake_vk: FakeVk) -> None:
        await vk_bot.handled(fake_vk.push_callback(723, {"p": "g.menu"}, peer_id=CHAT))
        assert len(fake_vk.event_answers) == 1 and fake_vk.sent == []


async def test_stop_takes_at_most_wait_and_a_few_seconds(app: App, fake_vk: FakeVk,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "bot.channels")
    bot = await VkBot(app, fake_vk, fast_config(fake_vk, wait=1, shutdown_grace=1.0)).start()
    await bot.user(730).say("привет")
    bot.stop.set()  # no help from the fake: the request in flight ends after `wait`
    started = time.monotonic()
    await asyncio.wait_for(bot.task, 10)  # type: ignore[arg-type]
    assert time.monotonic() - started <= 1 + 1.0 + 0.5  # wait + grace, and a little for the machine
    assert "vk" not in app.channels  # a stopped channel does not take messages any more
    assert "VK channel stopped" in caplog.text

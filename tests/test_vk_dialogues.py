"""Citizens in VK: the same conversations as in the console, by callback buttons and by typed text,
over real HTTP through the fake VK API, surviving long-poll trouble in the middle of a dialogue."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from bot.app import App
from handlers import texts
from tests.fake_vk_api import FakeVk
from tests.vk_harness import VkBot, wait_until

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot

ATTESTATION_PHONES = ("+7 (812) 539-46-67", "+7 (812) 539-46-68")


async def _open_topic(user, label: str):  # type: ignore[no-untyped-def]
    """Choose a topic in the main menu: its button, or its number if the menu is a list."""
    menu = user.received()[-1]
    if label in menu.labels():
        return await user.press(label)
    number = next(line.split(".")[0] for line in menu.text.splitlines() if line.endswith(f". {label}"))
    return await user.say(number)


async def test_buttons_lead_from_hello_to_the_phones(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    user = vk_bot.user(501)
    seen = await user.say("привет")
    assert "Здравствуйте" in seen.text
    assert "Выберите тему вопроса" in seen.messages[-1].text
    seen = await _open_topic(user, "Аттестация")
    assert seen.labels == ["Когда моя аттестация", "Как подготовиться", "Квалификационный экзамен, классный чин",
                           "Не согласен с результатом", "Назад", "Главное меню"]
    seen = await user.press("Когда моя аттестация")
    assert all(phone in seen.text for phone in ATTESTATION_PHONES)
    assert "tm_gerasimova@lenreg.ru" in seen.text
    assert texts.BTN_OTHER_QUESTION in seen.labels
    seen = await user.press("Назад")
    assert "Что вас интересует по аттестации?" in seen.text
    seen = await user.press("Как подготовиться")
    assert all(phone in seen.text for phone in ATTESTATION_PHONES)
    # every press was answered, so the person's app stopped showing a spinner
    pressed = {u["object"]["event_id"] for _, u in fake_vk.events if u["type"] == "message_event"}
    assert len(pressed) >= 3 and {a["event_id"] for a in fake_vk.event_answers} == pressed
    assert {a["user_id"] for a in fake_vk.event_answers} == {"501"}


async def test_typed_text_leads_to_the_phones(vk_bot: VkBot) -> None:
    user = vk_bot.user(502)
    await user.say("привет")
    seen = await user.say("как попасть в кадровый резерв?")
    assert "Правильно ли я понял" in seen.text and "Кадровый резерв" in seen.text
    await user.say("да")
    seen = await user.say("1")
    assert "+7 (812) 539-46-66" in seen.text and "svv_skvortsova@lenreg.ru" in seen.text


async def test_back_and_menu_buttons_and_stale_buttons(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    user = vk_bot.user(503)
    await user.say("привет")
    await _open_topic(user, "Аттестация")
    old = user.button("Как подготовиться")
    seen = await user.press("Назад")
    assert "Выберите тему вопроса" in seen.text
    stale = fake_vk.push_callback(503, json.loads(old["payload"]))  # a button of the screen left behind
    await vk_bot.handled(stale)
    assert texts.STALE_BUTTON in user.received()[-2].text
    stale_id = fake_vk.events[-1][1]["object"]["event_id"]
    assert stale_id in {a["event_id"] for a in fake_vk.event_answers}  # the stale press was answered too


async def test_start_button_and_text_button_payloads(vk_bot: VkBot) -> None:
    user = vk_bot.user(504)
    seen = await user.say("Начать", payload={"command": "start"})
    assert "Здравствуйте" in seen.text
    menu_payload = '{"p": "g.menu"}'
    seen = await user.say("Главное меню", payload=menu_payload)
    assert "Выберите тему вопроса" in seen.text


async def test_files_and_places_get_a_polite_answer(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    user = vk_bot.user(505)
    await user.say("привет")
    seen = await user.say("", attachments=[fake_vk.client_photo(505)])
    assert texts.ONLY_TEXT in seen.text
    seen = await user.say("", geo={"type": "point", "coordinates": {"latitude": 59.9, "longitude": 30.3}})
    assert texts.ONLY_TEXT in seen.text


async def test_contacts_show_the_place_of_visits_on_the_map(vk_bot: VkBot) -> None:
    user = vk_bot.user(506)
    await user.say("привет")
    seen = await user.say("контакты")
    if not any(m.lat for m in seen.messages):  # the free-text search may ask first
        seen = await _open_topic(user, texts.BTN_CONTACTS)
    place = next(m for m in seen.messages if m.lat is not None)
    assert place.lat == pytest.approx(59.942, abs=0.01) and place.long is not None
    assert "📍 Личный приём: г. Санкт-Петербург, Суворовский пр-кт, д. 67" in place.text


async def test_other_updates_are_ignored_quietly(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    for kind, obj in [("message_reply", {**fake_vk.message(-77, "ответ", peer_id=507), "out": 1}),
                      ("message_typing_state", {"state": "typing", "from_id": 507, "to_id": -77}),
                      ("group_join", {"user_id": 507, "join_type": "join"}),
                      ("message_allow", {"user_id": 507, "key": ""})]:
        await vk_bot.handled(fake_vk.push_other(kind, obj))
    await vk_bot.handled(fake_vk.push_message(-5, "от другого сообщества"))
    assert fake_vk.sent == []


async def test_one_person_in_order_others_not_kept_waiting(vk_bot: VkBot, app: App,
                                                           fake_vk: FakeVk) -> None:
    """A slow answer to one person does not hold up another; one person's messages keep their order."""
    release = asyncio.Event()
    handle = app.engine.handle

    async def slow_for_601(event):  # type: ignore[no-untyped-def]
        if event.user_id == "601" and event.text == "привет":
            await release.wait()
        return await handle(event)

    app.engine.handle = slow_for_601  # type: ignore[method-assign]
    first = fake_vk.push_message(601, "привет")
    then = fake_vk.push_message(601, "2")
    other = fake_vk.push_message(602, "привет")
    await wait_until(lambda: other in vk_bot.channel.handled, what="the other person's answer")
    assert fake_vk.sent_to(601) == [] and first not in vk_bot.channel.handled
    release.set()
    await vk_bot.handled(then)
    answers = [m.text for m in fake_vk.sent_to(601)]
    assert "Здравствуйте" in answers[0]  # «привет» answered before «2»
    assert "Аттестация" in answers[-1]


async def test_dropped_connection_and_new_key_mid_dialogue_lose_nothing(
        vk_bot: VkBot, fake_vk: FakeVk, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    user = vk_bot.user(508)
    await user.say("привет")
    fake_vk.inject("drop")
    seen = await user.say("2")  # sent while the connection broke: received on the retry
    assert "Что вас интересует по аттестации?" in seen.text
    fake_vk.inject({"failed": 2})
    seen = await user.press("Когда моя аттестация")
    assert all(phone in seen.text for phone in ATTESTATION_PHONES)
    fake_vk.inject("broken")
    seen = await user.say("меню")
    assert "Выберите тему вопроса" in seen.text
    assert "retrying" in caplog.text


async def test_failed_3_mid_dialogue_loses_only_the_pending_message(
        vk_bot: VkBot, fake_vk: FakeVk, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    user = vk_bot.user(509)
    await user.say("привет")
    fake_vk.inject({"failed": 3})
    lost = fake_vk.push_message(509, "2")
    await wait_until(lambda: "may be lost" in caplog.text, what="the warning about lost events")
    seen = await user.say("привет")
    assert "Здравствуйте" in seen.text
    assert lost not in vk_bot.channel.handled
    assert not any("аттестации" in m.text for m in user.received())


async def test_a_person_flooding_is_warned_once_and_others_are_served(vk_bot: VkBot, fake_vk: FakeVk,
                                                                     app: App) -> None:
    burst = app.settings.flood_burst
    pushed = [fake_vk.push_message(610, "меню") for _ in range(burst + 4)]
    other = fake_vk.push_message(611, "меню")
    for event in [*pushed, other]:
        await vk_bot.handled(event)
    got = [m.text for m in fake_vk.sent_to(610)]
    assert got.count(texts.FLOOD) == 1
    assert len([t for t in got if "Выберите тему вопроса" in t]) == burst  # the rest were dropped
    assert "Выберите тему вопроса" in fake_vk.sent_to(611)[0].text


async def test_messages_written_while_the_bot_was_down_are_answered_after_a_restart(
        app: App, vk_bot: VkBot, fake_vk: FakeVk) -> None:
    """The bot is stopped (an update, a crash); a citizen writes meanwhile. The restarted bot goes
    on reading from where it stopped: he gets his answer, and nothing answered before comes again."""
    user = vk_bot.user(501)
    assert "Здравствуйте" in (await user.say("привет")).text
    await vk_bot.close()
    before = len(user.received())
    written = fake_vk.push_message(501, "Аттестация")  # nobody is listening now
    again = await VkBot(app, fake_vk, vk_bot.config).start()
    try:
        await again.handled(written)
        answers = "\n\n".join(m.text for m in user.received()[before:])
        assert "Что вас интересует по аттестации?" in answers
        assert "Здравствуйте" not in answers  # the greeting is not answered twice
    finally:
        await again.close()

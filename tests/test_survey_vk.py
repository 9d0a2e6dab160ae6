"""The survey in VK (the fake VK API): button labels fit VK's 40 characters, ticks on multiple
choice, the scale as one row of five callback buttons."""

from __future__ import annotations

import json
from datetime import date

from bot.app import App
from bot.channels.antiflood import MemoryFloodGuard
from storage.survey import responses_between
from tests.fake_vk_api import FakeVk
from tests.survey_helpers import BOTH_SOURCES
from tests.vk_harness import VkBot

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot


async def test_survey_by_vk_buttons(app: App, vk_bot: VkBot, fake_vk: FakeVk) -> None:
    # a person answering 15 questions in a row at a person's pace, not a flood: a clock of 2 s a step
    steps = iter(range(1000))
    vk_bot.channel.flood = MemoryFloodGuard(2.0, 8, clock=lambda: 2.0 * next(steps))
    user = vk_bot.user(601)
    await user.say("привет")
    menu = user.received()[-1]
    if "Оценить качество" in menu.labels():
        seen = await user.press("Оценить качество")
    else:  # the menu is a numbered list when VK cannot show all the buttons
        number = next(line.split(".")[0].strip() for line in menu.text.splitlines()
                      if line.endswith(". Оценить качество"))
        seen = await user.say(number)
    assert "Опрос анонимный" in seen.text
    await user.press("Начать опрос")
    seen = await user.press("Скорее удовлетворен")
    assert all(len(label) <= 40 for label in seen.labels)
    seen = await user.press("Официальный сайт Администрации…")
    assert seen.labels[:3] == ["✅ Официальный сайт Администрации…",
                               "Официальная страница Администрации…", "Готово"]
    await user.press("Готово")
    await user.press("Пользуюсь постоянно")
    await user.press("Да")
    scale = [m for m in user.received() if m.keyboard][-1]
    first_row = json.loads(scale.keyboard)["buttons"][0] if isinstance(scale.keyboard, str) \
        else scale.keyboard["buttons"][0]
    assert [b["action"]["label"] for b in first_row] == ["5 баллов", "4 балла", "3 балла", "2 балла", "1 балл"]
    await user.say("3")
    seen = await user.say("Сроки")
    assert "Пропустить" in seen.labels  # an optional text question
    seen = await user.press("Пропустить")
    assert "Вопрос 8 из 9" in seen.text
    for text in ("2", "Санкт-Петербург"):  # «2. 4 балла»
        seen = await user.say(text)
    assert "Опрос завершён" in seen.text
    [stored] = await responses_between(app.services.db, "appendix1", date(2026, 3, 17), date(2026, 3, 17))
    assert stored.answers["q2"] == [BOTH_SOURCES[0]] and stored.answers["q5"] == 3 and stored.answers["q8"] == 4
    assert "q7" not in stored.answers

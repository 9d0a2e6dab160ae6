"""What citizens ask in VK beyond the six topics (the fake VK API over real HTTP): questions of
other bodies, questions about the line itself, the former misroutes, an unmatched question that
still leads somewhere, the working Saturday of 2027. Never «Не удалось понять»."""

from __future__ import annotations

import itertools
import json

import pytest

from bot.app import App
from bot.channels.antiflood import MemoryFloodGuard
from handlers import texts
from tests.conftest import FakeClock
from tests.fake_vk_api import FakeVk
from tests.visits_support import msk
from tests.vk_harness import Seen, VkBot

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot

MAP = "https://yandex.ru/maps/?pt=30.390500,59.942000&z=17&l=map"


@pytest.fixture(autouse=True)
def person_pace(vk_bot: VkBot) -> None:
    """Many questions in a row at a person's pace, not a flood: a clock of 2 s a message."""
    steps = itertools.count()
    vk_bot.channel.flood = MemoryFloodGuard(2.0, 8, clock=lambda: 2.0 * next(steps))


def _links(seen: Seen) -> dict[str, str]:
    """The open-link buttons of the last keyboard: label -> address."""
    with_keyboard = [m for m in seen.messages if m.keyboard]
    if not with_keyboard:
        return {}
    keyboard = with_keyboard[-1].keyboard
    rows = (json.loads(keyboard) if isinstance(keyboard, str) else keyboard)["buttons"]
    return {b["action"]["label"]: b["action"]["link"] for row in rows for b in row
            if b["action"]["type"] == "open_link"}


async def test_passport_police_and_courts_get_where_to_turn(vk_bot: VkBot) -> None:
    user = vk_bot.user(701)
    await user.say("привет")
    seen = await user.say("хочу оформить загранпаспорт")
    assert "не относится к полномочиям" in seen.text and "Государственные награды" not in seen.text
    assert "МФЦ Ленинградской области, 8-800-500-00-47" in seen.text
    assert _links(seen)["МФЦ Ленинградской области"] == "https://mfc47.ru"
    seen = await user.say("украли телефон, куда писать заявление")
    assert "102" in seen.text and "112" in seen.text
    seen = await user.say("как оплатить штраф гибдд")
    assert "Госавтоинспекция" in seen.text
    seen = await user.say("пенсия")
    assert "Социальный фонд России" in seen.text and "Пенсия за выслугу лет" in seen.labels
    seen = await user.press("Пенсия за выслугу лет")  # the part that is ours
    assert "Отдел государственной и муниципальной службы" in seen.text


async def test_questions_about_the_line_are_answered_at_once(vk_bot: VkBot) -> None:
    user = vk_bot.user(702)
    await user.say("привет")
    seen = await user.say("когда вы работаете")
    assert "Часы работы по московскому времени" in seen.text and "аттестац" not in seen.text.lower()
    assert "Сейчас открыто до 18:00 по московскому времени" in seen.text  # Tuesday 10:00 in Moscow
    seen = await user.say("как до вас доехать")
    assert "Метро «Чернышевская» — 25 мин пешком" in seen.text and "Вход:" in seen.text
    assert _links(seen)[texts.BTN_MAP] == MAP
    assert any(m.lat for m in seen.messages)  # and the place on VK's map
    seen = await user.say("есть ли пандус")
    assert "Для людей с инвалидностью" in seen.text
    seen = await user.say("как записаться на прием")
    assert "Записаться на приём" in seen.labels
    seen = await user.press("Записаться на приём")
    assert "Выберите тему вопроса — я запишу вас в нужный отдел" in seen.text
    await user.press("Главное меню")
    seen = await user.say("как с вами связаться по почте")
    assert "ok@lenreg.ru" in seen.text and "yun_sennikova@lenreg.ru" in seen.text
    seen = await user.say("оператор")
    assert "+7 (812) 539-46-84" in seen.text and texts.BTN_WRITE in seen.labels
    seen = await user.say("спасибо")
    assert seen.text.startswith("Пожалуйста!") and texts.BTN_SURVEY in seen.labels


async def test_spravka_is_a_certificate_not_the_help(vk_bot: VkBot) -> None:
    user = vk_bot.user(703)
    await user.say("привет")
    seen = await user.say("справка")
    assert "Как со мной общаться" not in seen.text
    assert "Справки и копии документов" in seen.text


async def test_an_unmatched_question_still_leads_somewhere(vk_bot: VkBot) -> None:
    user = vk_bot.user(704)
    await user.say("привет")
    seen = await user.say("ываыва олол")
    assert "Не удалось понять" not in seen.text
    assert "Я не нашёл готового ответа" in seen.text and "+7 (812) 539-46-67" in seen.text
    assert {"Аттестация", texts.BTN_WRITE, texts.BTN_ELSEWHERE} <= set(seen.labels)
    seen = await user.press(texts.BTN_ELSEWHERE)
    # fifteen subjects do not fit VK's ten buttons: a numbered list
    number = next(line.split(".")[0].strip() for line in seen.text.splitlines()
                  if line.strip().endswith("Детские сады и школы"))
    seen = await user.say(number)
    assert "Комитет общего и профессионального образования" in seen.text


async def test_working_saturday_2027_in_vk(vk_bot: VkBot, app: App, clock: FakeClock, fake_vk: FakeVk) -> None:
    clock.set(msk(2027, 2, 19, 17, 30))
    user = vk_bot.user(705)
    await user.say("привет")
    seen = await user.say("вы сегодня открыты?")
    assert "откроется завтра в 9:00 по московскому времени" in seen.text
    assert "в среду" not in seen.text

"""Whole journeys through the MAX channel module (``bot.channels.max.channel``, started by ``run`` as
``consult-bot run`` starts it) and the fake MAX API over real HTTP, each in webhook mode (on the
bot's web server, secret checked) and in long-polling mode: need identification by buttons and
by free text, a booking with its .ics and the cancellation, the survey, bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from icalendar import Calendar

from bot.app import App
from bot.settings import Settings
from handlers import texts
from storage.survey import responses_between
from tests.conftest import DEFAULT_NOW, FakeClock
from tests.fake_max_api import FakeMax
from tests.max_harness import MaxBot, MaxPerson, max_settings
from tests.visits_support import msk

pytest_plugins = ["tests.max_fixtures"]  # fake_max

ANNA, BORIS = 7, 8


@pytest.fixture(params=["webhook", "polling"])
async def bot(request: pytest.FixtureRequest, settings: Settings, clock: FakeClock,
              fake_max: FakeMax) -> AsyncIterator[MaxBot]:
    app = await App.create(max_settings(settings, fake_max, request.param), clock=clock, migrate=False)
    running = await MaxBot(app, fake_max).start()
    yield running
    await running.close()
    await app.close()


async def test_need_by_buttons_replaces_the_screen_and_keeps_the_result(bot: MaxBot, fake_max: FakeMax) -> None:
    anna = bot.person(ANNA)
    welcome = await anna.begin()  # «Начать»: bot_started
    greeting, menu = welcome.messages
    assert greeting.text.startswith("Здравствуйте!") and texts.MENU.split("\n")[0] in menu.text
    assert menu.labels[:2] == ["Конкурсы и кадровый резерв", "Аттестация"]

    topic = await anna.press("Аттестация")
    [screen] = topic.messages
    assert screen.mid == menu.mid and screen.edits == 1  # the menu became the topic's screen
    assert screen.text == "Аттестация\nЧто вас интересует по аттестации?"
    assert screen.labels[-2:] == [texts.BTN_BACK, texts.BTN_MENU]
    edit = fake_max.answers[-1][1]["message"]  # the press answered and the screen replaced in one call
    assert edit["format"] == "html" and edit["text"].startswith("<b>Аттестация</b>")
    assert fake_max.calls_to("PUT", "/messages") == []

    result = await anna.press("Когда моя аттестация")
    card = result.messages[-1]
    assert "Отдел государственной службы и кадров" in card.text or "отдел" in card.text.lower()
    assert card.mid != menu.mid  # a result is a message of its own ...
    again = await anna.press(texts.BTN_MENU)
    assert card.mid not in [m.mid for m in again.messages]  # ... which the next press does not overwrite
    assert again.labels[:2] == ["Конкурсы и кадровый резерв", "Аттестация"]
    assert fake_max.refused_429 == 0


async def test_need_by_free_text(bot: MaxBot) -> None:
    boris = bot.person(BORIS)
    asked = await boris.say("как оформить наградной лист")
    assert "Правильно ли я понял" in asked.text and texts.BTN_CONFIRM_YES in asked.labels
    answer = await boris.press(texts.BTN_CONFIRM_YES)
    awards = bot.app.services.directory.topic("awards")
    assert awards is not None
    assert "Отдел наградной политики" in answer.text
    assert all(e in answer.text for e in awards.emails)


async def _book(p: MaxPerson) -> list:  # type: ignore[type-arg]
    """A visit booked from «Начать»: the confirmation, the place, the .ics, and the screen after the
    survey invitations are declined (the booking asks for that consent last)."""
    await until_confirmation(p)
    booked = (await p.press(texts.BTN_VISITS_BOOK)).messages
    assert "приглашение оценить качество" in booked[-1].text
    declined = await p.press(texts.BTN_CONSENT_NO)
    return [*booked[:3], declined.messages[-1]]


async def until_confirmation(p: MaxPerson) -> None:
    """From «Начать» to the check of the booking, before «Записаться»."""
    await p.begin()
    await p.press(texts.BTN_VISITS)
    days = await p.press("Государственные награды")
    assert days.labels[:2] == ["Вт, 17 марта", "Ср, 18 марта"]
    await p.press("Пт, 20 марта")
    times = await p.press("Утро (9:00–12:00)")
    assert times.labels[:4] == ["9:00", "9:30", "10:00", "10:30"]
    await p.press("10:00")
    await p.press(texts.BTN_CONSENT_YES)
    phone = await p.say("Иванов Иван")
    assert phone.labels[0] == texts.MAX_SHARE_PHONE  # the phone by a request_contact button
    assert phone.messages[-1].rows[0] == [{"type": "request_contact", "text": texts.MAX_SHARE_PHONE}]
    check = await p.share_contact("+79111234567")
    assert "Когда: пятница, 20 марта 2026, 10:00–10:30 по московскому времени" in check.text
    assert "Телефон: +79111234567" in check.text  # the shared contact, not typed


async def test_booking_with_ics_and_cancel(bot: MaxBot, fake_max: FakeMax, clock: FakeClock) -> None:
    anna = bot.person(ANNA)
    confirmation, place, ics, done = await _book(anna)
    assert confirmation.text.startswith("Вы записаны на личный приём.")
    assert "Метро «Чернышевская» — 25 мин пешком" in confirmation.text
    assert confirmation.text.count("Суворовский пр-кт, д. 67") == 1  # the address once, not again for the map
    assert [b["text"] for row in confirmation.rows for b in row] == [texts.BTN_MAP]  # the flow's map link only
    assert confirmation.button(texts.BTN_MAP)["url"] == "https://yandex.ru/maps/?pt=30.390500,59.942000&z=17&l=map"
    assert place.of_type("location") == [{"type": "location", "latitude": 59.942, "longitude": 30.3905}]
    [attached] = ics.of_type("file")
    assert attached["filename"] == "priem-1.ics"  # uploaded under its own name
    uploaded = fake_max.files[attached["payload"]["token"]]
    event = Calendar.from_ical(uploaded.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == msk(2026, 3, 20, 10, 0)
    assert "Запись № 1 сохранена" in done.text

    mine = await anna.press(texts.BTN_VISITS_MINE)
    assert "20 марта" in mine.text
    ask = await anna.press(next(label for label in mine.labels if label.startswith("Отменить")))
    assert "Отменить запись № 1?" in ask.text
    cancelled = await anna.press(texts.BTN_VISITS_CANCEL_YES)
    assert "Запись № 1 на пятницу, 20 марта 2026, 10:00–10:30 отменена" in cancelled.text
    assert clock() == DEFAULT_NOW


async def test_an_ics_still_processed_by_max_is_sent_again_until_it_is_ready(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    """MAX refuses a message with a file it is still processing (attachment.not.ready)."""
    fake_max.not_ready_for = 0.3
    app = await App.create(max_settings(settings, fake_max, "polling"), clock=clock, migrate=False)
    bot = await MaxBot(app, fake_max).start()
    try:
        _, _, ics, done = await _book(bot.person(ANNA))
        assert ics.of_type("file")[0]["filename"] == "priem-1.ics" and "сохранена" in done.text
        statuses = [c.status for c in fake_max.calls_to("POST", "/messages") if c.body and c.body.get("attachments")
                    and c.body["attachments"][0]["type"] == "file"]
        assert statuses[0] == 400 and statuses[-1] == 200  # refused while processing, then sent once
        assert statuses.count(200) == 1
    finally:
        await bot.close()
        await app.close()


async def test_the_survey(bot: MaxBot, db_url: str) -> None:
    anna = bot.person(ANNA)
    await anna.begin()
    await anna.press(texts.BTN_SURVEY)
    seen = await anna.press(texts.BTN_SURVEY_BEGIN)
    for _ in range(30):
        if texts.SURVEY_END in seen.text:
            break
        options = [x for x in seen.labels if x not in (texts.BTN_BACK, texts.BTN_MENU, texts.BTN_SURVEY_SKIP,
                                                        texts.BTN_SURVEY_KEEP)]
        if texts.BTN_SURVEY_DONE in options:  # several answers: one ticked, then «Готово»
            await anna.press(next(o for o in options if o != texts.BTN_SURVEY_DONE))
            seen = await anna.press(texts.BTN_SURVEY_DONE)
        elif options:
            seen = await anna.press(options[0])
        else:
            seen = await anna.say("Всё понятно, спасибо")
    assert texts.SURVEY_END in seen.text
    stored = await responses_between(bot.app.services.db, "appendix1", DEFAULT_NOW.date(), DEFAULT_NOW.date())
    assert len(stored) == 1


async def test_bad_input_is_answered_politely(bot: MaxBot, fake_max: FakeMax) -> None:
    anna = bot.person(ANNA)
    menu = (await anna.begin()).messages[-1]
    sticker = await anna._after(lambda: fake_max.write(ANNA, None, attachments=[
        {"type": "sticker", "payload": {"url": "https://i.oneme.ru/s/1.webp", "code": "s1"}, "width": 128,
         "height": 128}]))
    assert texts.ONLY_TEXT in sticker.text
    empty = await anna.say("")
    assert empty.text.startswith(texts.EMPTY_MESSAGE) and empty.labels[:2] == menu.labels[:2]
    long = await anna.say("ж" * 10_000)
    assert long.text.startswith(texts.TOO_LONG.split("(")[0]) and "10000" in long.text
    assert long.labels
    broken = await anna.say("как попасть в кадровый резерв\x00\ud800")  # NUL, a lone surrogate (a JSON escape)
    assert broken.messages and texts.INTERNAL_ERROR not in broken.text
    forged = await anna.press_payload(menu.mid, "x" * 1024)  # a payload the bot never made
    assert texts.STALE_BUTTON in forged.text and forged.labels
    stale = await anna.press_payload(menu.mid, "t99.999")
    assert texts.STALE_BUTTON in stale.text
    assert fake_max.refused_429 == 0

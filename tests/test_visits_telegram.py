"""A personal visit booked, reminded and cancelled in Telegram (aiogram dispatcher and the strict
fake Bot API): buttons, the place as a venue, the .ics document, the staff chat, the reminder's
cancel button."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar

from bot.app import App
from bot.settings import Settings
from handlers import texts
from tests.conftest import FakeClock
from tests.telegram_harness import TelegramHarness
from tests.visits_support import Collector, directory_with_staff_chats, msk

USER = 2001
AWARDS_CHAT = -1005


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"directory_file": directory_with_staff_chats(tmp_path)})


async def test_booking_reminder_and_cancellation_in_telegram(app: App, clock: FakeClock) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await h.press(USER, "Личный приём")
    await h.press(USER, "Государственные награды")
    assert "Выберите удобный день" in h.last_text(USER)
    assert h.last_buttons(USER)[:2] == ["Вт, 17 марта", "Ср, 18 марта"]
    await h.press(USER, "Пт, 20 марта")
    await h.press(USER, "Утро (9:00–12:00)")
    assert h.last_buttons(USER)[:4] == ["9:00", "9:30", "10:00", "10:30"]
    await h.press(USER, "10:00")
    await h.press(USER, "Согласен(на)")
    await h.send_text(USER, "Иванов Иван")
    await h.share_contact(USER, "+79111234567")
    assert "Когда: пятница, 20 марта 2026, 10:00–10:30 по московскому времени" in h.last_text(USER)
    await h.press(USER, "Записаться")
    assert h.last_text(USER).startswith("Можно прислать вам приглашение оценить качество консультации?")
    sent = h.sent(USER)  # the confirmation, the place, the calendar file, the offer
    await h.press(USER, "Согласен(на)")

    confirmation, done = sent[-4], h.sent(USER)[-1]
    assert confirmation.kind == "text" and done.kind == "text"
    venue = next(m for m in sent[-3:-1] if m.kind == "venue")
    document = next(m for m in sent[-3:-1] if m.kind == "document")
    assert confirmation.text.startswith("Вы записаны на личный приём.")
    assert "Как добраться:" in confirmation.text and "Что взять с собой: Паспорт" in confirmation.text
    assert "Метро «Чернышевская» — 25 мин пешком" in confirmation.text
    linked = next(m for m in sent[-3:-1] if texts.BTN_MAP in m.labels)  # the map link under the place
    assert linked.button(texts.BTN_MAP)["url"] == "https://yandex.ru/maps/?pt=30.390500,59.942000&z=17&l=map"
    assert venue.venue is not None and venue.venue["location"] == {"latitude": 59.942, "longitude": 30.3905}
    assert document.filename == "priem-1.ics" and document.content is not None
    event = Calendar.from_ical(document.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == msk(2026, 3, 20, 10, 0)
    assert "Запись № 1 сохранена" in done.text
    assert "Новая запись на личный приём № 1" in h.last_text(AWARDS_CHAT)

    clock.set(msk(2026, 3, 19, 10, 0))
    await Collector(app).run_due()
    assert h.last_text(USER).startswith("Напоминаю: завтра в 10:00")
    await h.press(USER, "Отменить запись")
    assert "Отменить запись № 1?" in h.last_text(USER)
    await h.press(USER, "Да, отменить запись")
    assert any("Запись № 1 на пятницу, 20 марта 2026, 10:00–10:30 отменена" in t for t in h.messages(USER)[-2:])
    assert "Клиент отменил запись на личный приём № 1" in h.last_text(AWARDS_CHAT)

"""The survey in Telegram (aiogram's dispatcher, the fake Bot API): the whole questionnaire by
buttons with check marks edited in place, the invitation sent by the scheduler, and the staff
report as pictures and files."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from openpyxl import load_workbook

from bot.app import App
from bot.scheduler import JobRunner
from bot.settings import Settings
from handlers.personal import grant_consent
from handlers.survey_invites import schedule_invitation
from storage.survey import responses_between
from tests.conftest import ROOT, FakeClock
from tests.survey_helpers import BOTH_SOURCES
from tests.telegram_harness import TelegramHarness
from tests.test_survey_report import _store, small_set

USER = 1001
DAY = date(2026, 3, 17)
SITE_BUTTON = "Официальный сайт Администрации…"
VK_BUTTON = "Официальная страница Администрации…"


async def test_whole_survey_by_buttons(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await h.press(USER, "Оценить качество")
    assert "Опрос анонимный" in h.last_text(USER)
    assert h.last_buttons(USER) == ["Начать опрос", "Не сейчас", "Назад", "Главное меню"]
    await h.press(USER, "Начать опрос")
    assert h.last_text(USER).startswith("Вопрос 1 из 9\nВы скорее удовлетворены")
    await h.press(USER, "Скорее удовлетворен")
    assert h.last_text(USER).startswith("Вопрос 2 из 9")
    messages = len(h.sent(USER))
    await h.press(USER, SITE_BUTTON)
    await h.press(USER, VK_BUTTON)
    await h.press(USER, "✅ " + SITE_BUTTON)  # untick
    assert h.last_buttons(USER)[:3] == [SITE_BUTTON, "✅ " + VK_BUTTON, "Готово"]
    assert len(h.sent(USER)) == messages  # the ticks change the same message, no new ones
    await h.press(USER, "Готово")
    await h.press(USER, "Пользуюсь постоянно")
    await h.press(USER, "Да")
    scale = h.api.last_with_buttons(USER)
    assert [b["text"] for b in scale.inline[0]] == ["5 баллов", "4 балла", "3 балла", "2 балла", "1 балл"]
    await h.press(USER, "4 балла")
    await h.send_text(USER, "Сроки конкурсов")
    await h.press(USER, "Назад")  # back to question 6: the answer given is shown
    assert "Ваш ответ сейчас: «Сроки конкурсов»" in h.last_text(USER)
    await h.press(USER, "Оставить ответ")
    await h.send_text(USER, "Всё понятно")
    await h.send_text(USER, "1")  # a typed number of the option: «1. 5 баллов», as Appendix 1 numbers it
    await h.send_text(USER, "Санкт-Петербург")
    assert any(t.startswith("Опрос завершён. Спасибо!") for t in h.messages(USER)[-2:])
    [stored] = await responses_between(app.services.db, "appendix1", DAY, DAY)
    assert stored.answers == {"q1": "Скорее удовлетворен", "q2": [BOTH_SOURCES[1]], "q3": "Пользуюсь постоянно",
                              "q4": "Да", "q5": 4, "q6": "Сроки конкурсов", "q7": "Всё понятно", "q8": 5,
                              "q9": "Санкт-Петербург"}


async def test_invitation_in_telegram(app: App, clock: FakeClock) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await grant_consent(app.services, f"telegram:{USER}", "survey")  # agreed to invitations after his visit
    await schedule_invitation(app.services, "telegram", str(USER), str(USER), "visit", timedelta(days=1))
    clock.advance(days=1)
    assert await JobRunner(app).run_due() == 1
    assert h.last_text(USER).startswith("Вчера вы были у нас на личном приёме.")
    assert h.last_buttons(USER) == ["Пройти опрос", "Больше не предлагать"]
    await h.press(USER, "Пройти опрос")
    assert "Опрос анонимный" in h.last_text(USER)
    await h.press(USER, "Больше не предлагать")
    assert "больше не буду предлагать опросы" in "\n".join(h.messages(USER)[-2:])
    assert await schedule_invitation(app.services, "telegram", str(USER), str(USER), "visit", timedelta(0)) is None


async def test_staff_report_as_pictures_and_files(settings: Settings, clock: FakeClock, tmp_path: Path) -> None:
    staff_settings = Settings(_env_file=None, database_url=settings.database_url,  # type: ignore[call-arg]
                              data_dir=tmp_path / "data", directory_file=ROOT / "directory.yaml",
                              survey_file=ROOT / "survey.yaml", calendar_file=ROOT / "calendar.yaml",
                              staff_admin_ids="telegram:9001")
    app = await App.create(staff_settings, clock=clock, migrate=False)
    try:
        await _store(app.services.db, app.services.surveys.get(), small_set())
        h = TelegramHarness(app)
        await h.send_text(9001, "/survey 2026-03-01 2026-03-31")
        sent = h.sent(9001)
        assert "Ответов: 3" in sent[0].text
        photos = [m for m in sent if m.kind == "photo"]
        documents = [m for m in sent if m.kind == "document"]
        assert len(photos) == 6 and all(p.content and p.content.startswith(b"\x89PNG") for p in photos)
        assert [d.filename for d in documents] == ["survey-appendix1-20260301-20260331.xlsx",
                                                   "survey-appendix1-20260301-20260331.csv"]
        wb = load_workbook(io.BytesIO(documents[0].content or b""))
        assert wb["Сводка"]["B3"].value == 3

        await h.send_text(USER, "/survey 2026-03-01 2026-03-31")
        assert any("только сотрудникам" in t for t in h.messages(USER))
    finally:
        await app.close()

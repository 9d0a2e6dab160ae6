"""What a citizen reads about a visit is grammatical and names the right department: every weekday
in the case its sentence needs («Запись № 1 на пятницу…», «На среду…»), times said to be Moscow
time, the way there with metro, entrance, accessibility and a map link; a visit on the working
Saturday of 2027."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.settings import Settings
from handlers import texts
from handlers.visits_common import WEEKDAYS_FULL, day_long, relative_when
from storage.visits import book_slot
from tests.conftest import Dialogue, FakeClock
from tests.visits_support import book, directory_with_staff_chats, msk, send

ACCUSATIVE = {0: "понедельник", 1: "вторник", 2: "среду", 3: "четверг", 4: "пятницу", 5: "субботу",
              6: "воскресенье"}
NOMINATIVE_AFTER_NA = ("на среда", "на пятница", "на суббота", "На среда", "На пятница", "На суббота")


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"directory_file": directory_with_staff_chats(tmp_path)})


@pytest.mark.parametrize("offset", range(7))
def test_every_weekday_after_na_is_accusative(offset: int) -> None:
    day = date(2026, 3, 16) + timedelta(days=offset)  # Monday 16 March ... Sunday 22 March
    assert day_long(day, accusative=True) == f"{ACCUSATIVE[offset]}, {day.day} марта 2026"
    assert day_long(day) == f"{WEEKDAYS_FULL[offset]}, {day.day} марта 2026"
    cancelled = texts.VISITS_CANCELLED.format(id=1, when=f"{day_long(day, accusative=True)}, 10:00–10:30")
    assert cancelled.startswith(f"Запись № 1 на {ACCUSATIVE[offset]}, {day.day} марта 2026, 10:00–10:30 отменена")
    full = texts.VISITS_DAY_FULL.format(day=day_long(day, accusative=True))
    assert full.startswith(f"На {ACCUSATIVE[offset]}, {day.day} марта 2026 свободного времени нет")
    agenda = texts.VISITS_AGENDA_HEAD.format(day=day_long(day, accusative=True), department="Отдел")
    assert agenda == f"Личный приём на {ACCUSATIVE[offset]}, {day.day} марта 2026 — Отдел:"
    # a reminder says when in a sentence: «в среду, 18 марта, в 10:00»
    assert relative_when(day, date(2026, 3, 9)).startswith(("в ", "во "))


@pytest.mark.parametrize("day_label, accusative", [
    ("Ср, 18 марта", "среду, 18 марта 2026"), ("Чт, 19 марта", "четверг, 19 марта 2026"),
    ("Пт, 20 марта", "пятницу, 20 марта 2026"), ("Пн, 23 марта", "понедельник, 23 марта 2026"),
    ("Вт, 24 марта", "вторник, 24 марта 2026"),
])
async def test_cancelling_a_visit_on_every_working_weekday(console: Dialogue, day_label: str,
                                                           accusative: str) -> None:
    done = await book(console, day=day_label)
    assert "Вы записаны" in done and "по московскому времени" in done
    await console.say("Мои записи")
    await console.say("1")  # «Отменить: …»
    answer = await console.say("Да, отменить запись")
    assert f"Запись № 1 на {accusative}, 10:00–10:30 отменена" in answer
    assert not any(wrong in answer for wrong in NOMINATIVE_AFTER_NA)


async def test_a_full_day_is_named_in_the_accusative(console: Dialogue, app: App) -> None:
    s = app.services
    for i in range(16):  # every place of Wednesday 18 March in the awards department
        start = msk(2026, 3, 18, 9) + timedelta(minutes=30 * i + (60 if i >= 6 else 0))
        await book_slot(s.db, department="awards", start=start.astimezone(UTC),
                        end=(start + timedelta(minutes=30)).astimezone(UTC), capacity=1, channel="console",
                        user_id=f"u{i}", chat_id=f"u{i}", name="X", phone=None, topic=None, priority=None,
                        now=s.clock())
    await console.say("Личный приём")
    days = await console.say("Государственные награды")
    assert "Ср, 18 марта" not in days
    answer = await console.say("18.03")
    assert "На среду, 18 марта 2026 свободного времени нет" in answer
    agenda = await send(app, "/visits_week awards", user="admin")
    assert "на среда" not in agenda.lower()


async def test_staff_day_without_visits_is_accusative(app: App) -> None:
    answer = await send(app, "/visits awards", user="admin")
    assert "Записей на вторник, 17 марта 2026 нет — Отдел наградной политики" in answer


async def test_confirmation_gives_the_way_moscow_time_and_a_map_link(console: Dialogue) -> None:
    done = await book(console, day="Пт, 20 марта")
    assert "Когда: пятница, 20 марта 2026, 10:00–10:30 по московскому времени" in done
    assert "Метро «Чернышевская» — 25 мин пешком" in done
    assert "Метро «Площадь Восстания» — 35 мин пешком или автобусом" in done
    assert "Вход: с Суворовского проспекта" in done
    assert "Для людей с инвалидностью:" in done
    assert f"🔗 {texts.BTN_MAP}: https://yandex.ru/maps/?pt=30.390500,59.942000&z=17&l=map" in done
    assert "(карта:" not in done  # no raw coordinates as the only way


async def test_survey_invitation_after_an_awards_visit_does_not_say_upravlenie(console: Dialogue, app: App,
                                                                              clock: FakeClock) -> None:
    from tests.visits_support import Collector

    await book(console, topic="Государственные награды", day="Чт, 19 марта")
    collector = Collector(app)
    clock.set(msk(2026, 3, 19, 11))  # the visit is over: the survey is offered the next day
    await collector.run_due()
    clock.set(msk(2026, 3, 20, 11))
    sent = await collector.run_due()
    invites = [o.reply.text for o in collector.sent if "личном приёме" in o.reply.text and "Напоминаю" not in
               o.reply.text]
    assert invites, [o.reply.text for o in sent]
    assert invites[-1].startswith("Вчера вы были у нас на личном приёме.")
    assert "управлении" not in invites[-1]


async def test_the_working_saturday_of_2027_is_offered_and_booked(console: Dialogue, clock: FakeClock) -> None:
    clock.set(msk(2027, 2, 19, 17, 30))  # Friday evening before the working Saturday
    contacts = await console.say("Контакты и часы работы")
    assert "откроется завтра в 9:00 по московскому времени" in contacts
    assert "откроется в среду" not in contacts
    await console.say("меню")
    await console.say("Личный приём")
    days = await console.say("Государственные награды")
    assert "1. Сб, 20 февраля" in days  # the first day offered
    halves = await console.say("Сб, 20 февраля")
    # Friday's hours, one hour shorter before Defender's Day: 9–12 and 13–16
    assert "Суббота, 20 февраля 2027" in halves and "Утро (9:00–12:00)" in halves and "День (13:00–16:00)" in halves
    await console.say("утро")
    answer = await console.say("10:00")
    for reply in ("Согласен(на)", "Иванов Иван", "+79111234567"):
        if "Проверьте" not in answer:
            answer = await console.say(reply)
    done = await console.say("Записаться")
    assert "Когда: суббота, 20 февраля 2027, 10:00–10:30 по московскому времени" in done
    await console.say("Мои записи")
    await console.say("1")
    answer = await console.say("Да, отменить запись")
    assert "Запись № 1 на субботу, 20 февраля 2027, 10:00–10:30 отменена" in answer

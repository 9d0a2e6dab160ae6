"""Booking and cancelling a personal visit in the console, as a citizen sees it; what staff see."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.settings import Settings
from handlers.domain.slots import Slot
from handlers.visits import parse_day, parse_time
from storage.visits import book_slot, bookings_of
from tests.conftest import Dialogue
from tests.visits_support import book, directory_with_staff_chats, msk, press, send

HALF_HOUR = timedelta(minutes=30)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"directory_file": directory_with_staff_chats(tmp_path)})


@pytest.fixture
def other(app: App, tmp_path: Path) -> Dialogue:
    """A second citizen at another console."""
    log = io.StringIO()
    return Dialogue(ConsoleChannel(app, stdin=io.StringIO(), stdout=log, user_id="petrov",
                                   files_dir=tmp_path / "files2"), log)


async def test_booking_from_the_result_card(console: Dialogue, tmp_path: Path) -> None:
    await console.say("привет")
    await console.say("Иные кадровые вопросы")
    card = await console.say("Справки и копии документов")
    assert "Записаться на приём" in card
    days = await console.say("Записаться на приём")
    assert "Отдел кадров Управления" in days  # the department comes from the topic
    assert "Вт, 17 марта" in days and "Пт, 20 марта" in days and "Сб, 21 марта" not in days
    assert "Другой отдел" in days
    halves = await console.say("Чт, 19 марта")
    assert "Четверг, 19 марта 2026" in halves
    assert "Утро (9:00–12:00)" in halves and "День (13:00–18:00)" in halves
    times = await console.say("утро")
    assert "1. 9:00" in times and "6. 11:30" in times and "13:00" not in times
    consent = await console.say("10:00")
    assert "записать вас на личный приём" in consent and "Вы согласны" in consent
    assert "Как к вам обращаться" in await console.say("Согласен(на)")
    assert "номер телефона" in await console.say("Иванов Иван Петрович")
    check = await console.say("8 (911) 123-45-67")
    assert "Когда: четверг, 19 марта 2026, 10:00–10:30" in check
    assert "На чьё имя: Иванов Иван Петрович" in check and "Телефон: +79111234567" in check
    done = await console.say("Записаться")
    assert "Вы записаны на личный приём." in done
    assert "Когда: четверг, 19 марта 2026, 10:00–10:30 по московскому времени" in done
    assert "Куда: Отдел кадров Управления" in done
    assert "Адрес: г. Санкт-Петербург, Суворовский пр-кт, д. 67" in done
    # concrete directions from directory.yaml: metro and walking time, the way, the entrance, accessibility
    assert "Метро «Чернышевская» — 25 мин пешком" in done
    assert "Как добраться: дом 67 — в конце Суворовского проспекта" in done
    assert "Вход: с Суворовского проспекта, через бюро пропусков" in done
    assert "Для людей с инвалидностью: указатели в здании продублированы" in done
    assert "Что взять с собой: Паспорт" in done
    assert "Я напомню о приёме за 24 часа и 2 часа" in done
    assert "🔗 Открыть на карте: https://yandex.ru/maps/?pt=30.390500,59.942000&z=17&l=map" in done
    assert "📍 Личный приём: г. Санкт-Петербург, Суворовский пр-кт, д. 67\n" in done
    assert "(карта: 59.94200" not in done  # no raw coordinates
    assert "📎 Файл «priem-1.ics»" in done
    # invitations to the survey: a purpose of their own, offered once; passing over it is no consent
    assert "Можно прислать вам приглашение оценить качество консультации?" in done
    assert "Запись № 1 сохранена" in await console.say("Не согласен(на)")

    cal = Calendar.from_ical((tmp_path / "files" / "priem-1.ics").read_bytes())
    event = cal.walk("VEVENT")[0]
    assert event.decoded("dtstart") == datetime(2026, 3, 19, 7, 0, tzinfo=UTC)
    assert event.decoded("dtend") == datetime(2026, 3, 19, 7, 30, tzinfo=UTC)
    assert "Суворовский" in str(event["location"]) and "Отдел кадров" in str(event["summary"])

    staff = console.staff_output()
    assert "СОТРУДНИКАМ (telegram:-1004)" in staff
    assert "Новая запись на личный приём № 1" in staff
    assert "Посетитель: Иванов Иван Петрович, тел. +79111234567" in staff
    assert "Тема: Иные кадровые вопросы" in staff


async def test_only_really_free_times_are_shown(console: Dialogue, other: Dialogue) -> None:
    await book(console, time="10:00")  # awards: one visitor per slot
    await other.say("Личный приём")
    await other.say("Государственные награды")
    await other.say("Чт, 19 марта")
    times = await other.say("утро")
    assert "10:00" not in times and "9:30" in times and "10:30" in times
    answer = await other.say("10:00")
    assert "10:00 — это время недоступно для записи" in answer and "Свободно: 9:00, 9:30, 10:30" in answer


async def test_my_visits_and_cancellation_with_confirmation(console: Dialogue, other: Dialogue, app: App) -> None:
    await book(console)
    await console.say("меню")
    start = await console.say("Личный приём")
    assert "Мои записи (1)" in start
    mine = await console.say("Мои записи")
    assert "№ 1. четверг, 19 марта 2026, 10:00–10:30 — Отдел наградной политики" in mine
    assert "1. Отменить: 19.03 10:00" in mine
    ask = await console.say("1")
    assert "Отменить запись № 1?" in ask and "1. Да, отменить запись" in ask and "2. Нет, оставить запись" in ask
    kept = await console.say("Нет, оставить запись")
    assert "запись остаётся в силе" in kept and "№ 1. четверг, 19 марта 2026" in kept
    await console.say("Отменить: 19.03 10:00")
    done = await console.say("Да, отменить запись")
    assert "Запись № 1 на четверг, 19 марта 2026, 10:00–10:30 отменена" in done
    assert "У вас нет предстоящих записей" in done
    assert "Клиент отменил запись на личный приём № 1" in console.staff_output()
    # The place is free at once.
    await other.say("Личный приём")
    await other.say("Государственные награды")
    await other.say("Чт, 19 марта")
    assert "10:00" in await other.say("утро")
    assert await bookings_of(app.services.db, "console", "console", app.services.clock()) == []


async def test_cancelling_someone_elses_booking_is_refused(console: Dialogue, app: App) -> None:
    await book(console)
    answer = await press(app, "a.vcancel.1", user="stranger")
    assert "Запись с таким номером среди ваших не найдена" in answer
    assert "У вас нет предстоящих записей" in answer
    assert "Запись с таким номером среди ваших не найдена" in await press(app, "a.vcancel.x1", user="stranger")
    assert "Запись с таким номером среди ваших не найдена" in await press(app, "a.vcancel.999")
    assert len(await bookings_of(app.services.db, "console", "console", app.services.clock())) == 1


async def test_visits_are_seen_and_cancelled_only_in_their_channel(console: Dialogue, app: App) -> None:
    await book(console)
    await send(app, "Личный приём", user="console", channel="telegram")
    mine = await send(app, "Мои записи", user="console", channel="telegram")
    assert "У вас нет предстоящих записей" in mine and "в другом мессенджере" in mine
    refused = await press(app, "a.vcancel.1", user="console", channel="telegram")
    assert "среди ваших не найдена" in refused


async def test_clear_answers_to_bad_input(console: Dialogue) -> None:
    await console.say("Личный приём")
    await console.say("Государственные награды")
    assert "Дата 16.03.2026 уже прошла" in await console.say("16.03")
    assert "Суббота, 21 марта 2026 — нерабочий день" in await console.say("21.03")
    assert "Запись открыта на 14 дн. вперёд, до 31.03.2026" in await console.say("15.04")
    assert "Не понял дату" in await console.say("30.02")
    assert "Не понял дату" in await console.say("когда удобно")
    halves = await console.say("в пятницу")
    assert "Пятница, 20 марта 2026" in halves
    assert "не понял ответ" in await console.say("абракадабра")
    assert "Выберите время приёма" in await console.say("после обеда")
    assert "Не понял время" in await console.say("25:99")
    assert "12:00 — это время недоступно" in await console.say("12:00")
    assert "Вы согласны" in await console.say("в 13.00")
    # Back at the day screen a word of the calendar works too.
    await console.say("меню")
    await console.say("Личный приём")
    await console.say("Государственные награды")
    assert "Вторник, 17 марта 2026" in await console.say("сегодня")


async def test_a_time_taken_while_confirming(console: Dialogue, other: Dialogue) -> None:
    await console.say("Личный приём")
    await console.say("Государственные награды")
    await console.say("Чт, 19 марта")
    await console.say("утро")
    await console.say("10:00")
    await console.say("Согласен(на)")
    await console.say("Иванов Иван")
    assert "Проверьте" in await console.say("+79111234567")
    await book(other, time="10:00", name="Петров Пётр")
    answer = await console.say("Записаться")
    assert "Извините, это время только что заняли" in answer
    assert "Выберите время приёма" in answer and "10:00" not in answer and "10:30" in answer
    assert "Проверьте" in await console.say("10:30")  # consent and contact are remembered
    assert "Вы записаны" in await console.say("Записаться")


async def test_limit_of_visits_at_once(console: Dialogue) -> None:
    for time in ("9:00", "9:30", "10:00"):
        assert "Вы записаны" in await book(console, time=time)
    await console.say("меню")
    await console.say("Личный приём")
    await console.say("Государственные награды")
    await console.say("Чт, 19 марта")
    await console.say("утро")
    answer = await console.say("10:30")
    assert "У вас уже 3 будущих записи" in answer and "Ваши записи на личный приём" in answer


async def _fill_thursday(app: App, taken: int) -> None:
    """Book the first ``taken`` of the 16 places of Thursday 19 March in the awards department
    (one visitor a slot: 9:00–12:00, then from 13:00) for other people."""
    s = app.services
    starts = [msk(2026, 3, 19, 9) + timedelta(minutes=30 * i) for i in range(6)]
    starts += [msk(2026, 3, 19, 13) + timedelta(minutes=30 * i) for i in range(10)]
    for i, start in enumerate(starts[:taken]):
        slot = Slot(start.astimezone(UTC), (start + HALF_HOUR).astimezone(UTC))
        await book_slot(s.db, department="awards", start=slot.start, end=slot.end,
                        capacity=1, channel="console", user_id=f"u{i}",
                        chat_id=f"u{i}", name="X", phone=None, topic=None, priority=None, now=s.clock())


async def test_priority_client_gets_the_reserved_places(console: Dialogue, app: App) -> None:
    # Thursday of the awards department: 13 of 16 places taken, 3 are the priority reserve.
    await _fill_thursday(app, 13)
    await console.say("Личный приём")
    days = await console.say("Государственные награды")
    assert "Чт, 19 марта" not in days and "Ср, 18 марта" in days
    categories = await console.say("У меня право на первоочередной приём")
    assert "часть 7 статьи 13 Федерального закона № 59-ФЗ" in categories
    assert "Ветеран или инвалид боевых действий" in categories
    days = await console.say("Ветеран или инвалид боевых действий")
    assert "Хорошо: Ветеран или инвалид боевых действий" in days
    assert "в первоочередном порядке" in days
    assert "1. Ближайшее: Вт, 17 марта, 13:00" in days
    assert "Чт, 19 марта" in days
    halves = await console.say("Чт, 19 марта")
    assert "Утро" not in halves and "День (16:30–18:00)" in halves
    await console.say("день")
    await console.say("16:30")
    await console.say("Согласен(на)")
    await console.say("Сидоров Семён")
    answer = await console.say("+79110000000")
    assert "Первоочередной приём: Ветеран или инвалид боевых действий" in answer
    done = await console.say("Записаться")
    assert "Вы записаны" in done and "Первоочередной приём: Ветеран или инвалид боевых действий" in done
    assert "Первоочередной приём: Ветеран или инвалид боевых действий" in console.staff_output()


async def test_two_ordinary_clients_at_once_leave_the_reserve_whole(app: App) -> None:
    """Thursday of the awards department: 4 places left, 3 of them the priority reserve. Two
    ordinary clients confirm different times at the same moment: one gets the last ordinary place,
    the other is told it was just taken, and the reserve stays for priority clients."""
    s = app.services
    await _fill_thursday(app, 12)
    for user, time in (("anna", "16:00"), ("boris", "16:30")):
        await send(app, "Личный приём", user)
        assert "Чт, 19 марта" in await send(app, "Государственные награды", user)
        await send(app, "Чт, 19 марта", user)
        await send(app, "день", user)
        await send(app, time, user)
        await send(app, "Согласен(на)", user)
        await send(app, "Иванов Иван", user)
        assert "Записаться" in await send(app, "+79110000000", user)
    answers = await asyncio.gather(send(app, "Записаться", "anna"), send(app, "Записаться", "boris"))
    assert sorted("Вы записаны" in a for a in answers) == [False, True]
    assert any("это время только что заняли" in a for a in answers)
    booked = [v for u in ("anna", "boris") for v in await bookings_of(s.db, "console", u, s.clock())]
    assert len(booked) == 1
    # The reserve is whole: an ordinary client no longer sees the day, a priority client does.
    assert "Чт, 19 марта" not in await send(app, "Личный приём", "vera") + await send(app, "Государственные награды",
                                                                                       "vera")


async def test_priority_client_takes_the_earliest_time_at_once(console: Dialogue) -> None:
    await console.say("Личный приём")
    await console.say("Аттестация")
    await console.say("У меня право на первоочередной приём")
    days = await console.say("Герой Советского Союза, Герой России, кавалер ордена Славы")
    assert "1. Ближайшее: Вт, 17 марта, 13:00" in days and "4. Ближайшее: Вт, 17 марта, 14:30" in days
    await console.say("1")
    await console.say("Согласен(на)")
    await console.say("Иванов Иван")
    check = await console.say("+79111234567")
    assert "Когда: вторник, 17 марта 2026, 13:00–13:30" in check
    assert "Отдел подбора, обучения и оценки персонала Управления" in check
    done = await console.say("Записаться")
    # Booked 3 hours ahead: only the 2-hour reminder makes sense.
    assert "Я напомню о приёме за 2 часа." in done


async def test_department_chosen_in_the_menu_and_changed(console: Dialogue) -> None:
    await console.say("Личный приём")
    await console.say("Профессиональное развитие")
    await console.say("Назад")
    days = await console.say("Государственные награды")
    assert "Отдел наградной политики" in days and "Другой отдел" not in days


@pytest.mark.parametrize("typed,expected", [
    ("25.03", date(2026, 3, 25)), ("25.03.2026", date(2026, 3, 25)), ("25/03/26", date(2026, 3, 25)),
    ("25 марта", date(2026, 3, 25)), ("Чт, 19 марта", date(2026, 3, 19)), ("1 апреля 2026", date(2026, 4, 1)),
    ("сегодня", date(2026, 3, 17)),
    ("Завтра", date(2026, 3, 18)), ("послезавтра", date(2026, 3, 19)), ("в пятницу", date(2026, 3, 20)),
    ("пт", date(2026, 3, 20)), ("вторник", date(2026, 3, 17)), ("во вторник", date(2026, 3, 17)),
    ("в среду", date(2026, 3, 18)), ("16.03", date(2026, 3, 16)),
    ("30.02", None), ("25", None), ("когда-нибудь", None), ("32 марта", None),
])
def test_typed_dates(typed: str, expected: date | None) -> None:
    assert parse_day(typed, date(2026, 3, 17)) == expected


@pytest.mark.parametrize("typed,expected", [
    ("10:30", (10, 30)), ("10.30", (10, 30)), ("в 9:00", (9, 0)), ("9 30", (9, 30)), ("25:00", None),
    ("10", None), ("половина одиннадцатого", None),
])
def test_typed_times(typed: str, expected: tuple[int, int] | None) -> None:
    assert parse_time(typed) == expected

"""Is the line open right now? Moscow time, breaks, Friday hours, weekends, holidays, transfers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from handlers import texts
from handlers.domain.calendar import CalendarFile, WorkCalendar, describe_schedule, line_status
from handlers.domain.loading import load_calendar, load_directory

ROOT = Path(__file__).resolve().parent.parent
MSK = ZoneInfo("Europe/Moscow")
DIRECTORY = load_directory(ROOT / "directory.yaml")
CALENDAR = WorkCalendar(load_calendar(ROOT / "calendar.yaml"))
LINE = DIRECTORY.hours.line


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.mark.parametrize("when, is_open, text", [
    (msk(2026, 3, 17, 8, 59), False, "Сейчас закрыто, откроется сегодня в 9:00."),  # Tue before opening
    (msk(2026, 3, 17, 9, 0), True, "Сейчас открыто до 18:00 (перерыв 12:00–13:00)."),  # Tue morning
    (msk(2026, 3, 17, 11, 59), True, "Сейчас открыто до 18:00 (перерыв 12:00–13:00)."),
    (msk(2026, 3, 17, 12, 30), False, "Сейчас перерыв до 13:00."),
    (msk(2026, 3, 17, 13, 0), True, "Сейчас открыто до 18:00."),
    (msk(2026, 3, 17, 18, 0), False, "Сейчас закрыто, откроется завтра в 9:00."),
    (msk(2026, 3, 20, 16, 59), True, "Сейчас открыто до 17:00."),  # Friday afternoon
    (msk(2026, 3, 20, 17, 30), False, "Сейчас закрыто, откроется в понедельник в 9:00."),  # Friday evening
    (msk(2026, 3, 21, 11, 0), False, "Сейчас закрыто, откроется в понедельник в 9:00."),  # Saturday
    (msk(2026, 2, 23, 10, 0), False, "Сейчас закрыто, откроется завтра в 9:00."),  # Defender's Day (Mon)
    (msk(2026, 1, 5, 10, 0), False, "Сейчас закрыто, откроется 12.01.2026 в 9:00."),  # New Year holidays
    (msk(2026, 3, 6, 18, 0), False, "Сейчас закрыто, откроется во вторник в 9:00."),  # Mar 8 moved to Mon 9
    (msk(2026, 12, 31, 10, 0), False, "Сейчас закрыто, откроется 11.01.2027 в 9:00."),  # transferred day off
    (msk(2026, 4, 30, 17, 30), False, "Сейчас закрыто, откроется в понедельник в 9:00."),  # shortened Thu
    (msk(2026, 4, 30, 16, 30), True, "Сейчас открыто до 17:00."),  # shortened day closes an hour early
    (msk(2025, 11, 1, 10, 0), True, "Сейчас открыто до 16:00 (перерыв 12:00–13:00)."),  # working Saturday
    (datetime(2026, 3, 17, 15, 30, tzinfo=ZoneInfo("UTC")), False, "Сейчас закрыто, откроется завтра в 9:00."),
])
def test_open_now(when: datetime, is_open: bool, text: str) -> None:
    status = line_status(CALENDAR, LINE, when, MSK)
    assert (status.is_open, status.text.replace(f" {texts.MSK}", "")) == (is_open, text)
    assert texts.MSK in status.text  # a client reads the time: whose time it is


def test_shortened_days_2026_from_the_calendar_file() -> None:
    shortened = [d for d in (date(2026, 1, 1).fromordinal(n) for n in range(date(2026, 1, 1).toordinal(),
                                                                             date(2027, 1, 1).toordinal()))
                 if CALENDAR.is_shortened(d)]
    assert shortened == [date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)]


def test_years_missing_from_the_file_follow_article_95() -> None:
    # A calendar without 2027: the working day right before a public holiday is shortened, the day
    # before a day off moved by the transfer decree is not (31.12.2027 is moved from 3 January).
    bare = WorkCalendar(CalendarFile(years={}))
    assert not bare.covers(2027)
    assert bare.is_shortened(date(2027, 6, 11))  # Friday before Russia Day (Saturday)
    assert not bare.is_shortened(date(2027, 6, 10))
    assert bare.is_shortened(date(2027, 11, 3))  # before Unity Day
    assert not bare.is_shortened(date(2027, 11, 4))  # the holiday itself
    assert not bare.is_shortened(date(2027, 12, 30))  # before a moved day off, not a holiday
    assert not bare.is_shortened(date(2027, 5, 7))  # before a weekend that precedes Victory Day


def test_2027_transfers_come_from_the_holidays_package() -> None:
    assert CALENDAR.covers(2027)
    assert CALENDAR.is_working_day(date(2027, 2, 20))  # Saturday, a working day moved from 22.02
    assert not CALENDAR.is_working_day(date(2027, 2, 22))  # the Monday it replaces
    assert not CALENDAR.is_working_day(date(2027, 11, 5))  # moved from Saturday 2 January
    assert not CALENDAR.is_working_day(date(2027, 12, 31))  # moved from Sunday 3 January
    assert not CALENDAR.is_working_day(date(2027, 5, 10))  # Victory Day falls on Sunday
    assert CALENDAR.is_working_day(date(2025, 11, 1))  # 2025's working Saturday, no longer in calendar.yaml


def test_2027_shortened_days_and_30_december() -> None:
    shortened = [d for d in (date.fromordinal(n) for n in range(date(2027, 1, 1).toordinal(),
                                                                date(2028, 1, 1).toordinal()))
                 if CALENDAR.is_shortened(d)]
    assert shortened == [date(2027, 2, 20), date(2027, 4, 30), date(2027, 6, 11), date(2027, 11, 3)]
    assert CALENDAR.hours(LINE, date(2027, 12, 30)) is not None
    assert CALENDAR.hours(LINE, date(2027, 12, 30)).end.hour == 18  # a full Thursday


@pytest.mark.parametrize("when, is_open, text", [
    # Friday 19.02.2027 evening: the next working day is Saturday 20.02, not Wednesday.
    (msk(2027, 2, 19, 17, 30), False, "Сейчас закрыто, откроется завтра в 9:00."),
    # The working Saturday has Friday's hours, one hour shorter before Defender's Day.
    (msk(2027, 2, 20, 10, 0), True, "Сейчас открыто до 16:00 (перерыв 12:00–13:00)."),
    (msk(2027, 2, 20, 16, 30), False, "Сейчас закрыто, откроется в среду в 9:00."),
    (msk(2027, 12, 30, 17, 30), True, "Сейчас открыто до 18:00."),
    (msk(2027, 12, 30, 18, 0), False, "Сейчас закрыто, откроется 10.01.2028 в 9:00."),
])
def test_open_now_2027(when: datetime, is_open: bool, text: str) -> None:
    status = line_status(CALENDAR, LINE, when, MSK)
    assert (status.is_open, status.text.replace(f" {texts.MSK}", "")) == (is_open, text)


def test_schedule_is_described_in_plain_russian() -> None:
    assert describe_schedule(LINE) == "Пн–Чт 9:00–18:00, Пт 9:00–17:00, перерыв 12:00–13:00"

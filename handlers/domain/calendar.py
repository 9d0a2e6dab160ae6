"""Working calendar: which days are working, how long they are, and whether a line is open now.

Days off and public holidays (including transferred days off) come from the ``holidays`` package;
pre-holiday shortened days, transferred working Saturdays and extra closures come from
``calendar.yaml``, which the administrator keeps up to date every year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from handlers.domain.fields import WEEKDAYS, Schedule, Strict, TimeRange


class CalendarFile(Strict):
    """Production-calendar facts the ``holidays`` package does not know."""

    years: list[int]
    shortened: list[date] = []
    working_days: list[date] = []
    closed: list[date] = []

WEEKDAY_NAMES_ACC = ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу",
                     "в воскресенье")


@lru_cache(maxsize=8)
def _russian_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Russia(years=year).keys())


class WorkCalendar:
    def __init__(self, calendar: CalendarFile) -> None:
        self._file = calendar
        self._shortened = frozenset(calendar.shortened)
        self._working = frozenset(calendar.working_days)
        self._closed = frozenset(calendar.closed)
        self.memo: dict[tuple[object, ...], Any] = {}  # derived per-day results (handlers.domain.slots.day_slots)

    def covers(self, year: int) -> bool:
        return year in self._file.years

    def is_working_day(self, day: date) -> bool:
        if day in self._closed:
            return False
        if day in self._working:
            return True
        return day.weekday() < 5 and day not in _russian_holidays(day.year)

    def is_shortened(self, day: date) -> bool:
        if day in self._shortened:
            return True
        if self.covers(day.year):
            return False
        # Years not described in calendar.yaml: art. 95 of the Labour Code, the working day right
        # before a public holiday is one hour shorter.
        nxt = day + timedelta(days=1)
        return self.is_working_day(day) and nxt in _russian_holidays(nxt.year) and not self.is_working_day(nxt)

    def hours(self, schedule: Schedule, day: date) -> TimeRange | None:
        """The opening interval of ``day`` (shortened by one hour before a holiday) or None."""
        if not self.is_working_day(day):
            return None
        rng = schedule.days.get(WEEKDAYS[day.weekday()])
        if rng is None:
            # A working Saturday from a transfer: the hours of the day it replaces (Friday's are the
            # shortest of the week, the usual practice).
            rng = schedule.days.get("fri") or next(iter(schedule.days.values()), None)
            if rng is None:
                return None
        if self.is_shortened(day):
            end = (datetime.combine(day, rng.end) - timedelta(hours=1)).time()
            rng = TimeRange(start=rng.start, end=end)
        return rng


@dataclass(frozen=True, slots=True)
class LineStatus:
    is_open: bool
    text: str


def _hm(t: time) -> str:
    return f"{t.hour}:{t.minute:02d}"


def line_status(calendar: WorkCalendar, schedule: Schedule, now: datetime, tz: ZoneInfo) -> LineStatus:
    """Plain-Russian status of a line at ``now``: open until when, on a break, or when it opens."""
    local = now.astimezone(tz)
    today, clock = local.date(), local.time().replace(tzinfo=None)
    rng = calendar.hours(schedule, today)
    if rng and rng.start <= clock < rng.end:
        for brk in schedule.breaks:
            if brk.start <= clock < brk.end:
                return LineStatus(False, f"Сейчас перерыв до {_hm(brk.end)}.")
        closes = rng.end
        upcoming_break = next((b for b in schedule.breaks if clock < b.start < rng.end), None)
        if upcoming_break:
            return LineStatus(True, f"Сейчас открыто до {_hm(closes)} (перерыв "
                                    f"{_hm(upcoming_break.start)}–{_hm(upcoming_break.end)}).")
        return LineStatus(True, f"Сейчас открыто до {_hm(closes)}.")
    # Closed: find the next opening.
    if rng and clock < rng.start:
        return LineStatus(False, f"Сейчас закрыто, откроется сегодня в {_hm(rng.start)}.")
    day = today
    for _ in range(30):
        day += timedelta(days=1)
        nxt = calendar.hours(schedule, day)
        if nxt:
            if day == today + timedelta(days=1):
                when = "завтра"
            elif (day - today).days < 7:
                when = WEEKDAY_NAMES_ACC[day.weekday()]
            else:
                when = f"{day:%d.%m.%Y}"
            return LineStatus(False, f"Сейчас закрыто, откроется {when} в {_hm(nxt.start)}.")
    return LineStatus(False, "Сейчас закрыто.")


def describe_schedule(schedule: Schedule) -> str:
    """``Пн–Чт 9:00–18:00, Пт 9:00–17:00, перерыв 12:00–13:00`` from the weekly schedule."""
    short = {"mon": "Пн", "tue": "Вт", "wed": "Ср", "thu": "Чт", "fri": "Пт", "sat": "Сб", "sun": "Вс"}
    groups: list[tuple[list[str], TimeRange]] = []
    for key in WEEKDAYS:
        rng = schedule.days.get(key)
        if rng is None:
            continue
        if groups and groups[-1][1] == rng and WEEKDAYS.index(groups[-1][0][-1]) + 1 == WEEKDAYS.index(key):
            groups[-1][0].append(key)
        else:
            groups.append(([key], rng))
    parts = []
    for keys, rng in groups:
        days = short[keys[0]] if len(keys) == 1 else f"{short[keys[0]]}–{short[keys[-1]]}"
        parts.append(f"{days} {_hm(rng.start)}–{_hm(rng.end)}")
    text = ", ".join(parts)
    if schedule.breaks:
        text += ", перерыв " + ", ".join(f"{_hm(b.start)}–{_hm(b.end)}" for b in schedule.breaks)
    return text

"""Working calendar: which days are working, how long they are, and whether a line is open now.

Days off, public holidays, transferred days off and transferred working Saturdays come from the
``holidays`` package (``holidays.Russia``: its ``is_working_day`` knows both the days off and the
``weekend_workdays``). ``calendar.yaml`` adds what the package cannot know: the official shortened
pre-holiday days and local closures, one section per year, updated every year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from pydantic import model_validator

from handlers import texts
from handlers.domain.fields import WEEKDAYS, Schedule, Strict, TimeRange


class CalendarYear(Strict):
    """One year beyond the ``holidays`` package: shortened pre-holiday days (art. 95 of the Labour
    Code, as the production calendar lists them), extra working days the package does not know yet,
    local closures. ``verify`` — not yet checked against the official calendar."""

    shortened: list[date] = []
    working_days: list[date] = []
    closed: list[date] = []
    verify: bool = False


class CalendarFile(Strict):
    """Production-calendar facts the ``holidays`` package does not know, by year."""

    years: dict[int, CalendarYear]

    @model_validator(mode="after")
    def _dates_in_their_year(self) -> CalendarFile:
        problems = [f"{year}.{field}: {day:%Y-%m-%d} — дата другого года"
                    for year, section in self.years.items()
                    for field in ("shortened", "working_days", "closed")
                    for day in getattr(section, field) if day.year != year]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def days(self, field: str) -> frozenset[date]:
        return frozenset(day for section in self.years.values() for day in getattr(section, field))


WEEKDAY_NAMES_ACC = ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу",
                     "в воскресенье")


@lru_cache(maxsize=16)
def _russia(year: int) -> holidays.HolidayBase:
    return holidays.Russia(years=year)


@lru_cache(maxsize=16)
def _moved_days_off(year: int) -> frozenset[date]:
    """Days off moved by the government's transfer decree (``Выходной (перенесено с …)``)."""
    calendar = holidays.Russia(years=year, observed=False, language="ru")
    prefix = calendar.substituted_label.split("%s")[0]
    return frozenset(day for day in calendar if all(name.startswith(prefix) for name in calendar.get_list(day)))


@lru_cache(maxsize=16)
def public_holidays(year: int) -> frozenset[date]:
    """Non-working public holidays (art. 112 of the Labour Code): neither a day off moved by a
    transfer (31.12.2027, moved from 3 January) nor a Monday off after a holiday on a weekend."""
    calendar = holidays.Russia(years=year, observed=False, language="ru")
    return frozenset(calendar) - _moved_days_off(year)


def package_knows_transfers(year: int) -> bool:
    """Whether the installed ``holidays`` knows the transfer decree of ``year`` (every year so far
    has moved at least one day off)."""
    return bool(_moved_days_off(year) or _russia(year).weekend_workdays)


class WorkCalendar:
    def __init__(self, calendar: CalendarFile) -> None:
        self._file = calendar
        self._shortened = calendar.days("shortened")
        self._working = calendar.days("working_days")
        self._closed = calendar.days("closed")
        self.memo: dict[tuple[object, ...], Any] = {}  # derived per-day results (handlers.domain.slots.day_slots)

    def covers(self, year: int) -> bool:
        return year in self._file.years

    def is_working_day(self, day: date) -> bool:
        if day in self._closed:
            return False
        if day in self._working:
            return True
        return _russia(day.year).is_working_day(day)  # weekends, holidays, transfers both ways

    def is_shortened(self, day: date) -> bool:
        if day in self._shortened:
            return True
        if self.covers(day.year):
            return False
        # Years not described in calendar.yaml: art. 95 of the Labour Code, the working day right
        # before a public holiday is one hour shorter (not before a day off moved from elsewhere).
        nxt = day + timedelta(days=1)
        return self.is_working_day(day) and nxt in public_holidays(nxt.year) and not self.is_working_day(nxt)

    def warnings(self, today: date) -> list[str]:
        """What an administrator should look at in calendar.yaml (``check-config``)."""
        out: list[str] = []
        for year in (today.year, today.year + 1):
            if not self.covers(year):
                out.append(texts.CALENDAR_YEAR_MISSING.format(year=year))
            if not package_knows_transfers(year):
                out.append(texts.CALENDAR_PACKAGE_OUTDATED.format(year=year))
        for year, section in sorted(self._file.years.items()):
            if section.verify:
                out.append(texts.CALENDAR_YEAR_VERIFY.format(year=year))
            for day in section.shortened:
                if not self.is_working_day(day):
                    out.append(texts.CALENDAR_SHORTENED_DAY_OFF.format(year=year, day=f"{day:%Y-%m-%d}"))
            for day in section.working_days:
                if _russia(day.year).is_working_day(day):
                    out.append(texts.CALENDAR_WORKING_KNOWN.format(year=year, day=f"{day:%Y-%m-%d}"))
        return out

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
                return LineStatus(False, texts.STATUS_BREAK.format(until=_hm(brk.end)))
        closes = rng.end
        upcoming_break = next((b for b in schedule.breaks if clock < b.start < rng.end), None)
        if upcoming_break:
            return LineStatus(True, texts.STATUS_OPEN_BREAK.format(
                until=_hm(closes), start=_hm(upcoming_break.start), end=_hm(upcoming_break.end)))
        return LineStatus(True, texts.STATUS_OPEN.format(until=_hm(closes)))
    # Closed: find the next opening.
    if rng and clock < rng.start:
        return LineStatus(False, texts.STATUS_OPENS.format(when=texts.STATUS_TODAY, at=_hm(rng.start)))
    day = today
    for _ in range(30):
        day += timedelta(days=1)
        nxt = calendar.hours(schedule, day)
        if nxt:
            if day == today + timedelta(days=1):
                when = texts.STATUS_TOMORROW
            elif (day - today).days < 7:
                when = WEEKDAY_NAMES_ACC[day.weekday()]
            else:
                when = f"{day:%d.%m.%Y}"
            return LineStatus(False, texts.STATUS_OPENS.format(when=when, at=_hm(nxt.start)))
    return LineStatus(False, texts.STATUS_CLOSED)


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

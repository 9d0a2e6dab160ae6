"""Visit slots: when a department can receive visitors, from the weekly visit hours and the
production calendar (``WorkCalendar``: weekends, public holidays, transferred days off, working
Saturdays, pre-holiday days one hour shorter, extra closures). Pure functions: the database only
tells what is already taken and which periods staff have closed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from handlers.domain.calendar import WorkCalendar
from handlers.domain.directory import VisitSettings
from handlers.domain.fields import Schedule

Half = Literal["am", "pm"]


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """One reception period, ``[start, end)``, aware datetimes in UTC."""

    start: datetime
    end: datetime

    def local(self, tz: ZoneInfo) -> datetime:
        return self.start.astimezone(tz)


Period = tuple[datetime, datetime]  # a closed period [start, end), aware


def day_slots(calendar: WorkCalendar, schedule: Schedule, day: date, tz: ZoneInfo, minutes: int) -> tuple[Slot, ...]:
    """Every slot of ``day``: from opening to closing in steps of ``minutes``, none overlapping a
    break; the last slot ends no later than closing (a shortened day loses its last hour).
    Remembered per calendar: every screen of a booking asks for the days of the horizon again."""
    key = ("day_slots", id(schedule), day, str(tz), minutes)
    hit = calendar.memo.get(key)
    if hit is not None and hit[0] is schedule:
        return hit[1]
    out = _day_slots(calendar, schedule, day, tz, minutes)
    if len(calendar.memo) > 4096:  # a long-running process walks through the years
        calendar.memo.clear()
    calendar.memo[key] = (schedule, out)
    return out


def _day_slots(calendar: WorkCalendar, schedule: Schedule, day: date, tz: ZoneInfo, minutes: int) -> tuple[Slot, ...]:
    hours = calendar.hours(schedule, day)
    if hours is None:
        return ()
    step = timedelta(minutes=minutes)
    at = datetime.combine(day, hours.start, tzinfo=tz)
    closes = datetime.combine(day, hours.end, tzinfo=tz)
    breaks = [(datetime.combine(day, b.start, tzinfo=tz), datetime.combine(day, b.end, tzinfo=tz))
              for b in schedule.breaks]
    out: list[Slot] = []
    while at + step <= closes:
        clash = next((b for b in breaks if at < b[1] and b[0] < at + step), None)
        if clash is not None:
            at = clash[1]  # resume right after the break
            continue
        out.append(Slot(at.astimezone(UTC), (at + step).astimezone(UTC)))
        at += step
    return tuple(out)


def overlaps(slot: Slot, periods: Iterable[Period]) -> bool:
    return any(slot.start < end and start < slot.end for start, end in periods)


def reserve_places(rules: VisitSettings, day_places: int, day_opens: datetime, now: datetime) -> int:
    """Places of a day kept for priority clients: ``priority_share`` of the day's places (at least
    one when the share is not zero), released to everybody ``priority_release_hours`` before the
    day opens so that no place is wasted."""
    if rules.priority_share <= 0 or day_places <= 0:
        return 0
    if now >= day_opens - timedelta(hours=rules.priority_release_hours):
        return 0
    return max(1, math.floor(day_places * rules.priority_share + 1e-9))


def last_day(rules: VisitSettings, now: datetime, tz: ZoneInfo) -> date:
    return now.astimezone(tz).date() + timedelta(days=rules.horizon_days)


def earliest_start(rules: VisitSettings, now: datetime) -> datetime:
    return now + timedelta(hours=rules.min_notice_hours)


def free_slots(calendar: WorkCalendar, schedule: Schedule, rules: VisitSettings, now: datetime, tz: ZoneInfo, *,
               taken: Mapping[datetime, int], priority_taken: Mapping[date, int],
               closures: Sequence[Period] = (), priority: bool = False) -> list[Slot]:
    """Slots a client may book now, earliest first.

    ``taken`` counts active bookings per slot start, ``priority_taken`` the priority bookings per
    day. A slot is free when it starts after the minimum notice, within the horizon, outside closed
    periods and with fewer bookings than ``per_slot``. A client without priority sees a day only
    while its free places exceed what is left of the day's priority reserve.
    """
    earliest = earliest_start(rules, now)
    today = now.astimezone(tz).date()
    out: list[Slot] = []
    for offset in range(rules.horizon_days + 1):
        day = today + timedelta(days=offset)
        open_slots = [s for s in day_slots(calendar, schedule, day, tz, rules.slot_minutes)
                      if not overlaps(s, closures)]
        if not open_slots:
            continue
        free = {s: rules.per_slot - taken.get(s.start, 0) for s in open_slots if s.start >= earliest}
        free = {s: n for s, n in free.items() if n > 0}
        if not free:
            continue
        if not priority:
            reserve = reserve_places(rules, len(open_slots) * rules.per_slot, open_slots[0].start, now)
            if sum(free.values()) <= max(0, reserve - priority_taken.get(day, 0)):
                continue
        out.extend(sorted(free))
    return out


def half_of(slot: Slot, schedule: Schedule, tz: ZoneInfo) -> Half:
    """Morning is before the (first) lunch break, afternoon after it; 13:00 without breaks."""
    boundary = schedule.breaks[0].start if schedule.breaks else time(13, 0)
    return "am" if slot.local(tz).time() < boundary else "pm"


def by_day(slots: Iterable[Slot], tz: ZoneInfo) -> dict[date, list[Slot]]:
    out: dict[date, list[Slot]] = {}
    for s in slots:
        out.setdefault(s.local(tz).date(), []).append(s)
    return out

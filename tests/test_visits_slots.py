"""Slot generation from the visit hours of directory.yaml and the production calendar: a month of
holidays, transferred days off, shortened pre-holiday days, a working Saturday, lunch, minimum
notice, horizon, closed periods and the priority reserve."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from handlers.domain.calendar import WorkCalendar
from handlers.domain.directory import VisitSettings
from handlers.domain.loading import load_calendar, load_directory
from handlers.domain.slots import Slot, by_day, day_slots, free_slots, half_of, reserve_places
from tests.conftest import ROOT

MSK = ZoneInfo("Europe/Moscow")
DIRECTORY = load_directory(ROOT / "directory.yaml")
SCHEDULE = DIRECTORY.hours.visits
CALENDAR = WorkCalendar(load_calendar(ROOT / "calendar.yaml"))

# May 2026, slots of 30 minutes: Mon–Thu 9–18 with lunch 12–13 = 6 + 10; Fri 9–17 = 6 + 8.
MAY_2026 = {
    1: 0,    # Fri: Spring and Labour Day
    2: 0, 3: 0,
    4: 16, 5: 16, 6: 16, 7: 16,
    8: 12,   # Fri before Victory Day: shortened to 9–16
    9: 0, 10: 0,
    11: 0,   # Mon: day off transferred from Sat 9 May
    12: 16, 13: 16, 14: 16,
    15: 14,
    16: 0, 17: 0,
    18: 16, 19: 16, 20: 16, 21: 16,
    22: 14,
    23: 0, 24: 0,
    25: 16, 26: 16, 27: 16, 28: 16,
    29: 14,
    30: 0, 31: 0,
}


def _times(slots: list[Slot]) -> list[str]:
    return [s.local(MSK).strftime("%H:%M") for s in slots]


def _msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.mark.parametrize("day,count", sorted(MAY_2026.items()))
def test_may_2026_slots_per_day(day: int, count: int) -> None:
    assert len(day_slots(CALENDAR, SCHEDULE, date(2026, 5, day), MSK, 30)) == count


def test_ordinary_day_skips_lunch_and_ends_at_closing() -> None:
    slots = day_slots(CALENDAR, SCHEDULE, date(2026, 5, 12), MSK, 30)
    assert _times(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00", "11:30",
                             "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00", "17:30"]
    assert slots[-1].end == _msk(2026, 5, 12, 18)
    assert all(s.start.tzinfo is UTC for s in slots)


def test_shortened_friday_loses_its_last_hour() -> None:
    assert _times(day_slots(CALENDAR, SCHEDULE, date(2026, 5, 8), MSK, 30))[-3:] == ["14:30", "15:00", "15:30"]
    assert _times(day_slots(CALENDAR, SCHEDULE, date(2026, 5, 15), MSK, 30))[-1] == "16:30"


@pytest.mark.parametrize("day", [date(2026, 4, 30), date(2026, 6, 11), date(2026, 11, 3)])
def test_2026_shortened_weekdays_end_at_17(day: date) -> None:
    slots = day_slots(CALENDAR, SCHEDULE, day, MSK, 30)
    assert len(slots) == 14 and slots[-1].end == datetime.combine(day, datetime.min.time(), MSK).replace(hour=17)


def test_working_saturday_20_february_2027_is_offered() -> None:
    counts = {d: len(day_slots(CALENDAR, SCHEDULE, date(2027, 2, 19) + timedelta(days=d), MSK, 30))
              for d in range(6)}
    # Fri 19; Sat 20 works (moved from Mon 22, the package's transfer) and is pre-holiday; Sun 21;
    # Mon 22 day off; Tue 23 Defender's Day; Wed 24 an ordinary day.
    assert counts == {0: 14, 1: 12, 2: 0, 3: 0, 4: 0, 5: 16}
    rules = VisitSettings(slot_minutes=30, per_slot=1, horizon_days=14, min_notice_hours=2, priority_share=0)
    free = free_slots(CALENDAR, SCHEDULE, rules, _msk(2027, 2, 19, 18), MSK, taken={}, priority_taken={})
    assert free[0].local(MSK) == _msk(2027, 2, 20, 9)
    assert _times(by_day(free, MSK)[date(2027, 2, 20)])[-1] == "15:30"


def test_30_december_2027_is_a_full_day() -> None:
    assert len(day_slots(CALENDAR, SCHEDULE, date(2027, 12, 30), MSK, 30)) == 16
    assert day_slots(CALENDAR, SCHEDULE, date(2027, 12, 31), MSK, 30) == ()


def test_working_saturday_and_transfer_of_november_2025() -> None:
    counts = {d: len(day_slots(CALENDAR, SCHEDULE, date(2025, 10, 31) + timedelta(days=d), MSK, 30))
              for d in range(5)}
    # Fri 31 Oct; Sat 1 Nov works (transfer) and is pre-holiday: Friday hours minus an hour;
    # Sun 2; Mon 3 Nov day off (transferred from the Saturday); Tue 4 Nov Unity Day.
    assert counts == {0: 14, 1: 12, 2: 0, 3: 0, 4: 0}


def test_slot_length_and_lunch_interplay() -> None:
    # 45-minute slots: 9:00, 9:45, 10:30, 11:15 (ends 12:00); then from 13:00 to 17:15 (ends 18:00).
    times = _times(day_slots(CALENDAR, SCHEDULE, date(2026, 5, 12), MSK, 45))
    assert times == ["09:00", "09:45", "10:30", "11:15", "13:00", "13:45", "14:30", "15:15", "16:00", "16:45"]
    # 40 minutes: 11:00 would end 11:40, 11:40 would cross lunch and is skipped.
    assert "11:40" not in _times(day_slots(CALENDAR, SCHEDULE, date(2026, 5, 12), MSK, 40))


RULES = VisitSettings(slot_minutes=30, per_slot=1, horizon_days=14, min_notice_hours=2, priority_share=0.2)


def _free(now: datetime, rules: VisitSettings = RULES, **kwargs: object) -> list[Slot]:
    return free_slots(CALENDAR, SCHEDULE, rules, now, MSK, taken=kwargs.pop("taken", {}),  # type: ignore[arg-type]
                      priority_taken=kwargs.pop("priority_taken", {}), **kwargs)  # type: ignore[arg-type]


def test_minimum_notice_hides_slots_starting_too_soon() -> None:
    now = _msk(2026, 3, 17, 10, 10)
    assert _times(by_day(_free(now), MSK)[date(2026, 3, 17)])[:2] == ["13:00", "13:30"]  # 12:10 is lunch
    no_notice = RULES.model_copy(update={"min_notice_hours": 0})
    assert _times(by_day(_free(now, no_notice), MSK)[date(2026, 3, 17)])[0] == "10:30"  # 10:00 has begun


def test_horizon_and_days_off_in_march() -> None:
    days = list(by_day(_free(_msk(2026, 3, 17, 10)), MSK))
    assert days[0] == date(2026, 3, 17) and days[-1] == date(2026, 3, 31)
    assert date(2026, 3, 21) not in days and date(2026, 3, 22) not in days  # the weekend
    assert len(days) == 11


def test_nothing_on_holidays_of_may() -> None:
    days = by_day(_free(_msk(2026, 4, 30, 19)), MSK)
    assert date(2026, 5, 1) not in days and date(2026, 5, 11) not in days
    assert len(days[date(2026, 5, 8)]) == 12


def test_taken_and_closed_slots_are_not_offered() -> None:
    now = _msk(2026, 3, 17, 10)
    ten = _msk(2026, 3, 18, 10).astimezone(UTC)
    closed = [(_msk(2026, 3, 18, 14, 15), _msk(2026, 3, 18, 15))]  # overlaps 14:00 and 14:30
    wed = _times(by_day(_free(now, taken={ten: 1}, closures=closed), MSK)[date(2026, 3, 18)])
    assert "10:00" not in wed and "14:00" not in wed and "14:30" not in wed
    assert "10:30" in wed and "15:00" in wed
    two = RULES.model_copy(update={"per_slot": 2})
    assert "10:00" in _times(by_day(_free(now, two, taken={ten: 1}), MSK)[date(2026, 3, 18)])


def test_priority_reserve_keeps_places_for_priority_clients() -> None:
    now = _msk(2026, 3, 17, 10)
    thu = date(2026, 3, 19)  # opens Thu 9:00, the reserve holds until Wed 9:00
    starts = [s.start for s in day_slots(CALENDAR, SCHEDULE, thu, MSK, 30)]
    assert reserve_places(RULES, 16, starts[0], now) == 3
    taken = {s: 1 for s in starts[:13]}  # 3 places left: exactly the reserve
    assert thu not in by_day(_free(now, taken=taken), MSK)
    assert len(by_day(_free(now, taken=taken, priority=True), MSK)[thu]) == 3
    # One of the reserve used by a priority client: 2 left, both still reserved.
    taken_p = {s: 1 for s in starts[:14]}
    assert thu not in by_day(_free(now, taken=taken_p, priority_taken={thu: 1}), MSK)
    # Twelve ordinary and one priority booking: 3 free, 2 reserved -> ordinary clients see the day.
    taken_q = {s: 1 for s in starts[:13]}
    assert thu in by_day(_free(now, taken=taken_q, priority_taken={thu: 1}), MSK)
    # A day before it opens the reserve is released to everybody.
    assert thu in by_day(_free(_msk(2026, 3, 18, 9), taken=taken), MSK)


def test_reserve_is_at_least_one_place_and_zero_without_share() -> None:
    opens = _msk(2026, 3, 19, 9)
    now = _msk(2026, 3, 17, 10)
    assert reserve_places(RULES.model_copy(update={"priority_share": 0.05}), 16, opens, now) == 1
    assert reserve_places(RULES.model_copy(update={"priority_share": 0}), 16, opens, now) == 0


def test_morning_and_afternoon_split_at_lunch() -> None:
    slots = day_slots(CALENDAR, SCHEDULE, date(2026, 5, 12), MSK, 30)
    halves = [half_of(s, SCHEDULE, MSK) for s in slots]
    assert halves == ["am"] * 6 + ["pm"] * 10

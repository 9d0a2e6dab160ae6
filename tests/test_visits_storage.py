"""Bookings in the database (SQLite and PostgreSQL): the unique index makes double booking
impossible even for 200 simultaneous attempts from independent connections; a cancelled place is
free at once; closing a period cancels what was booked in it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from handlers.domain.slots import Slot
from storage.db import Database
from storage.jobs import JobRow, JobSpec
from storage.visits import (
    BookingRefused,
    Visit,
    VisitRow,
    book_slot,
    bookings_of,
    cancel_booking,
    close_time,
    closures,
    reopen_time,
)

NOW = datetime(2026, 3, 17, 7, 0, tzinfo=UTC)
SLOT = Slot(datetime(2026, 3, 18, 7, 0, tzinfo=UTC), datetime(2026, 3, 18, 7, 30, tzinfo=UTC))  # Wed 10:00 MSK


async def _book(db: Database, user: str, *, slot: Slot = SLOT, capacity: int = 1, dep: str = "personnel") -> Visit:
    return await book_slot(db, department=dep, start=slot.start, end=slot.end,
                           capacity=capacity, channel="console", user_id=user,
                           chat_id=user, name="Иван", phone="+79111234567", topic=None, priority=None, now=NOW)


@pytest.fixture
async def db(db_url: str):  # type: ignore[no-untyped-def]
    database = Database(db_url)
    yield database
    await database.close()


async def _active(db: Database, slot: Slot = SLOT) -> list[int]:
    return sorted(r.place for r in await db.rows(select(VisitRow.place).where(
        VisitRow.slot_start == slot.start, VisitRow.status == "active")))


async def test_database_refuses_a_second_active_booking_of_a_place(db: Database) -> None:
    row = dict(department="personnel", slot_start=SLOT.start, slot_end=SLOT.end, place=1, channel="console",
               chat_id="x", status="active", created_at=NOW)
    visits = VisitRow.__table__
    await db.rows(insert(visits).values(user_id="a", **row))
    with pytest.raises(IntegrityError):
        await db.rows(insert(visits).values(user_id="b", **row))
    # A cancelled booking does not hold its place.
    await db.rows(insert(visits).values(user_id="c", **{**row, "status": "cancelled"}))
    with pytest.raises(IntegrityError):  # and a place number must be positive
        await db.rows(insert(visits).values(user_id="d", **{**row, "place": 0}))


async def test_200_simultaneous_attempts_at_the_last_place_give_one_booking(db_url: str) -> None:
    engines = [Database(db_url, pool_size=5) for _ in range(4)]  # independent pools, like 4 instances
    try:
        first = await _book(engines[0], "early", capacity=2)
        assert first.place == 1

        async def attempt(i: int) -> Visit | str:
            try:
                return await _book(engines[i % len(engines)], f"user{i}", capacity=2)
            except BookingRefused as exc:
                return exc.reason

        started = time.perf_counter()
        results = await asyncio.gather(*(attempt(i) for i in range(200)))
        elapsed = time.perf_counter() - started
        winners = [r for r in results if isinstance(r, Visit)]
        assert len(winners) == 1, f"{len(winners)} bookings of one place"
        assert winners[0].place == 2
        assert sorted(r for r in results if isinstance(r, str)) == ["taken"] * 199
        assert await _active(engines[0]) == [1, 2]
        print(f"200 attempts at the last place: {elapsed:.2f} s")
    finally:
        for e in engines:
            await e.close()


async def test_cancelled_place_is_free_at_once_and_only_owner_cancels(db: Database) -> None:
    visit = await _book(db, "alice")
    with pytest.raises(BookingRefused) as refused:
        await _book(db, "bob")
    assert refused.value.reason == "taken"
    assert await cancel_booking(db, visit.id, channel="console", user_id="bob", now=NOW) is None
    assert await cancel_booking(db, visit.id, channel="telegram", user_id="alice", now=NOW) is None
    cancelled = await cancel_booking(db, visit.id, channel="console", user_id="alice", now=NOW)
    assert cancelled is not None and cancelled.status == "cancelled" and cancelled.cancelled_by == "client"
    assert await cancel_booking(db, visit.id, channel="console", user_id="alice", now=NOW) is None  # only once
    assert (await _book(db, "bob")).place == 1
    assert await bookings_of(db, "console", "alice", NOW) == []


async def test_one_person_cannot_hold_two_visits_at_the_same_time(db: Database) -> None:
    await _book(db, "alice", dep="personnel")
    with pytest.raises(BookingRefused) as refused:
        await _book(db, "alice", dep="awards")
    assert refused.value.reason == "busy"


async def test_a_begun_visit_cannot_be_cancelled(db: Database) -> None:
    visit = await _book(db, "alice")
    assert await cancel_booking(db, visit.id, channel="console", user_id="alice",
                                now=SLOT.start + timedelta(minutes=1)) is None


async def test_closing_cancels_booked_visits_and_blocks_new_ones(db: Database) -> None:
    visit = await _book(db, "alice", capacity=2)
    other_dep = await _book(db, "bob", dep="awards")
    closure, cancelled = await close_time(db, "personnel", SLOT.start - timedelta(hours=1),
                                          SLOT.end + timedelta(hours=1), reason="совещание", by="console:admin",
                                          now=NOW)
    assert [v.id for v in cancelled] == [visit.id]
    assert cancelled[0].cancelled_by == "staff" and cancelled[0].cancel_reason == "совещание"
    assert [v.id for v in await bookings_of(db, "console", "bob", NOW)] == [other_dep.id]
    with pytest.raises(BookingRefused) as refused:
        await _book(db, "carol", capacity=2)
    assert refused.value.reason == "closed"
    # the refused attempt left nothing behind
    assert await db.rows(select(VisitRow.id).where(VisitRow.user_id == "carol")) == []
    assert [c.id for c in await closures(db, ["personnel"], NOW)] == [closure.id]
    assert await reopen_time(db, closure.id, ["awards"]) is None  # not that department's
    assert (await reopen_time(db, closure.id, None)) == closure
    assert (await _book(db, "carol", capacity=2)).place == 1


async def test_the_jobs_of_a_visit_are_stored_with_it_or_not_at_all(db: Database) -> None:
    def jobs(visit: Visit) -> list[JobSpec]:
        return [JobSpec("visit_reminder", visit.start - timedelta(hours=24), {"visit": visit.id},
                        f"visit:{visit.id}:24"),
                JobSpec("visit_followup", visit.end, {"visit": visit.id}, f"visit:{visit.id}:after")]

    visit = await book_slot(db, department="personnel", start=SLOT.start, end=SLOT.end,
                            capacity=1, channel="console", user_id="a",
                            chat_id="a", name=None, phone=None, topic=None, priority=None, now=NOW, jobs=jobs)
    await close_time(db, "personnel", SLOT.end, SLOT.end + timedelta(hours=1), reason=None, by="staff", now=NOW)
    later = Slot(SLOT.end, SLOT.end + timedelta(minutes=30))
    with pytest.raises(BookingRefused):  # a closed period: the booking and its jobs are undone
        await book_slot(db, department="personnel", start=later.start, end=later.end,
                        capacity=1, channel="console", user_id="b",
                        chat_id="b", name=None, phone=None, topic=None, priority=None, now=NOW, jobs=jobs)
    keys = sorted(r.key for r in await db.rows(select(JobRow.key)))
    assert keys == [f"visit:{visit.id}:24", f"visit:{visit.id}:after"]

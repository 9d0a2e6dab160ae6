"""Conversation state storage, on both databases: what is saved comes back whole, a stale save is
refused, and a unit of work is seen by others only when it commits, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.conversations import State, StateConflict, load_state, save_state
from storage.db import Database
from storage.locks import lock_id, person_lock
from storage.tables import ConversationRow
from tests.conftest import FakeClock, pool_checkouts

_T = ConversationRow.__table__


async def test_saved_state_comes_back_whole(db_url: str, clock: FakeClock) -> None:
    db = Database(db_url)
    try:
        assert await load_state(db, "telegram", "7") is None
        state = State(step="visits.half", params={"dep": "kadry", "day": "20260318"},
                      data={"contact": {"name": "Анна Петровна 🙂", "phone": "+79110000000"}}, stack=["home", "a"])
        await save_state(db, "telegram", "7", "7", state, clock())
        assert state.version == 1
        back = await load_state(db, "telegram", "7")
        assert back == state
        back.step = "visits.time"
        await save_state(db, "telegram", "7", "7", back, clock())
        row = (await db.rows(select(_T.c.step, _T.c.version, _T.c.updated_at).where(_T.c.user_id == "7")))[0]
        assert (row.step, row.version, row.updated_at) == ("visits.time", 2, clock())
    finally:
        await db.close()


async def test_stale_or_duplicate_save_is_refused(db_url: str, clock: FakeClock) -> None:
    db = Database(db_url)
    try:
        await save_state(db, "vk", "9", "9", State(step="home"), clock())
        with pytest.raises(StateConflict):  # a second "first" save of the same person
            await save_state(db, "vk", "9", "9", State(step="menu"), clock())
        one, two = await load_state(db, "vk", "9"), await load_state(db, "vk", "9")
        assert one is not None and two is not None
        one.step = "need.topic"
        await save_state(db, "vk", "9", "9", one, clock())
        two.step = "survey.q1"
        with pytest.raises(StateConflict):
            await save_state(db, "vk", "9", "9", two, clock())
        final = await load_state(db, "vk", "9")
        assert final is not None and (final.step, final.version) == ("need.topic", 2)
    finally:
        await db.close()


async def test_a_unit_is_seen_when_it_commits_and_takes_one_connection(db_url: str, clock: FakeClock) -> None:
    """Within a unit load and save use the unit's connection only (no other checkout); another
    instance sees nothing before the commit and everything after it."""
    db = Database(db_url)
    other = Database(db_url)
    try:
        checkouts = pool_checkouts(db)
        async with person_lock(db, ("telegram", "5")), db.unit(lock=lock_id(("telegram", "5"))):
            taken = len(checkouts)
            state = await load_state(db, "telegram", "5") or State(step="home")
            state.step = "requests.text"
            await save_state(db, "telegram", "5", "5", state, clock())
            assert len(checkouts) == taken
            assert await load_state(other, "telegram", "5") is None  # not committed yet
        seen = await load_state(other, "telegram", "5")
        assert seen is not None and (seen.step, seen.version) == ("requests.text", 1)
    finally:
        await db.close()
        await other.close()


async def test_a_failed_unit_leaves_nothing(db_url: str, clock: FakeClock) -> None:
    db = Database(db_url)
    try:
        with pytest.raises(RuntimeError):
            async with db.unit():
                await save_state(db, "telegram", "6", "6", State(step="requests.text"), clock())
                raise RuntimeError("the flow failed after the save")
        assert await load_state(db, "telegram", "6") is None
    finally:
        await db.close()


async def test_times_are_stored_in_one_form(db_url: str, clock: FakeClock) -> None:
    """Every write of a time goes through SQLAlchemy's type, so SQLite's textual comparisons hold."""
    db = Database(db_url)
    try:
        await save_state(db, "telegram", "3", "3", State(step="home"), clock())
        async with db.unit():
            await save_state(db, "telegram", "4", "4", State(step="home"), clock())
        stored = await db.offload(lambda conn: conn.exec_driver_sql(
            "SELECT user_id, CAST(updated_at AS TEXT) FROM conversations WHERE user_id IN ('3', '4')").all())
        assert len(stored) == 2 and len({text for _, text in stored}) == 1, stored
    finally:
        await db.close()

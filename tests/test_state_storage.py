"""Conversation state storage, on both databases: what is saved comes back whole, a stale save is
refused, and a state written on SQLite's direct connection is at once visible to the ORM side."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.conversations import State, StateConflict, load_state, save_state
from storage.db import Database
from storage.locks import person_lock
from storage.tables import ConversationRow
from tests.conftest import FakeClock, pool_checkouts


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
        async with db.session() as s:  # the ORM side sees the committed row at once
            row = (await s.execute(select(ConversationRow).where(ConversationRow.user_id == "7"))).scalar_one()
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


async def test_state_inside_the_person_lock(db_url: str, clock: FakeClock) -> None:
    """Within the person's lock (on PostgreSQL, on the lock's own connection) load and save work
    and are committed when the lock is released."""
    db = Database(db_url)
    other = Database(db_url)
    try:
        checkouts = pool_checkouts(db)
        async with person_lock(db, ("telegram", "5")):
            taken = len(checkouts)
            state = await load_state(db, "telegram", "5") or State(step="home")
            state.step = "requests.text"
            await save_state(db, "telegram", "5", "5", state, clock())
            if not db.is_sqlite:  # no more connections from the pool than the lock's own
                assert len(checkouts) == taken
            seen = await load_state(other, "telegram", "5")  # another instance: committed already
            assert seen is not None and seen.step == "requests.text"
        again = await load_state(db, "telegram", "5")
        assert again is not None and again.version == 1
    finally:
        await db.close()
        await other.close()


async def test_times_are_stored_as_sqlalchemy_stores_them(db_url: str, clock: FakeClock) -> None:
    """The direct path and the ORM write the same text for a time on SQLite (comparisons in SQL
    are textual there), and both read it back as the same aware UTC moment."""
    db = Database(db_url)
    try:
        await save_state(db, "telegram", "3", "3", State(step="home"), clock())
        async with db.session() as s:
            s.add(ConversationRow(channel="telegram", user_id="4", chat_id="4", step="home", params={}, data={},
                                  stack=[], version=1, updated_at=clock()))
        async with db.engine.connect() as conn:
            stored = (await conn.exec_driver_sql(
                "SELECT user_id, CAST(updated_at AS TEXT) FROM conversations WHERE user_id IN ('3', '4')")).all()
        assert len({text for _, text in stored}) == 1, stored
    finally:
        await db.close()

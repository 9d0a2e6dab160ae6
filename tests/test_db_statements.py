"""``Database.rows``, ``Database.transaction`` and ``Database.unit``, the one statement path, on
both databases: all or nothing, nested use, others' statements kept apart."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.jobs import JobRow, add_job, cancel_jobs, pending_jobs, schedule_job
from storage.locks import lock_id, person_lock
from storage.sent import find_tag, record_sent
from storage.survey import client_invitations, create_invitation
from tests.conftest import FakeClock, pool_checkouts


async def test_a_failed_transaction_leaves_nothing(db_url: str, clock: FakeClock) -> None:
    db = Database(db_url)
    try:
        assert await schedule_job(db, "x", clock(), {}, now=clock(), key="kept") is not None
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await add_job(tx, "y", clock(), {}, now=clock(), key="fresh")
                await add_job(tx, "y", clock(), {}, now=clock(), key=None)
                raise RuntimeError("something went wrong after two inserts")
        inv = await create_invitation(db, token="t1", survey_id="s", channel="telegram", user_id="1", chat_id="1",
                                      reason="consultation", due_at=clock(), now=clock(),
                                      job=("survey_invite", lambda i: f"survey_invite:{i}:"))
        with pytest.raises(IntegrityError):  # the same exception type on both databases
            await create_invitation(db, token="t1", survey_id="s", channel="telegram", user_id="2", chat_id="2",
                                    reason="consultation", due_at=clock(), now=clock())
        assert [i.id for i in await client_invitations(db, "telegram", "1")] == [inv.id]
        assert await client_invitations(db, "telegram", "2") == []
        keys = [r.key for r in await db.rows(select(JobRow.key).order_by(JobRow.id))]
        assert keys == ["kept", f"survey_invite:{inv.id}:"], "the rolled-back jobs are not there"
    finally:
        await db.close()


async def test_statements_of_others_do_not_slip_into_a_transaction(db_url: str, clock: FakeClock) -> None:
    """While one transaction is open (and then rolled back), another task's statement waits and
    is kept: on SQLite both would share one connection."""
    db = Database(db_url)
    try:
        opened = asyncio.Event()

        async def failing() -> None:
            with pytest.raises(RuntimeError):
                async with db.transaction() as tx:
                    await add_job(tx, "y", clock(), {}, now=clock(), key="rolled-back")
                    opened.set()
                    await asyncio.sleep(0.05)
                    raise RuntimeError("undo")

        async def other() -> None:
            await opened.wait()
            await record_sent(db, "telegram", "5", ["77"], "visit:1", clock())

        await asyncio.gather(failing(), other())
        assert await find_tag(db, "telegram", "5", "77") == "visit:1"
        assert await schedule_job(db, "y", clock(), {}, now=clock(), key="rolled-back") is not None, \
            "the rolled-back job is not there"
    finally:
        await db.close()


async def test_transactions_inside_a_unit(db_url: str, clock: FakeClock) -> None:
    """Within an event's unit a transaction is a savepoint: its failure undoes it alone and the unit
    goes on; on PostgreSQL everything runs on the unit's connection, taking none from the pool;
    others see the unit's work when it commits."""
    db = Database(db_url)
    other = Database(db_url)
    try:
        checkouts = pool_checkouts(db)
        async with person_lock(db, ("telegram", "8")), db.unit(lock=lock_id(("telegram", "8"))):
            taken = len(checkouts)
            with pytest.raises(RuntimeError):
                async with db.transaction() as tx:
                    await add_job(tx, "y", clock(), {}, now=clock(), key="undone")
                    raise RuntimeError("undo")
            async with db.transaction() as tx:
                await add_job(tx, "y", clock(), {}, now=clock(), key="done")
                # a statement of the unit itself inside the transaction: no deadlock, same transaction
                assert [r.key for r in await db.rows(select(JobRow.key))] == ["done"]
            with pytest.raises(IntegrityError):  # a failed statement in a savepoint: the unit goes on
                async with db.transaction():
                    await create_invitation(db, token="dup", survey_id="s", channel="vk", user_id="1", chat_id="1",
                                            reason="menu", due_at=clock(), now=clock())
                    await create_invitation(db, token="dup", survey_id="s", channel="vk", user_id="2", chat_id="2",
                                            reason="menu", due_at=clock(), now=clock())
            await add_job(db, "y", clock(), {}, now=clock(), key="after")
            assert await other.rows(select(JobRow.key)) == []  # not committed yet
            assert len(checkouts) == taken
        assert sorted(r.key for r in await other.rows(select(JobRow.key))) == ["after", "done"]
    finally:
        await db.close()
        await other.close()


async def test_rows_inside_a_transaction_and_expanding_in(db_url: str, clock: FakeClock) -> None:
    """``db.rows`` called inside ``db.transaction`` joins it (it used to wait for itself forever on
    SQLite), and an expanding IN list works through ``db.rows``."""
    db = Database(db_url)
    try:
        async with db.transaction() as tx:
            await add_job(tx, "y", clock(), {}, now=clock(), key="a")
            await add_job(db, "y", clock(), {}, now=clock(), key="b")
            assert len(await db.rows(select(JobRow.key))) == 2
        found = await db.rows(select(JobRow.key).where(JobRow.key.in_(bindparam("keys", expanding=True))),
                              {"keys": ["a", "b", "zzz"]})
        assert sorted(r.key for r in found) == ["a", "b"]
    finally:
        await db.close()


async def test_every_message_of_a_reply_is_found_by_its_tag(db_url: str, clock: FakeClock) -> None:
    """A card sent as several messages (long text, a file, a place) is recorded in one statement,
    and a staff member may reply to any of them."""
    db = Database(db_url)
    try:
        await record_sent(db, "telegram", "-100", ["11", "12", "13"], "request:4", clock())
        await record_sent(db, "telegram", "-100", [], "request:5", clock())
        assert [await find_tag(db, "telegram", "-100", m) for m in ("11", "12", "13", "14")] == \
            ["request:4", "request:4", "request:4", None]
    finally:
        await db.close()


async def test_a_keyed_job_is_moved_while_pending_and_never_revived(db_url: str, clock: FakeClock) -> None:
    """Scheduling a key again moves the pending job (one job, the new time and payload), also when
    two do it at once; once the job is cancelled, the key schedules nothing."""
    db = Database(db_url)
    try:
        first = await schedule_job(db, "remind", clock(), {"v": 1}, now=clock(), key="visit:1:24h")
        later = clock() + timedelta(hours=2)
        ids = await asyncio.gather(*(schedule_job(db, "remind", later, {"v": 2}, now=clock(), key="visit:1:24h")
                                     for _ in range(3)))
        assert set(ids) == {first}
        [job] = await pending_jobs(db, "remind")
        assert (job.id, job.due_at, job.payload) == (first, later, {"v": 2})
        assert await cancel_jobs(db, "visit:1:") == 1
        assert await schedule_job(db, "remind", later, {"v": 3}, now=clock(), key="visit:1:24h") is None
        assert await pending_jobs(db, "remind") == []
    finally:
        await db.close()

"""Due work kept in the database: reminders, invitations, alerts, deliveries to retry.

Jobs survive restarts and are claimed atomically, so with several instances every job runs once:
a claim is a conditional UPDATE (``status = 'pending'``) of rows selected ``FOR UPDATE SKIP LOCKED``
(PostgreSQL; SQLite serialises writers anyway). A claim is a lease: if an instance dies while
running a job, the job becomes claimable again when the lease expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database, Transaction, insert_new, upsert


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str | None] = mapped_column(String(120), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending running done failed cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_jobs_status_due", "status", "due_at"),)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    key: str | None
    payload: dict
    due_at: datetime
    attempts: int


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A job to add together with something else (``add_job``)."""

    kind: str
    due_at: datetime
    payload: dict
    key: str | None = None


_J = JobRow.__table__
# A new job; for a key already there, that job is moved if still pending (no row back if not). One
# statement whether the key is new or not (a lookup and an insert before).
_JOB_ADD = upsert(_J, {"kind": bindparam("p_kind"), "key": bindparam("p_key"), "payload": bindparam("p_payload"),
                       "due_at": bindparam("p_due_at"), "status": "pending", "attempts": 0,
                       "created_at": bindparam("p_created_at")},
                  key=_J.c.key, update=("due_at", "payload"), where=_J.c.status == "pending", returning=(_J.c.id,))


async def schedule_job(db: Database, kind: str, due_at: datetime, payload: dict, *, now: datetime,
                       key: str | None = None) -> int | None:
    """Add a job; with a ``key``, an existing pending job of that key is moved instead (idempotent,
    also when two add it at once). Returns None when the key exists and that job already ran, is
    running or was cancelled."""
    return await add_job(db, kind, due_at, payload, now=now, key=key)


async def add_job(tx: Database | Transaction, kind: str, due_at: datetime, payload: dict, *, now: datetime,
                  key: str | None = None) -> int | None:
    """``schedule_job`` within a transaction of the caller's (a job that belongs with a row)."""
    added = await tx.rows(_JOB_ADD, {"p_kind": kind, "p_key": key, "p_payload": payload, "p_due_at": due_at,
                                     "p_created_at": now})
    return int(added[0].id) if added else None


_ONCE = insert_new(_J, {"kind": "once", "key": bindparam("p_key"), "payload": {}, "due_at": bindparam("p_now"),
                       "status": "done", "attempts": 1, "created_at": bindparam("p_now"),
                       "finished_at": bindparam("p_now")}, key=(_J.c.key,), returning=(_J.c.id,))


async def run_once(db: Database | Transaction, key: str, now: datetime) -> bool:
    """Claim a one-off piece of periodic work (``retention:2026-11-25``): True for exactly one caller
    across all instances, False for everyone else (within a unit, the claim commits with the work)."""
    return bool(await db.rows(_ONCE, {"p_key": key, "p_now": now}))


async def cancel_jobs(db: Database, key_prefix: str) -> int:
    """Cancel pending jobs whose key starts with the prefix (``visit:17:``); returns how many."""
    rows = await db.rows(update(_J).where(_J.c.key.startswith(key_prefix, autoescape=True), _J.c.status == "pending")
                         .values(status="cancelled", payload={}).returning(_J.c.id))
    return len(rows)


async def delete_jobs(db: Database, key_prefix: str) -> int:
    """Delete the jobs whose key starts with the prefix, unless running: what they were for is gone
    (and on SQLite its id may be given to a new row, whose job needs the key)."""
    rows = await db.rows(delete(_J).where(_J.c.key.startswith(key_prefix, autoescape=True), _J.c.status != "running")
                         .returning(_J.c.id))
    return len(rows)


def _job(r: Any) -> Job:
    return Job(r.id, r.kind, r.key, r.payload, r.due_at, r.attempts)


async def claim_due_jobs(db: Database, now: datetime, *, worker: str, limit: int = 100,
                         lease: timedelta = timedelta(minutes=5), kinds: tuple[str, ...] | None = None) -> list[Job]:
    """Take up to ``limit`` due jobs for this worker; each job is given to exactly one worker."""
    async with db.transaction() as tx:
        due = or_(_J.c.status == "pending",
                  (_J.c.status == "running") & (_J.c.claimed_until < now))  # lease expired: owner died
        q = select(_J.c.id).where(due, _J.c.due_at <= now)
        if kinds:
            q = q.where(_J.c.kind.in_(kinds))
        ids = [r.id for r in await tx.rows(q.order_by(_J.c.due_at).limit(limit).with_for_update(skip_locked=True))]
        if not ids:
            return []
        claimed = await tx.rows(
            update(_J).where(_J.c.id.in_(ids), due)
            .values(status="running", claimed_by=worker, claimed_until=now + lease, attempts=_J.c.attempts + 1)
            .returning(_J.c.id, _J.c.kind, _J.c.key, _J.c.payload, _J.c.due_at, _J.c.attempts))
        return sorted((_job(r) for r in claimed), key=lambda j: (j.due_at, j.id))


async def finish_job(db: Database | Transaction, job_id: int, now: datetime) -> None:
    """Done: what the job was about is no longer needed (a payload may name a person)."""
    await db.rows(update(_J).where(_J.c.id == job_id).values(status="done", finished_at=now, claimed_until=None,
                                                             payload={}))


async def retry_job(db: Database, job_id: int, error: str, retry_at: datetime | None, now: datetime) -> None:
    """Put a failed job back for ``retry_at``, or give up (``failed``) when it is None."""
    values: dict = {"last_error": error[:2000], "claimed_until": None}
    if retry_at is None:
        values.update(status="failed", finished_at=now)
    else:
        values.update(status="pending", due_at=retry_at)
    await db.rows(update(_J).where(_J.c.id == job_id).values(**values))


async def failed_jobs(db: Database, kind: str | None = None) -> list[Job]:
    q = select(*_J.c).where(_J.c.status == "failed")
    if kind:
        q = q.where(_J.c.kind == kind)
    return [_job(r) for r in await db.rows(q.order_by(_J.c.id))]


async def pending_jobs(db: Database, kind: str | None = None, key_prefix: str | None = None) -> list[Job]:
    q = select(*_J.c).where(_J.c.status == "pending")
    if kind:
        q = q.where(_J.c.kind == kind)
    if key_prefix:
        q = q.where(_J.c.key.startswith(key_prefix, autoescape=True))
    return [_job(r) for r in await db.rows(q.order_by(_J.c.due_at))]


async def purge_finished_jobs(db: Database | Transaction, cutoff: datetime) -> int:
    """Jobs done, given up or cancelled before ``cutoff`` (their keys have served their purpose:
    a daily routine's claim of that day, a reminder that must not be scheduled twice)."""
    finished = func.coalesce(_J.c.finished_at, _J.c.due_at)
    rows = await db.rows(delete(_J).where(_J.c.status.in_(("done", "failed", "cancelled")), finished < cutoff)
                         .returning(_J.c.id))
    return len(rows)

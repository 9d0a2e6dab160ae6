"""Due work kept in the database: reminders, invitations, alerts, deliveries to retry.

Jobs survive restarts and are claimed atomically, so with several instances every job runs once:
a claim is a conditional UPDATE (``status = 'pending'``) of rows selected ``FOR UPDATE SKIP LOCKED``
(PostgreSQL; SQLite serialises writers anyway). A claim is a lease: if an instance dies while
running a job, the job becomes claimable again when the lease expires.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database, Transaction, upsert


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


async def run_once(db: Database, key: str, now: datetime) -> bool:
    """Claim a one-off piece of periodic work (``retention:2026-11-25``): True for exactly one caller
    across all instances, False for everyone else."""
    async with db.session() as s:
        s.add(JobRow(kind="once", key=key, payload={}, due_at=now, status="done", attempts=1, created_at=now,
                     finished_at=now))
        try:
            await s.flush()
        except IntegrityError:
            return False
    return True


async def cancel_jobs(db: Database, key_prefix: str) -> int:
    """Cancel pending jobs whose key starts with the prefix (``visit:17:``); returns how many."""
    async with db.session() as s:
        res = await s.execute(update(JobRow).where(JobRow.key.startswith(key_prefix, autoescape=True),
                                                   JobRow.status == "pending").values(status="cancelled"))
        return res.rowcount or 0


async def claim_due_jobs(db: Database, now: datetime, *, worker: str, limit: int = 100,
                         lease: timedelta = timedelta(minutes=5), kinds: tuple[str, ...] | None = None) -> list[Job]:
    """Take up to ``limit`` due jobs for this worker; each job is given to exactly one worker."""
    async with db.session() as s:
        due = or_(JobRow.status == "pending",
                  (JobRow.status == "running") & (JobRow.claimed_until < now))  # lease expired: owner died
        q = select(JobRow.id).where(due, JobRow.due_at <= now)
        if kinds:
            q = q.where(JobRow.kind.in_(kinds))
        ids = list((await s.execute(q.order_by(JobRow.due_at).limit(limit)
                                    .with_for_update(skip_locked=True))).scalars())
        if not ids:
            return []
        claimed = await s.execute(
            update(JobRow).where(JobRow.id.in_(ids), due)
            .values(status="running", claimed_by=worker, claimed_until=now + lease, attempts=JobRow.attempts + 1)
            .returning(JobRow.id, JobRow.kind, JobRow.key, JobRow.payload, JobRow.due_at, JobRow.attempts))
        return [Job(*row) for row in claimed.all()]


async def finish_job(db: Database, job_id: int, now: datetime) -> None:
    async with db.session() as s:
        await s.execute(update(JobRow).where(JobRow.id == job_id)
                        .values(status="done", finished_at=now, claimed_until=None))


async def retry_job(db: Database, job_id: int, error: str, retry_at: datetime | None, now: datetime) -> None:
    """Put a failed job back for ``retry_at``, or give up (``failed``) when it is None."""
    async with db.session() as s:
        values: dict = {"last_error": error[:2000], "claimed_until": None}
        if retry_at is None:
            values.update(status="failed", finished_at=now)
        else:
            values.update(status="pending", due_at=retry_at)
        await s.execute(update(JobRow).where(JobRow.id == job_id).values(**values))


async def failed_jobs(db: Database, kind: str | None = None) -> list[Job]:
    async with db.session() as s:
        q = select(JobRow).where(JobRow.status == "failed")
        if kind:
            q = q.where(JobRow.kind == kind)
        rows = (await s.execute(q.order_by(JobRow.id))).scalars().all()
        return [Job(r.id, r.kind, r.key, r.payload, r.due_at, r.attempts) for r in rows]


async def pending_jobs(db: Database, kind: str | None = None, key_prefix: str | None = None) -> list[Job]:
    async with db.session() as s:
        q = select(JobRow).where(JobRow.status == "pending")
        if kind:
            q = q.where(JobRow.kind == kind)
        if key_prefix:
            q = q.where(JobRow.key.startswith(key_prefix, autoescape=True))
        rows = (await s.execute(q.order_by(JobRow.due_at))).scalars().all()
        return [Job(r.id, r.kind, r.key, r.payload, r.due_at, r.attempts) for r in rows]

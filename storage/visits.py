"""Personal visits: bookings of reception places and periods closed by staff.

Double booking is made impossible by the database, not by Python: a booking is a row per
(department, slot start, place number), and a partial unique index over the *active* rows lets
only one of any number of simultaneous attempts take a place. A cancelled row leaves the index, so
the place is free again at once. A second partial unique index keeps one person from holding two
visits at the same time. How many future visits one person may hold (counted by account and by
phone number, so that many accounts giving one phone cannot take every place) is checked in the
booking's transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database, Transaction
from storage.jobs import JobSpec, add_job
from storage.locks import lock_id

ACTIVE = "status = 'active'"


class VisitRow(Base):
    __tablename__ = "visit_bookings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    department: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str | None] = mapped_column(String(30))
    slot_start: Mapped[datetime] = mapped_column(UTCDateTime)
    slot_end: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    priority: Mapped[str | None] = mapped_column(String(30))  # id of a priority category
    status: Mapped[str] = mapped_column(String(12), default="active")  # active cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(12))  # client staff
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("place >= 1", name="place_positive"),
        CheckConstraint("slot_end > slot_start", name="slot_order"),
        CheckConstraint("status IN ('active', 'cancelled')", name="status_known"),
        Index("uq_visit_bookings_place", "department", "slot_start", "place", unique=True,
              sqlite_where=text(ACTIVE), postgresql_where=text(ACTIVE)),
        Index("uq_visit_bookings_person_time", "channel", "user_id", "slot_start", unique=True,
              sqlite_where=text(ACTIVE), postgresql_where=text(ACTIVE)),
        Index("ix_visit_bookings_department_start", "department", "slot_start"),
        Index("ix_visit_bookings_person", "channel", "user_id"),
        Index("ix_visit_bookings_phone", "phone", sqlite_where=text(ACTIVE), postgresql_where=text(ACTIVE)),
    )


class VisitClosureRow(Base):
    """A period when a department receives nobody (vacation, meeting), set by staff."""

    __tablename__ = "visit_closures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    department: Mapped[str] = mapped_column(String(30))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="period_order"),
        Index("ix_visit_closures_department_end", "department", "ends_at"),
    )


@dataclass(frozen=True, slots=True)
class Visit:
    id: int
    department: str
    topic: str | None
    start: datetime
    end: datetime
    place: int
    channel: str
    user_id: str
    chat_id: str
    name: str | None
    phone: str | None
    priority: str | None
    status: str
    created_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None


@dataclass(frozen=True, slots=True)
class Closure:
    id: int
    department: str
    start: datetime
    end: datetime
    reason: str | None
    created_by: str


class BookingRefused(Exception):
    """``taken``: no place left in the slot; ``closed``: staff closed the period meanwhile;
    ``busy``: this person already has a visit at that time; ``limit``: this account or this phone
    number already holds as many future visits as one person may."""

    def __init__(self, reason: Literal["taken", "closed", "busy", "limit"]) -> None:
        super().__init__(reason)
        self.reason = reason


class _Closed(Exception):
    pass


def _visit(r: Any) -> Visit:  # a VisitRow or a row of its columns
    return Visit(r.id, r.department, r.topic, r.slot_start, r.slot_end, r.place, r.channel, r.user_id, r.chat_id,
                 r.name, r.phone, r.priority, r.status, r.created_at, r.cancelled_at, r.cancelled_by,
                 r.cancel_reason)


def _closure(r: Any) -> Closure:
    return Closure(r.id, r.department, r.starts_at, r.ends_at, r.reason, r.created_by)


# Read at every screen of a booking: built once (see Database.rows).
_TAKEN = select(VisitRow.slot_start, VisitRow.priority).where(
    VisitRow.department == bindparam("department"), VisitRow.status == "active",
    VisitRow.slot_start >= bindparam("since"), VisitRow.slot_start < bindparam("until"))
_CLOSED = select(VisitClosureRow.starts_at, VisitClosureRow.ends_at).where(
    VisitClosureRow.department == bindparam("department"), VisitClosureRow.ends_at > bindparam("since"),
    VisitClosureRow.starts_at < bindparam("until"))
_AHEAD = (select(*VisitRow.__table__.c)
          .where(VisitRow.channel == bindparam("channel"), VisitRow.user_id == bindparam("user_id"),
                 VisitRow.status == "active", VisitRow.slot_end > bindparam("now"))
          .order_by(VisitRow.slot_start))


_V = VisitRow.__table__
_C = VisitClosureRow.__table__
_PLACES = select(_V.c.place).where(_V.c.department == bindparam("p_department"),
                                   _V.c.slot_start == bindparam("p_slot_start"), _V.c.status == "active")
_BOOK = insert(_V).values(
    {name: bindparam(f"p_{name}") for name in ("department", "topic", "slot_start", "slot_end", "place", "channel",
                                                 "user_id", "chat_id", "name", "phone", "priority", "created_at")}
).values(status="active").returning(*_V.c)
# PostgreSQL: the bookings of a department are serialised by a lock held until the booking's
# transaction ends, so the check that a time is still free for the client (the day's priority
# reserve among the rules) sees every booking made before it. SQLite's BEGIN IMMEDIATE
# serialises all writers anyway.
_DEPARTMENT_LOCK = text("SELECT pg_advisory_xact_lock(:p_key)").bindparams(bindparam("p_key", type_=BigInteger))
# The future visits of an account or of a phone number (any account, any channel). PostgreSQL: the
# bookings of one phone are serialised by a lock like the department's, taken before it.
_HELD = select(func.count().label("held")).select_from(_V).where(
    _V.c.status == "active", _V.c.slot_end > bindparam("p_created_at"),
    or_(and_(_V.c.channel == bindparam("p_channel"), _V.c.user_id == bindparam("p_user_id")),
        _V.c.phone == bindparam("p_phone")))
_CLOSURES_AT = select(func.count().label("closures")).select_from(VisitClosureRow).where(
    VisitClosureRow.department == bindparam("p_department"), VisitClosureRow.starts_at < bindparam("p_slot_end"),
    VisitClosureRow.ends_at > bindparam("p_slot_start"))


@dataclass(frozen=True, slots=True)
class Occupancy:
    """What is already decided about a department's times in a window: the starts of active
    bookings (one entry a place, with whether it is a priority booking) and the closed periods."""

    booked: list[tuple[datetime, bool]]
    closed: list[tuple[datetime, datetime]]


async def occupancy(db: Database | Transaction, department: str, since: datetime, until: datetime) -> Occupancy:
    """Bookings and closures of ``[since, until)``; ``db`` may be a booking's transaction."""
    window = {"department": department, "since": since, "until": until}
    booked = [(start, bool(prio)) for start, prio in await db.rows(_TAKEN, window)]
    closed = [(a, b) for a, b in await db.rows(_CLOSED, window)]
    return Occupancy(booked, closed)


async def book_slot(db: Database, *, department: str, start: datetime, end: datetime, capacity: int,
                    channel: str, user_id: str, chat_id: str, name: str | None, phone: str | None,
                    topic: str | None, priority: str | None,
                    now: datetime, jobs: Callable[[Visit], Sequence[JobSpec]] | None = None,
                    still_free: Callable[[Transaction], Awaitable[bool]] | None = None,
                    limit: int | None = None) -> Visit:
    """Take the first free place of the period ``[start, end)``; raises ``BookingRefused`` when none is left, the
    period was closed meanwhile, or the person already has a visit then. Safe under any number of
    simultaneous attempts: the unique index decides, a loser tries the next place. ``jobs`` gives
    the jobs of the new visit (its reminders), stored in the same transaction. ``still_free``
    checks, in the transaction and after every booking of the department made before it, that
    the client may still take this time (a day's priority reserve is not a place's business).
    ``limit``: the most future visits this account and this ``phone`` (normalised by the caller)
    may hold together; one more is refused with ``limit``."""
    values = {"p_department": department, "p_topic": topic, "p_slot_start": start, "p_slot_end": end,
              "p_channel": channel, "p_user_id": user_id, "p_chat_id": chat_id, "p_name": name, "p_phone": phone,
              "p_priority": priority, "p_created_at": now}
    for _ in range(capacity + 3):
        try:
            async with db.transaction() as tx:
                if not db.is_sqlite:
                    if phone is not None and limit is not None:
                        await tx.rows(_DEPARTMENT_LOCK, {"p_key": lock_id(("visits-phone", phone))})
                    await tx.rows(_DEPARTMENT_LOCK, {"p_key": lock_id(("visits", department))})
                if limit is not None and (await tx.rows(_HELD, values))[0].held >= limit:
                    raise BookingRefused("limit")
                if still_free is not None and not await still_free(tx):
                    raise BookingRefused("taken")
                used = {r.place for r in await tx.rows(_PLACES, values)}
                free = [p for p in range(1, capacity + 1) if p not in used]
                if not free:
                    raise BookingRefused("taken")
                row = (await tx.rows(_BOOK, {**values, "p_place": free[0]}))[0]
                # Checked after the insert, in its transaction: a closure committed before it is seen.
                if (await tx.rows(_CLOSURES_AT, values))[0].closures:
                    raise _Closed
                visit = _visit(row)
                for job in jobs(visit) if jobs else ():
                    await add_job(tx, job.kind, job.due_at, job.payload, now=now, key=job.key)
                return visit
        except _Closed:
            raise BookingRefused("closed") from None
        except IntegrityError:
            if await _has_visit_at(db, channel, user_id, start):
                raise BookingRefused("busy") from None
            # Somebody took this place a moment ago: look again.
    raise BookingRefused("taken")


async def _has_visit_at(db: Database, channel: str, user_id: str, start: datetime) -> bool:
    rows = await db.rows(select(func.count().label("n")).select_from(_V).where(
        _V.c.channel == channel, _V.c.user_id == user_id, _V.c.slot_start == start, _V.c.status == "active"))
    return bool(rows[0].n)


async def get_visit(db: Database, visit_id: int) -> Visit | None:
    rows = await db.rows(select(*_V.c).where(_V.c.id == visit_id))
    return _visit(rows[0]) if rows else None


async def cancel_booking(db: Database, visit_id: int, *, channel: str, user_id: str, now: datetime) -> Visit | None:
    """Cancel a person's own future visit; None if it is not his, not active or already begun.
    The place is free for others as soon as this returns."""
    rows = await db.rows(
        update(_V).where(_V.c.id == visit_id, _V.c.channel == channel, _V.c.user_id == user_id,
                         _V.c.status == "active", _V.c.slot_start > now)
        .values(status="cancelled", cancelled_at=now, cancelled_by="client").returning(*_V.c))
    return _visit(rows[0]) if rows else None


async def bookings_of(db: Database, channel: str, user_id: str, now: datetime) -> list[Visit]:
    """A person's visits that are still ahead (or going on), earliest first."""
    return [_visit(r) for r in await db.rows(_AHEAD, {"channel": channel, "user_id": user_id, "now": now})]


async def visits_of(db: Database, channel: str, user_id: str) -> list[Visit]:
    """Every visit of a person, past, future and cancelled, oldest first."""
    rows = await db.rows(select(*_V.c).where(_V.c.channel == channel, _V.c.user_id == user_id).order_by(_V.c.id))
    return [_visit(r) for r in rows]


async def agenda(db: Database, departments: Sequence[str] | None, start: datetime, end: datetime) -> list[Visit]:
    """Active visits between ``start`` and ``end`` (all departments when None), by department and time."""
    q = select(*_V.c).where(_V.c.status == "active", _V.c.slot_start >= start, _V.c.slot_start < end)
    if departments is not None:
        q = q.where(_V.c.department.in_(list(departments)))
    return [_visit(r) for r in await db.rows(q.order_by(_V.c.department, _V.c.slot_start, _V.c.place))]


async def close_time(db: Database, department: str, start: datetime, end: datetime, *, reason: str | None,
                     by: str, now: datetime) -> tuple[Closure, list[Visit]]:
    """Close a period for visits; the visits booked in it (not yet begun) are cancelled by staff
    and returned so that their clients can be told."""
    async with db.transaction() as tx:
        row = (await tx.rows(insert(_C).values(department=department, starts_at=start, ends_at=end, reason=reason,
                                               created_by=by, created_at=now).returning(*_C.c)))[0]
        cancelled = await tx.rows(
            update(_V).where(_V.c.department == department, _V.c.status == "active", _V.c.slot_start < end,
                             _V.c.slot_end > start, _V.c.slot_start > now)
            .values(status="cancelled", cancelled_at=now, cancelled_by="staff", cancel_reason=reason)
            .returning(*_V.c))
    return _closure(row), sorted((_visit(r) for r in cancelled), key=lambda v: (v.start, v.id))


async def closures(db: Database, departments: Sequence[str] | None, now: datetime) -> list[Closure]:
    """Closed periods not yet over, earliest first."""
    q = select(*_C.c).where(_C.c.ends_at > now)
    if departments is not None:
        q = q.where(_C.c.department.in_(list(departments)))
    return [_closure(r) for r in await db.rows(q.order_by(_C.c.starts_at, _C.c.id))]


async def reopen_time(db: Database, closure_id: int, departments: Sequence[str] | None) -> Closure | None:
    """Remove a closed period (cancelled visits stay cancelled: their clients were told)."""
    q = delete(_C).where(_C.c.id == closure_id)
    if departments is not None:
        q = q.where(_C.c.department.in_(list(departments)))
    rows = await db.rows(q.returning(*_C.c))
    return _closure(rows[0]) if rows else None


async def forget_visitor(db: Database, channel: str, user_id: str, now: datetime) -> list[Visit]:
    """Delete every visit of a person who asked to be forgotten; returns the future ones that were
    still booked (their places are free now; staff should be told)."""
    person = (_V.c.channel == channel) & (_V.c.user_id == user_id)
    rows = await db.rows(delete(_V).where(person).returning(*_V.c))
    return sorted((_visit(r) for r in rows if r.status == "active" and r.slot_start > now),
                  key=lambda v: (v.start, v.id))


async def purge_visits(db: Database, before: datetime) -> int:
    """Delete visits that ended before ``before`` (retention period of the order) and old closures."""
    async with db.transaction() as tx:
        gone = await tx.rows(delete(_V).where(_V.c.slot_end < before).returning(_V.c.id))
        await tx.rows(delete(_C).where(_C.c.ends_at < before))
    return len(gone)

"""The outbox: every message the bot must deliver is first a row here, written in the transaction
of the event (or job) that caused it, and sent after that transaction commits.

A row is ``sending`` while somebody delivers it (a lease: if that instance dies, the row is due
again when the lease ends), ``pending`` while it waits for its time (a retry, or an earlier
message to the same chat still on its way), ``failed`` or ``unreachable`` once delivery is given
up (listed to staff, kept for the retention period). A delivered row is deleted at once: its
payload (often a client's name, phone and text) has no reason to stay.

Messages to one chat go out in the order they were written: a row is handed out only when no
earlier row of the same chat is still ``pending`` or ``sending``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Index,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, aliased, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database, Transaction

UNFINISHED = ("pending", "sending")


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(254))
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[str | None] = mapped_column(String(64))
    # Whose business it is: the department whose staff may see it (/undelivered), and the client
    # whose data it may hold ("channel:user id"), so that forgetting him removes it.
    department: Mapped[str | None] = mapped_column(String(30))
    person: Mapped[str | None] = mapped_column(String(100))
    # What the message is about ("request:17", "visit:5"): forgetting a client removes the staff
    # cards and notices about his requests and visits that are still waiting here.
    tag: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSON)
    bulk: Mapped[bool] = mapped_column(Boolean, default=False)  # nobody waits: paced under the limits
    hook: Mapped[str | None] = mapped_column(String(40))  # told the outcome (handlers.jobs.delivery_hook)
    hook_args: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # pending sending failed unreachable
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # AUTOINCREMENT: SQLite would otherwise give a new row the id of a delivered (deleted) one, and
    # the id is the message's key for platforms that recognise a repeated send (VK's random_id).
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_at"),
                      Index("ix_outbox_chat", "channel", "chat_id", "id"),
                      Index("ix_outbox_person", "person"),
                      Index("ix_outbox_tag", "tag"),
                      {"sqlite_autoincrement": True})


@dataclass(frozen=True, slots=True)
class NewMessage:
    channel: str
    chat_id: str
    thread_id: int | None
    user_id: str | None
    payload: dict
    department: str | None = None
    person: str | None = None
    bulk: bool = False
    hook: str | None = None
    hook_args: dict | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class Queued:
    """A row handed out for delivery."""

    id: int
    channel: str
    chat_id: str
    thread_id: int | None
    user_id: str | None
    payload: dict
    department: str | None
    person: str | None
    bulk: bool
    hook: str | None
    hook_args: dict | None
    attempts: int


@dataclass(frozen=True, slots=True)
class Undelivered:
    id: int
    channel: str
    chat_id: str
    status: str
    payload: dict
    department: str | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


_O = OutboxRow.__table__
_EARLIER = aliased(_O)
_COLUMNS = (_O.c.id, _O.c.channel, _O.c.chat_id, _O.c.thread_id, _O.c.user_id, _O.c.payload, _O.c.department,
            _O.c.person, _O.c.bulk, _O.c.hook, _O.c.hook_args, _O.c.attempts)
# Whether a chat already has messages on their way (then a new one waits its turn).
_BACKLOG = select(_O.c.channel, _O.c.chat_id).where(
    _O.c.status.in_(UNFINISHED),
    (_O.c.channel + "\x1f" + _O.c.chat_id).in_(bindparam("chats", expanding=True))).distinct()


def _queued(r: Any) -> Queued:
    return Queued(r.id, r.channel, r.chat_id, r.thread_id, r.user_id, r.payload, r.department, r.person, r.bulk,
                  r.hook, r.hook_args, r.attempts)


async def put_messages(tx: Database | Transaction, messages: Sequence[NewMessage], now: datetime,
                       lease: timedelta) -> list[Queued]:
    """Write messages (within the caller's transaction); those whose chat has nothing else on the
    way are claimed at once by the writer (``sending`` with a lease) and returned, in order, to be
    delivered right after the commit. The others wait for the sweeper."""
    if not messages:
        return []
    keys = sorted({f"{m.channel}\x1f{m.chat_id}" for m in messages})
    busy = {(r.channel, r.chat_id) for r in await tx.rows(_BACKLOG, {"chats": keys})}
    values = []
    for m in messages:
        free = (m.channel, m.chat_id) not in busy
        values.append({"channel": m.channel, "chat_id": m.chat_id, "thread_id": m.thread_id, "user_id": m.user_id,
                       "department": m.department, "person": m.person, "tag": m.tag, "payload": m.payload,
                       "bulk": m.bulk, "hook": m.hook, "hook_args": m.hook_args,
                       "status": "sending" if free else "pending", "attempts": 1 if free else 0, "next_at": now,
                       "claimed_until": now + lease if free else None, "created_at": now})
    rows = await tx.rows(insert(_O).values(values).returning(*_COLUMNS, _O.c.status))
    # RETURNING order is not promised for a multi-row insert: the ids are.
    return sorted((_queued(r) for r in rows if r.status == "sending"), key=lambda q: q.id)


async def claim_due(db: Database, now: datetime, *, lease: timedelta, limit: int = 100) -> list[Queued]:
    """Rows due now (waiting for their time, or left ``sending`` by an instance that died) whose
    chat has no earlier unfinished row; claimed for this caller, oldest first."""
    due = or_(and_(_O.c.status == "pending", _O.c.next_at <= now),
              and_(_O.c.status == "sending", _O.c.claimed_until < now))
    earlier = exists().where(_EARLIER.c.channel == _O.c.channel, _EARLIER.c.chat_id == _O.c.chat_id,
                             _EARLIER.c.id < _O.c.id, _EARLIER.c.status.in_(UNFINISHED))
    async with db.transaction() as tx:
        ids = [r.id for r in await tx.rows(
            select(_O.c.id).where(due, ~earlier).order_by(_O.c.id).limit(limit).with_for_update(skip_locked=True))]
        if not ids:
            return []
        rows = await tx.rows(update(_O).where(_O.c.id.in_(ids), due)
                             .values(status="sending", claimed_until=now + lease, attempts=_O.c.attempts + 1)
                             .returning(*_COLUMNS))
    return sorted((_queued(r) for r in rows), key=lambda q: q.id)


async def delivered(tx: Database | Transaction, ids: Sequence[int]) -> None:
    """Delivered: nothing of it is kept."""
    if ids:
        await tx.rows(delete(_O).where(_O.c.id.in_(list(ids))))


async def retry_later(tx: Database | Transaction, ids: Sequence[int], error: str, at: datetime) -> None:
    """Not delivered now, worth trying at ``at`` (in the same order)."""
    if ids:
        await tx.rows(update(_O).where(_O.c.id.in_(list(ids))).values(
            status="pending", next_at=at, claimed_until=None, last_error=error[:2000]))


async def given_up(tx: Database | Transaction, ids: Sequence[int], status: str, error: str, now: datetime) -> None:
    """``failed`` (refused, or retried too long) or ``unreachable`` (the person blocked the bot)."""
    if ids:
        await tx.rows(update(_O).where(_O.c.id.in_(list(ids))).values(
            status=status, claimed_until=None, last_error=error[:2000], finished_at=now))


async def undelivered(db: Database, departments: Sequence[str] | None, limit: int = 50) -> list[Undelivered]:
    """Messages given up, newest first: of these departments (all when None)."""
    q = select(_O.c.id, _O.c.channel, _O.c.chat_id, _O.c.status, _O.c.payload, _O.c.department, _O.c.last_error,
               _O.c.created_at, _O.c.finished_at).where(_O.c.status.in_(("failed", "unreachable")))
    if departments is not None:
        q = q.where(_O.c.department.in_(list(departments)))
    rows = await db.rows(q.order_by(_O.c.id.desc()).limit(limit))
    return [Undelivered(r.id, r.channel, r.chat_id, r.status, r.payload, r.department, r.last_error, r.created_at,
                        r.finished_at) for r in rows]


async def unfinished_count(db: Database) -> int:
    rows = await db.rows(select(func.count().label("n")).select_from(_O).where(_O.c.status.in_(UNFINISHED)))
    return int(rows[0].n)


async def forget_person(tx: Database | Transaction, person: str, *, tags: Sequence[str] = ()) -> int:
    """Every message about or for this client, whatever its state (he asked to be forgotten): those
    marked with him, those addressed to him (``person`` is "channel:user id"), and those tagged
    with his requests and visits (staff cards and notices)."""
    channel, _, user_id = person.partition(":")
    about = or_(_O.c.person == person, and_(_O.c.channel == channel, _O.c.user_id == user_id),
                and_(_O.c.channel == channel, _O.c.chat_id == user_id))  # his private dialogue
    if tags:
        about = or_(about, _O.c.tag.in_(list(tags)))
    return len(await tx.rows(delete(_O).where(about).returning(_O.c.id)))


async def purge_finished_before(tx: Database | Transaction, cutoff: datetime) -> int:
    """Messages given up before ``cutoff``: staff had their time to see them (/undelivered)."""
    return len(await tx.rows(delete(_O).where(_O.c.status.in_(("failed", "unreachable")), _O.c.finished_at < cutoff)
                             .returning(_O.c.id)))

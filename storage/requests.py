"""Written requests to staff: the request, its messages and materials, deadlines and an audit trail
of who changed what and when. Kept one year after closing (the order's storage period)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database, Transaction

OPEN = ("received", "in_work", "clarify")  # statuses that still need an answer
_ID = BigInteger().with_variant(Integer, "sqlite")


class RequestRow(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    client_id: Mapped[int | None] = mapped_column(_ID, ForeignKey("clients.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str | None] = mapped_column(String(64))  # None once the client asked to be forgotten
    chat_id: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(30))
    topic: Mapped[str] = mapped_column(String(30))
    need: Mapped[str | None] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12))  # received in_work clarify answered closed withdrawn
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    extra_channel: Mapped[str | None] = mapped_column(String(8))  # email | phone: a copy of the answer
    extra_address: Mapped[str | None] = mapped_column(String(254))
    signals: Mapped[list] = mapped_column(JSON, default=list)  # why it may be urgent
    urgent: Mapped[bool | None] = mapped_column(Boolean)  # staff decision; None: not decided yet
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_kind: Mapped[str] = mapped_column(String(10), default="standard")  # standard shortened extended
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    assignee_id: Mapped[str | None] = mapped_column(String(80))
    assignee_name: Mapped[str | None] = mapped_column(String(100))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_requests_status_due", "status", "due_at"),
                      Index("ix_requests_client", "channel", "user_id"),
                      Index("ix_requests_closed", "closed_at"))


class RequestMessageRow(Base):
    """What the client wrote (with files) and what staff answered or asked."""

    __tablename__ = "request_messages"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(_ID, ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(8))  # client | staff
    kind: Mapped[str] = mapped_column(String(12))  # text addition question reply answer
    text: Mapped[str | None] = mapped_column(Text)
    files: Mapped[list] = mapped_column(JSON, default=list)
    staff_id: Mapped[str | None] = mapped_column(String(80))
    staff_name: Mapped[str | None] = mapped_column(String(100))
    delivered: Mapped[bool | None] = mapped_column(Boolean)  # to the client; None: not yet known


class RequestAuditRow(Base):
    __tablename__ = "request_audit"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    request_id: Mapped[int] = mapped_column(_ID, ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(80))  # channel:user id, "client" or "system"
    actor_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(24))
    old: Mapped[str | None] = mapped_column(String(200))
    new: Mapped[str | None] = mapped_column(String(200))


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    client_id: int | None
    channel: str
    user_id: str | None
    chat_id: str | None
    department: str
    topic: str
    need: str | None
    status: str
    contact_name: str | None
    contact_phone: str | None
    extra_channel: str | None
    extra_address: str | None
    signals: list[str]
    urgent: bool | None
    created_at: datetime
    due_at: datetime
    deadline_kind: str
    extended: bool
    assignee_id: str | None
    assignee_name: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    anonymised_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True, slots=True)
class RequestMessage:
    id: int
    request_id: int
    at: datetime
    author: str
    kind: str
    text: str | None
    files: list[dict[str, Any]]
    staff_id: str | None
    staff_name: str | None
    delivered: bool | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    actor_name: str | None
    action: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who changes a request: ``telegram:123`` with a display name, ``client`` or ``system``."""

    id: str
    name: str | None = None


CLIENT = Actor("client")
SYSTEM = Actor("system")


_R = RequestRow.__table__
_M = RequestMessageRow.__table__
_A = RequestAuditRow.__table__


def _request(r: Any) -> Request:  # a row of the requests table
    return Request(r.id, r.client_id, r.channel, r.user_id, r.chat_id, r.department, r.topic, r.need, r.status,
                   r.contact_name, r.contact_phone, r.extra_channel, r.extra_address, list(r.signals or []),
                   r.urgent, r.created_at, r.due_at, r.deadline_kind, r.extended, r.assignee_id, r.assignee_name,
                   r.answered_at, r.closed_at, r.anonymised_at)


def _message(m: Any) -> RequestMessage:
    return RequestMessage(m.id, m.request_id, m.at, m.author, m.kind, m.text, list(m.files or []), m.staff_id,
                          m.staff_name, m.delivered)


def _short(v: object) -> str | None:
    return None if v is None else str(v)[:200]


def _audit_row(request_id: int, actor: Actor, action: str, now: datetime, old: object = None,
               new: object = None) -> dict[str, Any]:
    return {"request_id": request_id, "at": now, "actor": actor.id[:80],
            "actor_name": (actor.name or None) and actor.name[:100], "action": action,
            "old": _short(old), "new": _short(new)}


async def _audit(tx: Database | Transaction, entries: list[dict[str, Any]]) -> None:
    if entries:
        await tx.rows(insert(_A), entries)


# --------------------------------------------------------------------------- registering


@dataclass(frozen=True, slots=True)
class NewRequest:
    client_id: int | None
    channel: str
    user_id: str
    chat_id: str
    department: str
    topic: str
    need: str | None
    text: str
    files: list[dict[str, Any]]
    contact_name: str | None
    contact_phone: str | None
    extra_channel: str | None
    extra_address: str | None
    signals: list[str]
    due_at: datetime


async def register_request(db: Database, new: NewRequest, now: datetime) -> Request:
    """Register a request with its first message; the audit trail starts here."""
    async with db.transaction() as tx:
        row = (await tx.rows(insert(_R).values(
            client_id=new.client_id, channel=new.channel, user_id=new.user_id, chat_id=new.chat_id,
            department=new.department, topic=new.topic, need=new.need, status="received",
            contact_name=new.contact_name, contact_phone=new.contact_phone, extra_channel=new.extra_channel,
            extra_address=new.extra_address, signals=new.signals, urgent=None, created_at=now, due_at=new.due_at,
            deadline_kind="standard", extended=False).returning(*_R.c)))[0]
        await tx.rows(insert(_M).values(request_id=row.id, at=now, author="client", kind="text", text=new.text,
                                        files=new.files))
        entries = [_audit_row(row.id, CLIENT, "registered", now, new=f"{new.topic}/{new.need}")]
        if new.signals:
            entries.append(_audit_row(row.id, SYSTEM, "possibly_urgent", now, new="; ".join(new.signals)))
        await _audit(tx, entries)
        return _request(row)


async def get_request(db: Database, request_id: int) -> Request | None:
    rows = await db.rows(select(*_R.c).where(_R.c.id == request_id))
    return _request(rows[0]) if rows else None


async def client_requests(db: Database, channel: str, user_id: str, limit: int = 20) -> list[Request]:
    rows = await db.rows(select(*_R.c).where(_R.c.channel == channel, _R.c.user_id == user_id)
                         .order_by(_R.c.id.desc()).limit(limit))
    return [_request(r) for r in rows]


async def all_client_requests(db: Database, channel: str, user_id: str) -> list[Request]:
    """Every request of a client, oldest first (what forgetting him must reach)."""
    rows = await db.rows(select(*_R.c).where(_R.c.channel == channel, _R.c.user_id == user_id).order_by(_R.c.id))
    return [_request(r) for r in rows]


async def count_recent_requests(db: Database, channel: str, user_id: str, since: datetime,
                                topic: str | None = None) -> int:
    """How many requests this client made since a moment (repeated requests may mean urgency)."""
    q = select(func.count().label("n")).select_from(_R).where(
        _R.c.channel == channel, _R.c.user_id == user_id, _R.c.created_at >= since)
    if topic:
        q = q.where(_R.c.topic == topic)
    return int((await db.rows(q))[0].n)


async def open_requests(db: Database, department: str | None = None) -> list[Request]:
    """Requests still waiting for an answer, the earliest deadline first."""
    q = select(*_R.c).where(_R.c.status.in_(OPEN))
    if department:
        q = q.where(_R.c.department == department)
    return [_request(r) for r in await db.rows(q.order_by(_R.c.due_at, _R.c.id))]


# --------------------------------------------------------------------------- messages


async def add_message(db: Database, request_id: int, *, author: str, kind: str, text: str | None,
                      files: list[dict[str, Any]] | None, now: datetime, staff: Actor | None = None) -> RequestMessage:
    rows = await db.rows(insert(_M).values(
        request_id=request_id, at=now, author=author, kind=kind, text=text, files=files or [],
        staff_id=staff.id if staff else None, staff_name=staff.name if staff else None).returning(*_M.c))
    return _message(rows[0])


async def request_messages(db: Database, request_id: int) -> list[RequestMessage]:
    rows = await db.rows(select(*_M.c).where(_M.c.request_id == request_id).order_by(_M.c.id))
    return [_message(m) for m in rows]


async def get_message(db: Database, message_id: int) -> RequestMessage | None:
    rows = await db.rows(select(*_M.c).where(_M.c.id == message_id))
    return _message(rows[0]) if rows else None


async def record_delivery(db: Database, message_id: int, delivered: bool, now: datetime) -> None:
    """Remember whether a staff message reached the client (and put it in the audit trail)."""
    async with db.transaction() as tx:
        rows = await tx.rows(update(_M).where(_M.c.id == message_id).values(delivered=delivered)
                             .returning(_M.c.request_id))
        if rows:
            await _audit(tx, [_audit_row(rows[0].request_id, SYSTEM, "delivered" if delivered else "not_delivered",
                                         now, new=str(message_id))])


# --------------------------------------------------------------------------- staff changes


async def _change(db: Database, request_id: int, actor: Actor, now: datetime, **values: Any) -> Request | None:
    """Apply changes and write one audit entry per changed field (its name, old and new value, who
    and when); None if there is no such request."""
    async with db.transaction() as tx:
        rows = await tx.rows(select(*_R.c).where(_R.c.id == request_id).with_for_update())
        if not rows:
            return None
        row = rows[0]._asdict()
        changed: dict[str, Any] = {}
        entries = []
        for field_name, value in values.items():
            old = row[field_name]
            if old != value:
                changed[field_name] = value
                if field_name not in ("closed_at", "answered_at", "assignee_name"):
                    entries.append(_audit_row(request_id, actor, field_name, now,
                                              old=old.isoformat() if isinstance(old, datetime) else old,
                                              new=value.isoformat() if isinstance(value, datetime) else value))
        if not changed:
            return _request(rows[0])
        new_row = (await tx.rows(update(_R).where(_R.c.id == request_id).values(**changed).returning(*_R.c)))[0]
        await _audit(tx, entries)
        return _request(new_row)


async def take_request(db: Database, request_id: int, actor: Actor, now: datetime) -> Request | None:
    return await _change(db, request_id, actor, now, status="in_work", assignee_id=actor.id,
                         assignee_name=actor.name)


async def set_urgency(db: Database, request_id: int, urgent: bool, actor: Actor, now: datetime) -> Request | None:
    return await _change(db, request_id, actor, now, urgent=urgent)


async def reclassify(db: Database, request_id: int, actor: Actor, now: datetime, *, topic: str | None = None,
                     department: str | None = None, need: str | None = None) -> Request | None:
    values: dict[str, Any] = {}
    if topic:
        values.update(topic=topic, department=department)
    if need:
        values["need"] = need
    return await _change(db, request_id, actor, now, **values)


async def set_deadline(db: Database, request_id: int, due_at: datetime, kind: str, actor: Actor,
                       now: datetime) -> Request | None:
    values: dict[str, Any] = {"due_at": due_at, "deadline_kind": kind}
    if kind == "extended":
        values["extended"] = True
    return await _change(db, request_id, actor, now, **values)


async def set_status(db: Database, request_id: int, status: str, actor: Actor, now: datetime) -> Request | None:
    values: dict[str, Any] = {"status": status}
    if status in OPEN:
        values["closed_at"] = None
    else:
        values["closed_at"] = now
    if status == "answered":
        values["answered_at"] = now
    return await _change(db, request_id, actor, now, **values)


async def note_action(db: Database, request_id: int, actor: Actor, action: str, now: datetime,
                      new: str | None = None) -> None:
    """An audit entry for something that changes no field (an e-mail sent, a card shown again)."""
    await _audit(db, [_audit_row(request_id, actor, action, now, new=new)])


async def audit_trail(db: Database, request_id: int) -> list[AuditEntry]:
    rows = await db.rows(select(*_A.c).where(_A.c.request_id == request_id).order_by(_A.c.id))
    return [AuditEntry(r.at, r.actor, r.actor_name, r.action, r.old, r.new) for r in rows]


# --------------------------------------------------------------------------- forgetting and retention


async def anonymise_client_requests(db: Database, channel: str, user_id: str, now: datetime) -> list[Request]:
    """A client asked to delete his data: erase what identifies him and what he wrote (texts and
    files, staff answers to him); keep the registration data the law asks for (number, dates,
    topic, need, department, deadline, status, who answered). Open requests are withdrawn.
    Returns the requests that were still open."""
    async with db.transaction() as tx:
        rows = await tx.rows(select(_R.c.id, _R.c.status).where(_R.c.channel == channel, _R.c.user_id == user_id)
                             .with_for_update())
        if not rows:
            return []
        ids = [r.id for r in rows]
        withdrawn = [r.id for r in rows if r.status in OPEN]
        entries = [_audit_row(r.id, CLIENT, "status", now, old=r.status, new="withdrawn")
                   for r in rows if r.status in OPEN]
        if withdrawn:
            await tx.rows(update(_R).where(_R.c.id.in_(withdrawn)).values(status="withdrawn", closed_at=now))
        await tx.rows(update(_R).where(_R.c.id.in_(ids)).values(
            client_id=None, user_id=None, chat_id=None, contact_name=None, contact_phone=None, extra_address=None,
            signals=[], anonymised_at=now))
        await tx.rows(update(_M).where(_M.c.request_id.in_(ids)).values(text=None, files=[]))
        await _audit(tx, entries + [_audit_row(i, CLIENT, "anonymised", now) for i in ids])
        if not withdrawn:
            return []
        return [_request(r) for r in await tx.rows(select(*_R.c).where(_R.c.id.in_(withdrawn)).order_by(_R.c.id))]


async def drop_extra_channel(db: Database, channel: str, user_id: str, kind: str, now: datetime) -> list[Request]:
    """The client withdrew his consent to the additional channel ``kind`` (``email``, ``phone``):
    no copy, no call, and the e-mail address goes. Returns his open requests that had it."""
    async with db.transaction() as tx:
        rows = await tx.rows(select(_R.c.id, _R.c.status).where(_R.c.channel == channel, _R.c.user_id == user_id,
                                                                _R.c.extra_channel == kind))
        if not rows:
            return []
        ids = [r.id for r in rows]
        await tx.rows(update(_R).where(_R.c.id.in_(ids)).values(extra_channel=None, extra_address=None))
        await _audit(tx, [_audit_row(i, CLIENT, "extra_channel", now, old=kind) for i in ids])
        opened = [r.id for r in rows if r.status in OPEN]
        if not opened:
            return []
        return [_request(r) for r in await tx.rows(select(*_R.c).where(_R.c.id.in_(opened)).order_by(_R.c.id))]


async def delete_closed_before(db: Database, cutoff: datetime) -> list[int]:
    """Delete requests closed before ``cutoff`` with their messages, files and audit trail."""
    async with db.transaction() as tx:
        ids = [r.id for r in await tx.rows(select(_R.c.id).where(_R.c.closed_at.is_not(None),
                                                                _R.c.closed_at < cutoff))]
        if ids:
            # Children first: SQLite enforces ON DELETE CASCADE only with the pragma, be explicit.
            await tx.rows(delete(_M).where(_M.c.request_id.in_(ids)))
            await tx.rows(delete(_A).where(_A.c.request_id.in_(ids)))
            await tx.rows(delete(_R).where(_R.c.id.in_(ids)))
        return ids


async def count_requests(db: Database) -> int:
    return int((await db.rows(select(func.count().label("n")).select_from(_R)))[0].n)


async def count_message_files(db: Database) -> int:
    """How many files are kept in all requests (for tests of retention and forgetting)."""
    return sum(len(r.files or []) for r in await db.rows(select(_M.c.files)))

"""The staff's web workspace: one-time sign-in links, sessions, its own audit trail of who signed
in and who opened which personal data, and the read-only queries of its pages (the queue of
requests, reports, visits, undelivered messages).

Links and sessions are stored as SHA-256 hashes of their secrets only: whoever reads the database
cannot sign in with what he finds there. Every statement is built once (``Database.rows``); the
queue's optional filters give a bounded number of statements, one per set of filters used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    Select,
    String,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database
from storage.requests import OPEN, RequestMessageRow, RequestRow
from storage.visits import VisitClosureRow, VisitRow


class WebLinkRow(Base):
    """A one-time sign-in link asked for with /web: who asked, and the departments whose staff chat
    he asked in (membership of a staff chat is known only there and then)."""

    __tablename__ = "web_links"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(80))  # channel:user id
    staff_name: Mapped[str | None] = mapped_column(String(100))
    chat_departments: Mapped[str] = mapped_column(String(200), default="")  # comma-separated ids
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_web_links_expires", "expires_at"),)


class WebSessionRow(Base):
    """A signed-in browser: the hash of its cookie, who it is, until when."""

    __tablename__ = "web_sessions"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[str] = mapped_column(String(80))
    staff_name: Mapped[str | None] = mapped_column(String(100))
    chat_departments: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_web_sessions_expires", "expires_at"),)


class WebAuditRow(Base):
    """Who signed in (or tried to), who opened which personal data, and when."""

    __tablename__ = "web_audit"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    staff_id: Mapped[str | None] = mapped_column(String(80))  # None: a refused link nobody owns
    staff_name: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(24))
    target: Mapped[str | None] = mapped_column(String(100))  # request:17, visits:personnel:2026-03-17, ...
    detail: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (Index("ix_web_audit_at", "at"), Index("ix_web_audit_staff", "staff_id", "at"))


# --------------------------------------------------------------------------- links and sessions


@dataclass(frozen=True, slots=True)
class Signer:
    """Who a link or a session belongs to."""

    staff_id: str
    staff_name: str | None
    chat_departments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LinkState:
    signer: Signer
    expires_at: datetime
    used_at: datetime | None


def _signer(row: Any) -> Signer:
    return Signer(row.staff_id, row.staff_name, tuple(filter(None, row.chat_departments.split(","))))


_L = WebLinkRow.__table__
_S = WebSessionRow.__table__
_A = WebAuditRow.__table__
_LINK_ADD = insert(_L).values({name: bindparam(f"p_{name}") for name in (
    "hash", "staff_id", "staff_name", "chat_departments", "created_at", "expires_at")})
_LINK = select(_L.c.staff_id, _L.c.staff_name, _L.c.chat_departments, _L.c.expires_at, _L.c.used_at).where(
    _L.c.hash == bindparam("p_hash"))
# Used once: of any number of simultaneous attempts only one changes the row and gets it back.
_LINK_USE = (update(_L).where(_L.c.hash == bindparam("p_hash"), _L.c.used_at.is_(None),
                              _L.c.expires_at > bindparam("p_now"))
             .values(used_at=bindparam("p_now")).returning(_L.c.staff_id, _L.c.staff_name, _L.c.chat_departments))
_SESSION_ADD = insert(_S).values({name: bindparam(f"p_{name}") for name in (
    "hash", "staff_id", "staff_name", "chat_departments", "created_at", "expires_at")})
_SESSION = select(_S.c.staff_id, _S.c.staff_name, _S.c.chat_departments, _S.c.expires_at).where(
    _S.c.hash == bindparam("p_hash"), _S.c.ended_at.is_(None), _S.c.expires_at > bindparam("p_now"))
_SESSION_END = update(_S).where(_S.c.hash == bindparam("p_hash"), _S.c.ended_at.is_(None)).values(
    ended_at=bindparam("p_now"))
_AUDIT_ADD = insert(_A).values({name: bindparam(f"p_{name}") for name in (
    "at", "staff_id", "staff_name", "action", "target", "detail")})
_AUDIT_RECENT = (select(_A.c.at, _A.c.staff_id, _A.c.staff_name, _A.c.action, _A.c.target, _A.c.detail)
                 .order_by(_A.c.id.desc()).limit(bindparam("p_limit")))
_PURGE_LINKS = delete(_L).where(_L.c.expires_at < bindparam("p_before"))
_PURGE_SESSIONS = delete(_S).where(_S.c.expires_at < bindparam("p_before"))
_PURGE_AUDIT = delete(_A).where(_A.c.at < bindparam("p_before"))


async def add_link(db: Database, token_hash: str, signer: Signer, *, now: datetime, expires_at: datetime) -> None:
    await db.rows(_LINK_ADD, {"p_hash": token_hash, "p_staff_id": signer.staff_id[:80],
                              "p_staff_name": (signer.staff_name or None) and signer.staff_name[:100],
                              "p_chat_departments": ",".join(signer.chat_departments), "p_created_at": now,
                              "p_expires_at": expires_at})


async def link_state(db: Database, token_hash: str) -> LinkState | None:
    """What a link is (whose, until when, used or not), or None if there is no such link."""
    rows = await db.rows(_LINK, {"p_hash": token_hash})
    return LinkState(_signer(rows[0]), rows[0].expires_at, rows[0].used_at) if rows else None


async def sign_in(db: Database, token_hash: str, session_hash: str, *, now: datetime,
                  session_expires_at: datetime) -> Signer | None:
    """Use a link once and open a session in one transaction; None when the link is unknown, used
    or expired (then nothing changes)."""
    async with db.transaction() as tx:
        used = await tx.rows(_LINK_USE, {"p_hash": token_hash, "p_now": now})
        if not used:
            return None
        signer = _signer(used[0])
        await tx.rows(_SESSION_ADD, {"p_hash": session_hash, "p_staff_id": signer.staff_id,
                                     "p_staff_name": signer.staff_name,
                                     "p_chat_departments": ",".join(signer.chat_departments), "p_created_at": now,
                                     "p_expires_at": session_expires_at})
        return signer


async def session_signer(db: Database, session_hash: str, now: datetime) -> Signer | None:
    """Whose a live session is; None if unknown, ended or expired."""
    rows = await db.rows(_SESSION, {"p_hash": session_hash, "p_now": now})
    return _signer(rows[0]) if rows else None


async def end_session(db: Database, session_hash: str, now: datetime) -> None:
    await db.rows(_SESSION_END, {"p_hash": session_hash, "p_now": now})


async def note_web(db: Database, *, staff_id: str | None, staff_name: str | None, action: str, now: datetime,
                   target: str | None = None, detail: str | None = None) -> None:
    """One entry of the workspace's audit trail."""
    await db.rows(_AUDIT_ADD, {"p_at": now, "p_staff_id": staff_id and staff_id[:80],
                               "p_staff_name": staff_name and staff_name[:100], "p_action": action[:24],
                               "p_target": target and target[:100], "p_detail": detail and detail[:200]})


@dataclass(frozen=True, slots=True)
class WebAuditEntry:
    at: datetime
    staff_id: str | None
    staff_name: str | None
    action: str
    target: str | None
    detail: str | None


async def recent_web_audit(db: Database, limit: int = 100) -> list[WebAuditEntry]:
    """The latest entries of the workspace's audit trail, newest first."""
    return [WebAuditEntry(*r) for r in await db.rows(_AUDIT_RECENT, {"p_limit": limit})]


async def purge_web(db: Database, *, links_before: datetime, audit_before: datetime) -> None:
    """Forget expired links and sessions, and audit entries older than the retention period."""
    async with db.transaction() as tx:
        await tx.rows(_PURGE_LINKS, {"p_before": links_before})
        await tx.rows(_PURGE_SESSIONS, {"p_before": links_before})
        await tx.rows(_PURGE_AUDIT, {"p_before": audit_before})


# --------------------------------------------------------------------------- the queue of requests

_R = RequestRow.__table__
_M = RequestMessageRow.__table__


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the queue shows; None (or empty) means "any". ``urgency`` is ``yes`` (confirmed),
    ``no`` (confirmed not urgent) or ``maybe`` (words of urgency, not yet decided); ``due_before``
    keeps requests due before that moment, ``due_from`` those due from it; ``assignee`` ``-``
    keeps the requests nobody has taken."""

    department: str | None = None
    statuses: tuple[str, ...] = ()
    urgency: str | None = None
    due_from: datetime | None = None
    due_before: datetime | None = None
    topic: str | None = None
    need: str | None = None
    assignee: str | None = None


@dataclass(frozen=True, slots=True)
class QueueItem:
    id: int
    department: str
    topic: str
    need: str | None
    status: str
    urgent: bool | None
    signals: list[str]
    created_at: datetime
    due_at: datetime
    deadline_kind: str
    assignee_id: str | None
    assignee_name: str | None
    answered_at: datetime | None


_QUEUE_COLUMNS = (_R.c.id, _R.c.department, _R.c.topic, _R.c.need, _R.c.status, _R.c.urgent, _R.c.signals,
                  _R.c.created_at, _R.c.due_at, _R.c.deadline_kind, _R.c.assignee_id, _R.c.assignee_name,
                  _R.c.answered_at)


@cache
def _queue_statement(department: bool, statuses: bool, urgency: str | None, due_from: bool, due_before: bool,
                     topic: bool, need: bool, assignee: str | None) -> Select[Any]:
    """The queue's statement for one set of filters (a bounded number, built once each)."""
    stmt = select(*_QUEUE_COLUMNS)
    if department:
        stmt = stmt.where(_R.c.department == bindparam("p_department"))
    if statuses:
        stmt = stmt.where(_R.c.status.in_(bindparam("p_statuses", expanding=True)))
    if urgency == "yes":
        stmt = stmt.where(_R.c.urgent.is_(True))
    elif urgency == "no":
        stmt = stmt.where(_R.c.urgent.is_(False))
    elif urgency == "maybe":  # words of urgency found, nobody has decided yet
        stmt = stmt.where(_R.c.urgent.is_(None), func.json_array_length(_R.c.signals) > 0)
    if due_from:
        stmt = stmt.where(_R.c.due_at >= bindparam("p_due_from", type_=_R.c.due_at.type))
    if due_before:
        stmt = stmt.where(_R.c.due_at < bindparam("p_due_before", type_=_R.c.due_at.type))
    if topic:
        stmt = stmt.where(_R.c.topic == bindparam("p_topic"))
    if need:
        stmt = stmt.where(_R.c.need == bindparam("p_need"))
    if assignee == "none":
        stmt = stmt.where(_R.c.assignee_id.is_(None))
    elif assignee == "one":
        stmt = stmt.where(_R.c.assignee_id == bindparam("p_assignee"))
    still_open = case((_R.c.status.in_(OPEN), 0), else_=1)
    return (stmt.order_by(still_open, _R.c.due_at, _R.c.id)
            .limit(bindparam("p_limit", type_=Integer)).offset(bindparam("p_offset", type_=Integer)))


async def queue(db: Database, f: QueueFilter, *, limit: int, offset: int = 0) -> list[QueueItem]:
    """Requests matching the filter: open ones first, each group by deadline (the overdue first)."""
    assignee = None if not f.assignee else "none" if f.assignee == "-" else "one"
    stmt = _queue_statement(bool(f.department), bool(f.statuses), f.urgency, f.due_from is not None,
                            f.due_before is not None, bool(f.topic), bool(f.need), assignee)
    params: dict[str, Any] = {"p_department": f.department, "p_due_from": f.due_from, "p_due_before": f.due_before,
                              "p_topic": f.topic, "p_need": f.need, "p_assignee": f.assignee, "p_limit": limit,
                              "p_offset": offset, "p_statuses": list(f.statuses)}
    return [QueueItem(*r[:6], list(r.signals or []), *r[7:]) for r in await db.rows(stmt, params)]


_ASSIGNEES = (select(_R.c.assignee_id, _R.c.assignee_name).distinct()
              .where(_R.c.department == bindparam("p_department"), _R.c.assignee_id.is_not(None))
              .order_by(_R.c.assignee_name, _R.c.assignee_id))
_ASSIGNEES_ALL = (select(_R.c.assignee_id, _R.c.assignee_name).distinct()
                  .where(_R.c.assignee_id.is_not(None)).order_by(_R.c.assignee_name, _R.c.assignee_id))


async def assignees(db: Database, department: str | None) -> list[tuple[str, str | None]]:
    """Everyone who has taken a request of the department (id, name), for the queue's filter."""
    if department:
        rows = await db.rows(_ASSIGNEES, {"p_department": department})
    else:
        rows = await db.rows(_ASSIGNEES_ALL)
    seen: dict[str, str | None] = {}
    for r in rows:
        seen.setdefault(r.assignee_id, r.assignee_name)  # one name per person (the first seen)
    return list(seen.items())


# --------------------------------------------------------------------------- reports and the register


@dataclass(frozen=True, slots=True)
class RegisteredRequest:
    """A request as the register and the reports see it (no texts; the applicant's name only)."""

    id: int
    department: str
    topic: str
    need: str | None
    status: str
    channel: str
    urgent: bool | None
    contact_name: str | None
    created_at: datetime
    due_at: datetime
    deadline_kind: str
    extended: bool
    assignee_id: str | None
    assignee_name: str | None
    answered_at: datetime | None
    closed_at: datetime | None
    anonymised_at: datetime | None


_REGISTER_COLUMNS = (_R.c.id, _R.c.department, _R.c.topic, _R.c.need, _R.c.status, _R.c.channel, _R.c.urgent,
                     _R.c.contact_name, _R.c.created_at, _R.c.due_at, _R.c.deadline_kind, _R.c.extended,
                     _R.c.assignee_id, _R.c.assignee_name, _R.c.answered_at, _R.c.closed_at, _R.c.anonymised_at)
_PERIOD = (_R.c.created_at >= bindparam("p_since", type_=_R.c.created_at.type)) & (
    _R.c.created_at < bindparam("p_until", type_=_R.c.created_at.type))
_REGISTERED = select(*_REGISTER_COLUMNS).where(_PERIOD, _R.c.department == bindparam("p_department")).order_by(_R.c.id)
_REGISTERED_ALL = select(*_REGISTER_COLUMNS).where(_PERIOD).order_by(_R.c.id)


async def registered_between(db: Database, department: str | None, since: datetime,
                             until: datetime) -> list[RegisteredRequest]:
    """Requests registered in ``[since, until)`` (of one department, or all when None), by number."""
    params = {"p_since": since, "p_until": until, "p_department": department}
    rows = await db.rows(_REGISTERED if department else _REGISTERED_ALL, params)
    return [RegisteredRequest(*r) for r in rows]


# --------------------------------------------------------------------------- visits

_V = VisitRow.__table__
_C = VisitClosureRow.__table__


@dataclass(frozen=True, slots=True)
class AgendaVisit:
    id: int
    topic: str | None
    start: datetime
    end: datetime
    place: int
    name: str | None
    phone: str | None
    priority: str | None


@dataclass(frozen=True, slots=True)
class ClosedPeriod:
    id: int
    start: datetime
    end: datetime
    reason: str | None
    created_by: str


_AGENDA = (select(_V.c.id, _V.c.topic, _V.c.slot_start, _V.c.slot_end, _V.c.place, _V.c.name, _V.c.phone,
                  _V.c.priority)
           .where(_V.c.department == bindparam("p_department"), _V.c.status == "active",
                  _V.c.slot_start >= bindparam("p_since", type_=_V.c.slot_start.type),
                  _V.c.slot_start < bindparam("p_until", type_=_V.c.slot_start.type))
           .order_by(_V.c.slot_start, _V.c.place))
_CLOSED = (select(_C.c.id, _C.c.starts_at, _C.c.ends_at, _C.c.reason, _C.c.created_by)
           .where(_C.c.department == bindparam("p_department"),
                  _C.c.ends_at > bindparam("p_since", type_=_C.c.ends_at.type),
                  _C.c.starts_at < bindparam("p_until", type_=_C.c.starts_at.type))
           .order_by(_C.c.starts_at, _C.c.id))


async def visits_between(db: Database, department: str, since: datetime, until: datetime) -> list[AgendaVisit]:
    """Active visits of a department starting in ``[since, until)``, by time and place."""
    rows = await db.rows(_AGENDA, {"p_department": department, "p_since": since, "p_until": until})
    return [AgendaVisit(*r) for r in rows]


async def closed_between(db: Database, department: str, since: datetime, until: datetime) -> list[ClosedPeriod]:
    """Periods closed for visits that overlap ``[since, until)``."""
    rows = await db.rows(_CLOSED, {"p_department": department, "p_since": since, "p_until": until})
    return [ClosedPeriod(*r) for r in rows]


# --------------------------------------------------------------------------- what did not arrive


@dataclass(frozen=True, slots=True)
class UndeliveredMessage:
    request_id: int
    message_id: int
    at: datetime
    kind: str
    staff_name: str | None


_UNDELIVERED = (select(_M.c.request_id, _M.c.id, _M.c.at, _M.c.kind, _M.c.staff_name)
                .join(_R, _R.c.id == _M.c.request_id)
                .where(_R.c.department == bindparam("p_department"), _M.c.author == "staff",
                       _M.c.delivered.is_(False))
                .order_by(_M.c.at.desc(), _M.c.id.desc()).limit(bindparam("p_limit", type_=Integer)))


async def undelivered_to_clients(db: Database, department: str, limit: int = 100) -> list[UndeliveredMessage]:
    """Staff messages of the department's requests that never reached the client, newest first."""
    rows = await db.rows(_UNDELIVERED, {"p_department": department, "p_limit": limit})
    return [UndeliveredMessage(*r) for r in rows]



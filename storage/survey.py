"""Survey answers, invitations and opt-outs.

Anonymity is structural: a response row holds the survey id, the day (not the time) it was given,
how the person came (menu, after a consultation ...) and the answers — no channel, user id or
link to an invitation. "One response per invitation" is enforced by *receipts*: keyed HMACs of
the invitation token (and of the client, for the once-per-period rule) kept in a separate table
that does not point to the response. The key (``SURVEY_SALT``) lives only in the deployment
environment, so whoever reads the database cannot tell who answered what. Response ids are random,
so their order says nothing about who answered when.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    Index,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database, insert_new, upsert
from storage.jobs import add_job


class SurveyResponseRow(Base):
    """One completed questionnaire, without the identity of the person who filled it in."""

    __tablename__ = "survey_responses"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: order reveals nothing
    survey_id: Mapped[str] = mapped_column(String(30))
    submitted_on: Mapped[date] = mapped_column(Date)  # the day only: a time would allow matching logs
    source: Mapped[str] = mapped_column(String(20))  # menu, consultation, visit, request
    answers: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_survey_responses_period", "survey_id", "submitted_on"),)


class SurveyReceiptRow(Base):
    """Proof that an invitation (or a client, for the period rule) was used: a keyed hash only."""

    __tablename__ = "survey_receipts"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[str] = mapped_column(String(30))
    created_on: Mapped[date] = mapped_column(Date)


class SurveyInvitationRow(Base):
    """An invitation to a survey: whom to send it to and when; never linked to the answers."""

    __tablename__ = "survey_invitations"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    token: Mapped[str] = mapped_column(String(24), unique=True)
    survey_id: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # pending sent skipped cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_survey_invitations_client", "channel", "user_id"),)


class SurveyOptOutRow(Base):
    """"Do not ask me again": a keyed hash of the client, so the list itself names nobody."""

    __tablename__ = "survey_optouts"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_on: Mapped[date] = mapped_column(Date)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    id: str
    survey_id: str
    submitted_on: date
    source: str
    answers: dict


@dataclass(frozen=True, slots=True)
class Invitation:
    id: int
    token: str
    survey_id: str
    channel: str
    user_id: str
    chat_id: str
    reason: str
    status: str
    created_at: datetime
    due_at: datetime
    sent_at: datetime | None
    expires_at: datetime | None


def anon_hash(salt: str, *parts: str) -> str:
    """A keyed hash (HMAC-SHA256) of the parts: the same input gives the same value, but without
    the salt nobody can compute it or go back to the input."""
    return hmac.new(salt.encode(), "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def _invitation(row: Any) -> Invitation:  # a SurveyInvitationRow or a row of its columns
    return Invitation(row.id, row.token, row.survey_id, row.channel, row.user_id, row.chat_id, row.reason,
                      row.status, row.created_at, row.due_at, row.sent_at, row.expires_at)


# The statements of the survey's hot path, built once (see Database.rows).
_RECEIPT_ADD = insert(SurveyReceiptRow.__table__).values(
    hash=bindparam("p_hash"), survey_id=bindparam("p_survey_id"), created_on=bindparam("p_on"))


# The client's receipt: recorded, or moved to the day of his latest response (one statement).
_RECEIPT_PUT = upsert(SurveyReceiptRow.__table__, {"hash": bindparam("p_hash"), "survey_id": bindparam("p_survey_id"),
                                                   "created_on": bindparam("p_on")},
                      key=SurveyReceiptRow.__table__.c.hash, update=("created_on",))
_RESPONSE_ADD = insert(SurveyResponseRow.__table__).values(
    id=bindparam("p_id"), survey_id=bindparam("p_survey_id"), submitted_on=bindparam("p_on"),
    source=bindparam("p_source"), answers=bindparam("p_answers"))
_INV_ADD = insert(SurveyInvitationRow.__table__).values(
    {name: bindparam(f"p_{name}") for name in ("token", "survey_id", "channel", "user_id", "chat_id", "reason",
                                                 "status", "created_at", "due_at")}
).returning(*SurveyInvitationRow.__table__.c)
_INV = SurveyInvitationRow.__table__
_CLIENT_INVITATIONS = (select(*_INV.c)
                       .where(_INV.c.channel == bindparam("channel"), _INV.c.user_id == bindparam("user_id"))
                       .order_by(_INV.c.created_at.desc(), _INV.c.id.desc()))
_OPT_OUT_ADD = insert_new(SurveyOptOutRow.__table__, {"hash": bindparam("hash"), "created_on": bindparam("on")},
                          key=(SurveyOptOutRow.__table__.c.hash,))
_OPTED_OUT = select(SurveyOptOutRow.hash).where(SurveyOptOutRow.hash == bindparam("hash"))
# Whether a client may be invited, in one read: his opt-out and receipt on every row of his
# invitations (newest first), or on a single row of NULL invitation columns when he has none.
_ONE = select(literal(1).label("one")).subquery()
_FACTS = (select(exists().where(SurveyOptOutRow.hash == bindparam("opt_out_hash")).label("opted_out"),
                 select(SurveyReceiptRow.created_on).where(SurveyReceiptRow.hash == bindparam("receipt_hash"))
                 .scalar_subquery().label("answered_on"),
                 *_INV.c)
          .select_from(_ONE.outerjoin(_INV, and_(_INV.c.channel == bindparam("channel"),
                                                 _INV.c.user_id == bindparam("user_id"))))
          .order_by(_INV.c.created_at.desc(), _INV.c.id.desc()))
_CANCEL_PENDING = (update(_INV).where(_INV.c.channel == bindparam("p_channel"),
                                      _INV.c.user_id == bindparam("p_user_id"),
                                      _INV.c.status == "pending")
                   .values(status="cancelled").returning(_INV.c.id))
_RECEIPT = select(SurveyReceiptRow.created_on).where(SurveyReceiptRow.hash == bindparam("hash"))


# --------------------------------------------------------------------------- responses


async def save_response(db: Database, survey_id: str, answers: dict, *, source: str, on: date,
                        once_hashes: tuple[str, ...] = (), client_hash: str | None = None) -> bool:
    """Store a completed questionnaire with its receipts in one transaction. ``once_hashes`` may
    exist only once (an invitation): if one is already there nothing is stored and False is
    returned. ``client_hash`` records (or moves to ``on``) the date of the client's last response."""
    try:
        async with db.transaction() as tx:
            for h in once_hashes:
                await tx.rows(_RECEIPT_ADD, {"p_hash": h, "p_survey_id": survey_id, "p_on": on})
            if client_hash is not None:
                await tx.rows(_RECEIPT_PUT, {"p_hash": client_hash, "p_survey_id": survey_id, "p_on": on})
            await tx.rows(_RESPONSE_ADD, {"p_id": uuid.uuid4().hex, "p_survey_id": survey_id, "p_on": on,
                                          "p_source": source, "p_answers": answers})
    except IntegrityError:
        return False
    return True


async def receipt_date(db: Database, hash_: str) -> date | None:
    """The day a receipt was recorded, or None: has this invitation / client answered?"""
    rows = await db.rows(_RECEIPT, {"hash": hash_})
    return rows[0].created_on if rows else None


async def responses_between(db: Database, survey_id: str, date_from: date, date_to: date) -> list[StoredResponse]:
    """Responses given from ``date_from`` to ``date_to`` inclusive, oldest first."""
    r = SurveyResponseRow.__table__
    rows = await db.rows(select(*r.c).where(r.c.survey_id == survey_id, r.c.submitted_on >= date_from,
                                            r.c.submitted_on <= date_to).order_by(r.c.submitted_on, r.c.id))
    return [StoredResponse(x.id, x.survey_id, x.submitted_on, x.source, dict(x.answers or {})) for x in rows]


# --------------------------------------------------------------------------- invitations


async def create_invitation(db: Database, *, token: str, survey_id: str, channel: str, user_id: str,
                            chat_id: str, reason: str, due_at: datetime, now: datetime,
                            job: tuple[str, Callable[[int], str]] | None = None) -> Invitation:
    """A pending invitation; with ``job`` (kind, key of the invitation id), the job that sends it
    is added in the same transaction: never an invitation nobody sends."""
    async with db.transaction() as tx:
        row = (await tx.rows(_INV_ADD, {"p_token": token, "p_survey_id": survey_id, "p_channel": channel,
                                        "p_user_id": user_id, "p_chat_id": chat_id, "p_reason": reason[:20],
                                        "p_status": "pending", "p_created_at": now, "p_due_at": due_at}))[0]
        if job is not None:
            kind, key = job
            await add_job(tx, kind, due_at, {"invitation": row.id}, now=now, key=key(row.id))
        return _invitation(row)


@dataclass(frozen=True, slots=True)
class InvitationFacts:
    """What decides whether a client may be invited."""

    opted_out: bool
    invitations: list[Invitation]  # newest first
    answered_on: date | None  # the client's receipt of the survey


async def invitation_facts(db: Database, channel: str, user_id: str, *, opt_out_hash: str,
                           receipt_hash: str) -> InvitationFacts:
    rows = await db.rows(_FACTS, {"opt_out_hash": opt_out_hash, "receipt_hash": receipt_hash, "channel": channel,
                                  "user_id": user_id})
    return InvitationFacts(bool(rows[0].opted_out), [_invitation(r) for r in rows if r.id is not None],
                           rows[0].answered_on)


async def get_invitation(db: Database, invitation_id: int) -> Invitation | None:
    rows = await db.rows(select(*_INV.c).where(_INV.c.id == invitation_id))
    return _invitation(rows[0]) if rows else None


async def invitation_by_token(db: Database, token: str) -> Invitation | None:
    rows = await db.rows(select(*_INV.c).where(_INV.c.token == token))
    return _invitation(rows[0]) if rows else None


async def client_invitations(db: Database, channel: str, user_id: str) -> list[Invitation]:
    """Every invitation of a client, newest first."""
    return [_invitation(r) for r in await db.rows(_CLIENT_INVITATIONS, {"channel": channel, "user_id": user_id})]


async def set_invitation_status(db: Database, invitation_id: int, status: str, *, sent_at: datetime | None = None,
                                expires_at: datetime | None = None) -> bool:
    """Move a pending invitation on (sent, skipped, cancelled); False if it was no longer pending."""
    values: dict = {"status": status}
    if sent_at is not None:
        values.update(sent_at=sent_at, expires_at=expires_at)
    rows = await db.rows(update(_INV).where(_INV.c.id == invitation_id, _INV.c.status == "pending")
                         .values(**values).returning(_INV.c.id))
    return len(rows) == 1


async def cancel_client_invitations(db: Database, channel: str, user_id: str) -> list[int]:
    """Cancel the client's invitations not sent yet; returns their ids (to cancel their jobs)."""
    return [r.id for r in await db.rows(_CANCEL_PENDING, {"p_channel": channel, "p_user_id": user_id})]


async def delete_client_invitations(db: Database, channel: str, user_id: str) -> list[int]:
    """Erase every invitation of a client (/forget); returns their ids."""
    rows = await db.rows(delete(_INV).where(_INV.c.channel == channel, _INV.c.user_id == user_id)
                         .returning(_INV.c.id))
    return sorted(r.id for r in rows)


# --------------------------------------------------------------------------- opt-outs


async def add_opt_out(db: Database, hash_: str, on: date) -> None:
    """Recorded once (the same client pressing the button twice at once is no error)."""
    await db.rows(_OPT_OUT_ADD, {"hash": hash_, "on": on})


async def is_opted_out(db: Database, hash_: str) -> bool:
    return bool(await db.rows(_OPTED_OUT, {"hash": hash_}))



async def delete_invitations_before(db: Database, before: datetime) -> int:
    """Erase invitations sent (or due, if never sent) before ``before``, except those still waiting."""
    sent_or_due = func.coalesce(_INV.c.sent_at, _INV.c.due_at)
    rows = await db.rows(delete(_INV).where(sent_or_due < before, _INV.c.status != "pending").returning(_INV.c.id))
    return len(rows)

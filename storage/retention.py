"""Deleting what is no longer needed, across tables: contact data nobody needs any more, idle
conversations with their drafts, consents whose person is gone (handlers/retention.py says
when). Each function is one or two statements, named for what it removes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, exists, or_, select, update

from storage.consents import ConsentRow
from storage.db import Database, Transaction
from storage.requests import OPEN, RequestRow
from storage.tables import ClientRow, ConversationRow
from storage.visits import VisitRow

_C = ClientRow.__table__
_R = RequestRow.__table__
_V = VisitRow.__table__
_T = ConversationRow.__table__
_K = ConsentRow.__table__


async def purge_idle_clients(db: Database | Transaction, cutoff: datetime) -> int:
    """Delete the contact rows (name, phone, e-mail) of people who need none of them any longer: no
    open request, no request closed since ``cutoff``, no active visit that ends after ``cutoff``,
    and not seen since ``cutoff``. Their requests and visits keep the contacts they were made
    with, for their own retention periods."""
    mine_r = and_(_R.c.channel == _C.c.channel, _R.c.user_id == _C.c.user_id)
    mine_v = and_(_V.c.channel == _C.c.channel, _V.c.user_id == _C.c.user_id)
    needed = or_(
        exists().where(mine_r, or_(_R.c.status.in_(OPEN), _R.c.closed_at >= cutoff)),
        exists().where(mine_v, _V.c.status == "active", _V.c.slot_end >= cutoff),
    )
    rows = await db.rows(delete(_C).where(_C.c.last_seen_at < cutoff, ~needed).returning(_C.c.id))
    return len(rows)


async def purge_idle_conversations(db: Database | Transaction, cutoff: datetime) -> int:
    """Conversations untouched since ``cutoff``: their drafts (a request being written, a name and
    a phone, answers of an unfinished survey) were abandoned; the next message starts afresh."""
    rows = await db.rows(delete(_T).where(_T.c.updated_at < cutoff).returning(_T.c.user_id))
    return len(rows)


async def end_orphan_consents(db: Database | Transaction, now: datetime) -> int:
    """Consents in force of people the bot keeps nothing of any longer (their contact row is gone):
    the purpose is achieved, the consent ends; its record keeps only the keyed hash."""
    person = _C.c.channel + ":" + _C.c.user_id
    rows = await db.rows(update(_K).where(_K.c.ended_at.is_(None), _K.c.person.not_in(select(person)))
                         .values(person=None, ended_at=now, ended_by="expired").returning(_K.c.id))
    return len(rows)

"""Consents to the processing of personal data, one record per purpose (152-FZ art. 9).

A record says who agreed (``person``: ``channel:user id``), to what (``purpose``), to which
wording (``version`` of the text in handlers/texts/consent.py), through which channel and when.
While a consent is in force it names the person; once it ends (withdrawn, the person forgot
himself, or nothing of his is kept any longer) the name goes and only a keyed hash of the
person is left with the dates, so that the operator can still prove the processing was lawful
(art. 9 part 3) when that person asks, while a copy of the database names nobody. Those records
are deleted after the proof period (``purge_ended_before``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Index, Integer, String, delete, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database, Transaction


class ConsentRow(Base):
    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    person: Mapped[str | None] = mapped_column(String(100))  # channel:user id; None once the consent ended
    person_hash: Mapped[str] = mapped_column(String(64))  # keyed hash of the person: the proof that stays
    purpose: Mapped[str] = mapped_column(String(16))  # visit request callback email survey
    version: Mapped[str] = mapped_column(String(16))  # of the consent text the person saw
    channel: Mapped[str] = mapped_column(String(16))  # where the consent was given
    given_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by: Mapped[str | None] = mapped_column(String(12))  # withdrawn forgotten expired

    __table_args__ = (Index("ix_consents_person", "person", "purpose"),
                      Index("ix_consents_ended", "ended_at"))


@dataclass(frozen=True, slots=True)
class Consent:
    id: int
    person: str | None
    purpose: str
    version: str
    channel: str
    given_at: datetime
    ended_at: datetime | None
    ended_by: str | None


_T = ConsentRow.__table__


def _consent(r: Any) -> Consent:
    return Consent(r.id, r.person, r.purpose, r.version, r.channel, r.given_at, r.ended_at, r.ended_by)


async def record_consent(db: Database | Transaction, *, person: str, person_hash: str, purpose: str, version: str,
                         channel: str, now: datetime) -> Consent:
    """A consent just given; an earlier one of the same purpose (another version) ends now."""
    await db.rows(update(_T).where(_T.c.person == person, _T.c.purpose == purpose, _T.c.ended_at.is_(None))
                  .values(person=None, ended_at=now, ended_by="renewed"))
    rows = await db.rows(insert(_T).values(person=person, person_hash=person_hash, purpose=purpose, version=version,
                                           channel=channel, given_at=now).returning(*_T.c))
    return _consent(rows[0])


async def consents_in_force(db: Database | Transaction, person: str) -> list[Consent]:
    """The person's consents that have not ended, oldest first."""
    rows = await db.rows(select(*_T.c).where(_T.c.person == person, _T.c.ended_at.is_(None)).order_by(_T.c.id))
    return [_consent(r) for r in rows]


async def end_consents(db: Database | Transaction, person: str, purposes: Sequence[str] | None, *, now: datetime,
                       why: str) -> list[str]:
    """End the person's consents of these purposes (all when None); the records keep only the keyed
    hash. Returns the purposes that were in force."""
    q = update(_T).where(_T.c.person == person, _T.c.ended_at.is_(None))
    if purposes is not None:
        q = q.where(_T.c.purpose.in_(list(purposes)))
    rows = await db.rows(q.values(person=None, ended_at=now, ended_by=why).returning(_T.c.purpose))
    return sorted({r.purpose for r in rows})


async def consent_records(db: Database | Transaction, person_hash: str) -> list[Consent]:
    """Every record of a person, ended ones included (what the operator shows to prove consent)."""
    rows = await db.rows(select(*_T.c).where(_T.c.person_hash == person_hash).order_by(_T.c.id))
    return [_consent(r) for r in rows]


async def purge_ended_before(db: Database | Transaction, cutoff: datetime) -> int:
    """Delete records of consents that ended before ``cutoff`` (the proof period is over)."""
    rows = await db.rows(delete(_T).where(_T.c.ended_at.is_not(None), _T.c.ended_at < cutoff).returning(_T.c.id))
    return len(rows)

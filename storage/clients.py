"""The people the bot talks to: contact data they gave, consent, reachability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update

from storage.db import Database
from storage.tables import ClientRow


@dataclass(frozen=True, slots=True)
class Client:
    id: int
    channel: str
    user_id: str
    chat_id: str
    name: str | None
    phone: str | None
    email: str | None
    consent_at: datetime | None
    unreachable: bool


def _client(row: Any) -> Client:  # a ClientRow or a row of its columns
    return Client(row.id, row.channel, row.user_id, row.chat_id, row.name, row.phone, row.email,
                  row.consent_at, row.unreachable)


async def touch_client(db: Database, channel: str, user_id: str, chat_id: str, now: datetime) -> Client:
    """Find or create the client; a message from him proves he is reachable again."""
    async with db.session() as s:
        row = (await s.execute(select(ClientRow).where(ClientRow.channel == channel,
                                                       ClientRow.user_id == user_id))).scalar_one_or_none()
        if row is None:
            row = ClientRow(channel=channel, user_id=user_id, chat_id=chat_id, created_at=now,
                            last_seen_at=now, unreachable=False)
            s.add(row)
            await s.flush()
        else:
            row.last_seen_at = now
            row.chat_id = chat_id
            row.unreachable = False
        return _client(row)


_C = ClientRow.__table__
_GET = select(*_C.c).where(_C.c.channel == bindparam("channel"), _C.c.user_id == bindparam("user_id"))


async def get_client(db: Database, channel: str, user_id: str) -> Client | None:
    rows = await db.rows(_GET, {"channel": channel, "user_id": user_id})
    return _client(rows[0]) if rows else None


async def save_contact(db: Database, client_id: int, *, name: str | None = None, phone: str | None = None,
                       email: str | None = None, consent_at: datetime | None = None) -> None:
    values = {k: v for k, v in dict(name=name, phone=phone, email=email, consent_at=consent_at).items()
              if v is not None}
    if values:
        async with db.session() as s:
            await s.execute(update(ClientRow).where(ClientRow.id == client_id).values(**values))


async def mark_unreachable(db: Database, channel: str, user_id: str) -> None:
    async with db.session() as s:
        await s.execute(update(ClientRow).where(ClientRow.channel == channel, ClientRow.user_id == user_id)
                        .values(unreachable=True))


async def erase_personal_data(db: Database, client_id: int) -> None:
    """Forget name, phone, e-mail and consent of a client (the row stays for foreign keys)."""
    async with db.session() as s:
        await s.execute(update(ClientRow).where(ClientRow.id == client_id)
                        .values(name=None, phone=None, email=None, consent_at=None, note=None))

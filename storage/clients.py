"""The people the bot talks to: contact data they gave, reachability."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update

from storage.db import Database, upsert
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
    unreachable: bool


def _client(row: Any) -> Client:  # a ClientRow or a row of its columns
    return Client(row.id, row.channel, row.user_id, row.chat_id, row.name, row.phone, row.email, row.unreachable)


# Every step of a conversation that needs the client runs one of these (see Database.rows).
_C = ClientRow.__table__
_KEY = (_C.c.channel == bindparam("p_channel")) & (_C.c.user_id == bindparam("p_user_id"))
_GET = select(*_C.c).where(_KEY)
# Found and refreshed, or added: one statement (his first two messages at once are no error).
_TOUCH = upsert(_C, {"channel": bindparam("p_channel"), "user_id": bindparam("p_user_id"),
                     "chat_id": bindparam("p_chat_id"), "created_at": bindparam("p_now"),
                     "last_seen_at": bindparam("p_now"), "unreachable": False},
                key=(_C.c.channel, _C.c.user_id), update=("last_seen_at", "chat_id", "unreachable"),
                returning=tuple(_C.c))
# Only the fields given change: a None keeps what is stored.
_CONTACT = update(_C).where(_C.c.id == bindparam("p_id")).values(
    {name: func.coalesce(bindparam(f"p_{name}", type_=_C.c[name].type), _C.c[name])
     for name in ("name", "phone", "email")})


async def touch_client(db: Database, channel: str, user_id: str, chat_id: str, now: datetime) -> Client:
    """Find or create the client; a message from him proves he is reachable again."""
    values = {"p_channel": channel, "p_user_id": user_id, "p_chat_id": chat_id, "p_now": now}
    return _client((await db.rows(_TOUCH, values))[0])


async def get_client(db: Database, channel: str, user_id: str) -> Client | None:
    rows = await db.rows(_GET, {"p_channel": channel, "p_user_id": user_id})
    return _client(rows[0]) if rows else None


async def save_contact(db: Database, client_id: int, *, name: str | None = None, phone: str | None = None,
                       email: str | None = None) -> None:
    if (name, phone, email) != (None, None, None):
        await db.rows(_CONTACT, {"p_id": client_id, "p_name": name, "p_phone": phone, "p_email": email})


async def mark_unreachable(db: Database, channel: str, user_id: str) -> None:
    await db.rows(update(_C).where(_C.c.channel == channel, _C.c.user_id == user_id).values(unreachable=True))


async def erase_personal_data(db: Database, client_id: int) -> None:
    """Forget name, phone and e-mail of a client (the row stays: he is still talking to the bot)."""
    await db.rows(update(_C).where(_C.c.id == client_id).values(name=None, phone=None, email=None, note=None))


async def erase_email(db: Database, channel: str, user_id: str) -> None:
    await db.rows(update(_C).where(_C.c.channel == channel, _C.c.user_id == user_id).values(email=None))


async def delete_client(db: Database, channel: str, user_id: str) -> None:
    """The client's row with everything in it (/forget): a new message creates a fresh one."""
    await db.rows(delete(_C).where(_C.c.channel == channel, _C.c.user_id == user_id))

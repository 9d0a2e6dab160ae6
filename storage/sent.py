"""Which message the bot sent where, with what tag: a staff member's reply to a request card is
matched back to the request by the id of the card message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import BigInteger, Index, Insert, Integer, String, bindparam, delete, insert, select
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database


class SentMessageRow(Base):
    __tablename__ = "sent_messages"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                    autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    tag: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_sent_messages_lookup", "channel", "chat_id", "message_id"),)


_COLUMNS = ("channel", "chat_id", "message_id", "tag", "created_at")


@cache
def _record(count: int) -> Insert:
    """One insert of ``count`` rows (a reply split into several messages: one round trip)."""
    return insert(SentMessageRow.__table__).values(
        [{name: bindparam(f"p_{name}_{i}") for name in _COLUMNS} for i in range(count)])


async def record_sent(db: Database, channel: str, chat_id: str, message_ids: Sequence[str], tag: str,
                      now: datetime) -> None:
    """The messages of one reply (its parts, a file, a place on the map), sent to ``chat_id``."""
    if not message_ids:
        return
    values: dict[str, object] = {}
    for i, message_id in enumerate(message_ids):
        values.update({f"p_channel_{i}": channel, f"p_chat_id_{i}": chat_id, f"p_message_id_{i}": message_id,
                       f"p_tag_{i}": tag, f"p_created_at_{i}": now})
    await db.rows(_record(len(message_ids)), values)


_S = SentMessageRow.__table__


async def find_tag(db: Database, channel: str, chat_id: str, message_id: str) -> str | None:
    rows = await db.rows(select(_S.c.tag).where(_S.c.channel == channel, _S.c.chat_id == chat_id,
                                                _S.c.message_id == message_id).order_by(_S.c.id.desc()).limit(1))
    return rows[0].tag if rows else None


async def forget_tag(db: Database, tag: str) -> None:
    await db.rows(delete(_S).where(_S.c.tag == tag))


@dataclass(frozen=True, slots=True)
class SentMessage:
    channel: str
    chat_id: str
    message_id: str
    tag: str


async def tagged_messages(db: Database, tags: Sequence[str]) -> list[SentMessage]:
    """The messages sent with any of these tags (the staff cards of a client's requests), oldest first."""
    if not tags:
        return []
    rows = await db.rows(select(_S.c.channel, _S.c.chat_id, _S.c.message_id, _S.c.tag)
                         .where(_S.c.tag.in_(list(tags))).order_by(_S.c.id))
    return [SentMessage(r.channel, r.chat_id, r.message_id, r.tag) for r in rows]


async def forget_tags(db: Database, tags: Sequence[str]) -> None:
    if tags:
        await db.rows(delete(_S).where(_S.c.tag.in_(list(tags))))

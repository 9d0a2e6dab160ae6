"""Which message the bot sent where, with what tag: a staff member's reply to a request card is
matched back to the request by the id of the card message."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, bindparam, delete, insert, select
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


_RECORD = insert(SentMessageRow.__table__).values(
    {name: bindparam(f"p_{name}") for name in ("channel", "chat_id", "message_id", "tag", "created_at")})


async def record_sent(db: Database, channel: str, chat_id: str, message_id: str, tag: str, now: datetime) -> None:
    await db.rows(_RECORD, {"p_channel": channel, "p_chat_id": chat_id, "p_message_id": message_id, "p_tag": tag,
                            "p_created_at": now})


async def find_tag(db: Database, channel: str, chat_id: str, message_id: str) -> str | None:
    async with db.session() as s:
        return (await s.execute(select(SentMessageRow.tag).where(
            SentMessageRow.channel == channel, SentMessageRow.chat_id == chat_id,
            SentMessageRow.message_id == message_id).order_by(SentMessageRow.id.desc()).limit(1))).scalar()


async def forget_tag(db: Database, tag: str) -> None:
    async with db.session() as s:
        await s.execute(delete(SentMessageRow).where(SentMessageRow.tag == tag))

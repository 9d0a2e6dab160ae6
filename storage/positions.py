"""Where a channel's incoming stream was read up to, so that a restart goes on from there.

VK's long poll forgets nothing for a while but remembers no reader: a bot that starts from the
server's current ``ts`` never sees the messages written while it was down. The position saved
here is the ``ts`` after the last batch whose events were all answered; a restart asks VK for
everything after it (an event answered just before a crash may come once more)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UTCDateTime
from storage.db import Database, upsert


class ChannelPositionRow(Base):
    __tablename__ = "channel_positions"

    stream: Mapped[str] = mapped_column(String(40), primary_key=True)  # "vk:<group id>"
    position: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


_P = ChannelPositionRow.__table__
_GET = select(_P.c.position).where(_P.c.stream == bindparam("p_stream"))


_PUT = upsert(_P, {"stream": bindparam("p_stream"), "position": bindparam("p_position"),
                  "updated_at": bindparam("p_now")}, key=_P.c.stream, update=("position", "updated_at"))


async def load_position(db: Database, stream: str) -> str | None:
    rows = await db.rows(_GET, {"p_stream": stream})
    return rows[0].position if rows else None


async def save_position(db: Database, stream: str, position: str, now: datetime) -> None:
    await db.rows(_PUT, {"p_stream": stream, "p_position": position, "p_now": now})

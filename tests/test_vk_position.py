"""Where the VK long poll resumes after a restart: past every batch answered whole, never past one
still being answered (SQLite and PostgreSQL)."""

from __future__ import annotations

from bot.channels.position import ReadPosition
from storage.db import Database
from tests.conftest import FakeClock


async def test_the_position_moves_only_past_batches_answered_whole(db_url: str, clock: FakeClock) -> None:
    db = Database(db_url)
    try:
        position = ReadPosition(db, "vk:77", clock)
        assert await position.load() is None  # never read: start from VK's newest events
        position.received("11", ["a", "b"])
        position.received("12", ["c"])
        position.answered("c")  # a later batch answered first: the earlier one may still be lost
        position.answered("a")
        assert position.safe is None
        position.answered("b")
        assert position.safe == "12"
        position.received("13", [])  # nothing in it to wait for (repeats of updates taken before)
        assert position.safe == "13"
        await position.save()
        assert await ReadPosition(db, "vk:77", clock).load() == "13"
        assert await ReadPosition(db, "vk:78", clock).load() is None  # another community
        position.received("14", ["d"])
        position.answered("d")
        await position.save()
        assert await ReadPosition(db, "vk:77", clock).load() == "14"
    finally:
        await db.close()

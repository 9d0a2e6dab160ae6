"""Another process holds SQLite's write lock for ten seconds (a backup tool, an administrator's
sqlite3 shell): nobody waits on it longer than the write wait (3 s), the event loop never blocks on
it, readers are not held up at all, and the bot answers normally as soon as the lock is gone."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.app import App
from bot.settings import Settings
from handlers import texts
from handlers.models import Event
from storage.db import SQLITE_LOCK_WAIT
from tests.conftest import FakeClock, handle

HELD = 10.0


def _hold_lock(path: str, taken: threading.Event, release: threading.Event) -> None:
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    taken.set()
    release.wait(HELD)
    con.execute("ROLLBACK")
    con.close()


async def test_a_lock_held_by_another_process_stalls_nobody_for_long(tmp_path: Path, settings: Settings,
                                                                     clock: FakeClock) -> None:
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock")
    app = await App.create(settings, clock=clock, migrate=False)
    try:
        await handle(app, Event("console", "a", "a", text="привет"))
        path = make_url(settings.database_url).database
        assert path is not None
        taken, release = threading.Event(), threading.Event()
        holder = threading.Thread(target=_hold_lock, args=(path, taken, release))
        holder.start()
        assert taken.wait(5)

        ticks: list[float] = []

        async def heartbeat() -> None:  # the loop keeps running: nothing blocks it
            while not release.is_set():
                ticks.append(time.monotonic())
                await asyncio.sleep(0.05)

        beat = asyncio.create_task(heartbeat())
        started = time.monotonic()
        ping = asyncio.create_task(app.services.db.ping())
        people = [asyncio.create_task(handle(app, Event("console", u, u, text="2"))) for u in ("a", "b", "c")]
        await asyncio.wait_for(ping, 1)
        read_took = time.monotonic() - started
        answers = await asyncio.gather(*people)
        waited = time.monotonic() - started
        release.set()
        holder.join()
        await beat

        assert read_took < 0.5, f"a reader waited {read_took:.2f} s"
        assert all(texts.DB_UNAVAILABLE in outs[0].reply.text for outs in answers), "each told to retry"
        assert waited < SQLITE_LOCK_WAIT + 1.0, f"three writers waited {waited:.1f} s in all, not one after another"
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        assert max(gaps) < 0.5, f"the event loop stalled for {max(gaps):.2f} s"
        print(f"\nSQLite held by another process: a reader answered in {read_took * 1000:.0f} ms; three people "
              f"were told to retry after {waited:.2f} s (the write wait is {SQLITE_LOCK_WAIT:.0f} s); the longest "
              f"pause of the event loop was {max(gaps) * 1000:.0f} ms")

        outs = await handle(app, Event("console", "a", "a", text="2"))
        assert "Что вас интересует по аттестации?" in outs[-1].reply.text, "answered again once the lock is gone"
    finally:
        await app.close()

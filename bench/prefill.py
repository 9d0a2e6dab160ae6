"""Throw-away databases for the benchmark: a SQLite file or a PostgreSQL database of its own,
migrated with the bot's Alembic migrations, filled with N clients who already talked to the bot
(a ``clients`` row and a ``conversations`` row each) by bulk INSERTs, and removed at the end."""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.engine import make_url

from bench.common import NOW
from storage.db import Database
from storage.tables import ClientRow, ConversationRow

PG_ADMIN_URL = os.environ.get("CONSULT_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
FIRST_USER = 100_000_001  # Telegram user ids of the stored clients: FIRST_USER, FIRST_USER + 1, ...
BATCH = 10_000


def user_id(n: int) -> int:
    """The Telegram id of the n-th stored client (0-based)."""
    return FIRST_USER + n


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(PG_ADMIN_URL)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                                 database=url.database, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def postgres_available() -> str | None:
    """None when the server answers, else why not (the PostgreSQL part is then skipped)."""
    try:
        await _pg_admin("SELECT 1")
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@asynccontextmanager
async def temp_database(kind: str) -> AsyncIterator[str]:
    """A migrated empty database, removed afterwards: ``kind`` is ``sqlite`` or ``postgresql``."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="consult-bench-"))
        url = f"sqlite:///{folder / 'bench.db'}"
        try:
            await _migrate(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"consult_bench_{uuid.uuid4().hex[:10]}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        await _migrate(url)
        yield url
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await db.migrate()
    finally:
        await db.close()


def _rows(count: int, seed: int, channel: str) -> Iterator[tuple[list[dict], list[dict]]]:
    """Clients in batches: some gave their name and phone, all were last seen within a year and rest
    on the main menu, as people do after a finished conversation."""
    rng = random.Random(seed)
    for start in range(0, count, BATCH):
        clients, conversations = [], []
        for n in range(start, min(count, start + BATCH)):
            uid = str(user_id(n))
            seen = NOW - timedelta(minutes=rng.randrange(1, 365 * 24 * 60))
            named = rng.random() < 0.3
            clients.append({"channel": channel, "user_id": uid, "chat_id": uid,
                            "name": f"Клиент {n}" if named else None,
                            "phone": f"+7911{n % 10**7:07d}" if named else None, "email": None,
                            "consent_at": seen if named else None, "unreachable": False, "note": None,
                            "created_at": seen - timedelta(days=rng.randrange(0, 200)), "last_seen_at": seen})
            conversations.append({"channel": channel, "user_id": uid, "chat_id": uid, "step": "menu",
                                  "params": {}, "data": {"topic": "attestation"} if named else {}, "stack": [],
                                  "version": rng.randrange(1, 40), "updated_at": seen})
        yield clients, conversations


async def prefill(url: str, count: int, *, seed: int = 1, channel: str = "telegram") -> None:
    """Insert ``count`` stored clients of ``channel`` with their conversations (bulk, a few seconds
    for 100,000)."""
    db = Database(url)
    try:
        for clients, conversations in _rows(count, seed, channel):
            async with db.transaction() as tx:
                await tx.rows(insert(ClientRow.__table__), clients)  # type: ignore[arg-type]
                await tx.rows(insert(ConversationRow.__table__), conversations)  # type: ignore[arg-type]
        await db.rows(text("ANALYZE clients"))
        await db.rows(text("ANALYZE conversations"))
    finally:
        await db.close()

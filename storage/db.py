"""The database: engine, sessions and migrations, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


class Database:
    """One engine per process; ``session()`` gives a transaction that commits on success."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # PostgreSQL: events holding a person's advisory lock at once (see storage.locks.person_lock),
        # a third of the connections (the pool and as many again in overflow).
        self.lock_holders = asyncio.Semaphore(max(1, 2 * pool_size // 3))
        kwargs: dict = {"echo": echo}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": 30}
        else:
            # Fail fast when the server is away (the client gets an apology instead of waiting), and
            # check pooled connections before use so that the pool heals after an outage.
            kwargs.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_recycle=1800,
                          pool_timeout=10, connect_args={"timeout": 10})
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._direct: aiosqlite.Connection | None = None
        self._direct_opening = asyncio.Lock()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions.begin() as session:
            yield session

    async def migrate(self) -> None:
        """Apply every Alembic migration (all heads) that has not been applied yet."""
        def run() -> None:
            command.upgrade(alembic_config(self.url), "heads")

        await asyncio.to_thread(run)

    async def direct(self) -> aiosqlite.Connection | None:
        """SQLite only (else None): one aiosqlite connection in autocommit mode, opened on first
        use, for the statements run around every event (storage.conversations). Through the
        SQLAlchemy pool and session a one-row statement costs about 1 ms of CPU, directly about
        0.05 ms: each statement is one hop to the driver's thread instead of five or six."""
        if not self.is_sqlite:
            return None
        if self._direct is None:
            async with self._direct_opening:
                if self._direct is None:
                    path = make_url(self.url).database or ":memory:"
                    conn = await aiosqlite.connect(path, timeout=30, isolation_level=None)
                    for pragma in SQLITE_PRAGMAS:
                        await conn.execute(pragma)
                    self._direct = conn
        return self._direct

    async def close(self) -> None:
        if self._direct is not None:
            conn, self._direct = self._direct, None
            await conn.close()
        await self.engine.dispose()


# WAL lets the scheduler read while a conversation writes; NORMAL is durable across crashes of
# the process (only a power loss may drop the last transaction).
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                  "PRAGMA busy_timeout=30000")


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    for pragma in SQLITE_PRAGMAS:
        cur.execute(pragma)
    cur.close()

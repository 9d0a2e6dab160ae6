"""Shared fixtures: a controllable clock, a fresh database (SQLite and PostgreSQL), the app, and a
console dialogue helper. Every test that takes ``app`` runs on both databases.

PostgreSQL: ``CONSULT_TEST_PG`` is an admin URL (default: the local server, user postgres); a
database of its own is created for the session and dropped at the end. Without a reachable server
the PostgreSQL variants are skipped, unless ``CONSULT_REQUIRE_PG=1`` (CI), where that fails.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.settings import Settings
from handlers.models import Event, Outgoing
from storage.base import Base
from storage.db import Database

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("CONSULT_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("CONSULT_REQUIRE_PG") == "1"
# A Tuesday morning in Moscow, an ordinary working day.
DEFAULT_NOW = datetime(2026, 3, 17, 7, 0, tzinfo=UTC)  # 10:00 MSK


class FakeClock:
    """Time that moves only when a test says so (reminders, deadlines, retention)."""

    def __init__(self, now: datetime = DEFAULT_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every migration applied, copied for each test (migrating once is faster)."""
    path = tmp_path_factory.mktemp("template") / "template.db"

    async def build() -> None:
        db = Database(f"sqlite:///{path}")
        await db.migrate()
        await db.close()

    _run(build())
    return path


async def _pg_admin(sql: str) -> None:
    import asyncpg

    url = make_url(PG_ADMIN_URL)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str | None]:
    """A PostgreSQL database of this test session, migrated; None when there is no server."""
    name = f"consult_test_{uuid.uuid4().hex[:10]}"
    try:
        _run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (CONSULT_REQUIRE_PG=1) but unreachable: {exc}")
        yield None
        return
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    async def migrate() -> None:
        db = Database(url)
        await db.migrate()
        await db.close()

    _run(migrate())
    yield url
    _run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    import storage.models  # noqa: F401  (all tables registered)

    db = Database(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    await db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "bot.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    if url is None:
        pytest.skip("PostgreSQL is not reachable")
    _run(_truncate(url))
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(_env_file=None, database_url=db_url, data_dir=tmp_path / "data",  # type: ignore[call-arg]
                    directory_file=ROOT / "directory.yaml", survey_file=ROOT / "survey.yaml",
                    calendar_file=ROOT / "calendar.yaml", staff_admin_ids="console:admin")


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    application = await App.create(settings, clock=clock, migrate=False)
    yield application
    await application.close()


def pool_checkouts(db: Database) -> list[object]:
    """A list that grows with every connection taken from the database's pools (the ORM's and, on
    PostgreSQL, that of the events)."""
    taken: list[object] = []
    pools = [db.engine.sync_engine.pool] if db.engine is not None else []
    pools += [e.pool for e in (db.sync, db.reader) if e is not None]
    for pool in pools:
        event.listen(pool, "checkout", lambda *args: taken.append(args))
    return taken


async def handle(app: App, event: Event) -> list[Outgoing]:
    """One event straight through the engine, its committed messages then delivered (or given up:
    no channel of that name may run in the test), as every channel does; what it showed, in order."""
    handled = await app.engine.handle(event)
    await app.sender.deliver(handled.messages)
    return handled.outgoing


class Dialogue:
    """A citizen at the console: ``await d.say("привет")`` returns what the bot printed."""

    def __init__(self, channel: ConsoleChannel, staff_log: io.StringIO) -> None:
        self.channel = channel
        self.staff_log = staff_log
        self.transcript: list[str] = []

    async def say(self, text: str) -> str:
        answer = await self.channel.send_line(text)
        self.transcript += [f"> {text}", answer]
        return answer

    def staff_output(self) -> str:
        return self.staff_log.getvalue()


@pytest.fixture
def console(app: App, tmp_path: Path) -> Dialogue:
    staff_log = io.StringIO()
    channel = ConsoleChannel(app, stdin=io.StringIO(), stdout=staff_log, files_dir=tmp_path / "files")
    app.add_channel(channel)
    app.fallback = channel
    return Dialogue(channel, staff_log)

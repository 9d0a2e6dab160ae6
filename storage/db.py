"""The database: one statement path (SQLAlchemy Core on a connection) for SQLite and PostgreSQL.

Everything the bot stores goes through three calls:

- ``async with db.unit(lock=key) as u`` — the unit of work of one event (or one job): a single
  transaction that holds the person's lock; every statement run while it is open, in the same
  task, joins it (``db.rows``, ``db.transaction``, ``u.rows``). It commits when the block ends and
  rolls back on an exception, so the domain change, the conversation state and the outbox rows
  of an event are all there after a crash, or none of them.
- ``await db.rows(statement, params)`` — one statement: in a unit, on the unit's connection;
  outside one, a transaction of its own. Rows have attributes named after the columns.
- ``async with db.transaction() as tx`` — several statements together: in a unit a SAVEPOINT
  (an expected failure inside, such as a place taken a moment ago, is rolled back alone and the
  event goes on); outside one, a transaction of its own.

SQLite runs in this process, on SQLAlchemy's own pysqlite connections, called directly from the
event loop: a statement of a conversation step costs 20–50 µs there, where a hop to aiosqlite's
thread and back cost 60–80 µs for each of the four cursor calls SQLAlchemy's adapter makes
(measured: 0.14 ms against 1.34 ms of CPU for the begin, read, write, commit of an event). What
could block the loop is kept off it: a lock held by another process is waited for with
``asyncio.sleep`` (the busy timeout of these connections is 0), WAL checkpoints run in a thread
(``checkpoint``), and long reports may use ``offload``. Writers of this process take turns on an
asyncio lock, so they never meet SQLite's busy handler.

PostgreSQL runs on asyncpg through SQLAlchemy's asyncio extension; a unit holds one pooled
connection, and the person's lock is a transaction-level advisory lock released by the commit.
"""

from __future__ import annotations

import ast
import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Table,
    bindparam,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql import Executable

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
# SQLAlchemy's engine log shows every statement at INFO and the rows read at DEBUG; rows hold
# clients' names, phones and texts. SQLAlchemy leaves its loggers at WARN unless configured; this
# keeps the engine's there even if someone lowers "sqlalchemy" (a failed statement's line shows no
# parameters: hide_parameters). ``echo=True`` still works for a developer on test data.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")

# How long a writer waits for another process that holds SQLite's write lock before the person
# gets the "try again in a minute" apology; nobody else in this process is blocked meanwhile
# except other writers, who would have to wait for the same lock anyway.
SQLITE_LOCK_WAIT = 3.0


def sync_sqlite_url(url: str | URL) -> URL:
    """``sqlite+aiosqlite:///x.db`` (the form of earlier versions) or ``sqlite:///x.db``: the
    same file, opened with the standard library's driver."""
    return make_url(url).set(drivername="sqlite+pysqlite")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def migration_heads() -> frozenset[str]:
    """The newest migrations (revisions no other one builds on), read from their files without
    Alembic: a process whose database is up to date never loads it (9 MB of a bot's memory)."""
    revisions: set[str] = set()
    bases: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else (
                node.target if isinstance(node, ast.AnnAssign) else None)
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and node.value is not None:
                found[target.id] = ast.literal_eval(node.value)
        revisions.add(found["revision"])
        down = found.get("down_revision")
        bases.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    return frozenset(revisions - bases)


class PerDialect:
    """A statement that each database spells its own way (an upsert), built once for each."""

    def __init__(self, **spellings: Executable) -> None:
        self._spellings = spellings

    def spelling(self, dialect_name: str) -> Executable:
        return self._spellings[dialect_name]


Statement = Executable | PerDialect


def upsert(table: Table, values: Mapping[str, Any], *, key: Column[Any] | Sequence[Column[Any]], update: Sequence[str],
           where: ColumnElement[bool] | None = None, returning: Sequence[Column[Any]] = ()) -> PerDialect:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET`` the ``update`` columns from the new row
    (``WHERE``, ``RETURNING`` if given): one statement, which SQLAlchemy builds per dialect."""
    def build(dialect_insert: Callable[[Table], Any]) -> Executable:
        stmt = dialect_insert(table).values(**values)
        keys = list(key) if isinstance(key, Sequence) else [key]
        stmt = stmt.on_conflict_do_update(index_elements=keys, set_={c: stmt.excluded[c] for c in update},
                                          where=where)
        return stmt.returning(*returning) if returning else stmt  # type: ignore[no-any-return]

    return PerDialect(sqlite=build(sqlite.insert), postgresql=build(postgresql.insert))


def insert_new(table: Table, values: Mapping[str, Any], *, key: Sequence[Column[Any]],
               returning: Sequence[Column[Any]] = ()) -> PerDialect:
    """``INSERT … ON CONFLICT (key) DO NOTHING``: a row that is already there is no error (an
    error would end a PostgreSQL transaction, the unit of the whole event); with ``returning``,
    no row comes back when it was there."""
    def build(dialect_insert: Callable[[Table], Any]) -> Executable:
        stmt = dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=list(key))
        return stmt.returning(*returning) if returning else stmt  # type: ignore[no-any-return]

    return PerDialect(sqlite=build(sqlite.insert), postgresql=build(postgresql.insert))


def _is_read(statement: Executable) -> bool:
    """A SELECT: on SQLite it needs neither the write lock nor a transaction (SQLite has no
    FOR UPDATE; its writers are serialised as a whole)."""
    return bool(getattr(statement, "is_select", False))


class Transaction:
    """Statements of one transaction (a unit, a savepoint in it, or a transaction of its own)."""

    __slots__ = ("_conn", "_db")

    def __init__(self, db: Database, conn: Connection | AsyncConnection) -> None:
        self._db = db
        self._conn = conn

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        return await self._db._execute(self._conn, statement, params)


class Unit(Transaction):
    """The transaction of one event or job (``Database.unit``). ``writes`` counts the statements
    that changed something (INSERT, UPDATE, DELETE), savepoints included."""

    __slots__ = ("task", "writes")

    def __init__(self, db: Database, conn: Connection | AsyncConnection) -> None:
        super().__init__(db, conn)
        self.task = asyncio.current_task()
        self.writes = 0


_CURRENT: ContextVar[Unit | None] = ContextVar("storage_unit", default=None)
# Writers of one SQLite file in this process take turns here (several Database objects may open
# the same file: the tests' instances, the CLI).
_SQLITE_WRITERS: dict[str, asyncio.Lock] = {}
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:key)").bindparams(bindparam("key", type_=BigInteger))


class Database:
    """One per process and database URL."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 10) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.sync: Engine | None = None  # SQLite: the writers' connections (BEGIN IMMEDIATE)
        self.reader: Engine | None = None  # SQLite: autocommit reads, outside any transaction
        self.engine: AsyncEngine | None = None  # PostgreSQL
        self.autocommit: AsyncEngine | None = None  # PostgreSQL: single statements, one round trip
        if self.is_sqlite:
            path = parsed.database or ":memory:"
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # hide_parameters: a failed statement's log line never shows a client's data.
            kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True,
                                      "connect_args": {"timeout": 0, "check_same_thread": False}}
            self.sync = create_engine(sync_sqlite_url(parsed), **kwargs)
            self.reader = create_engine(sync_sqlite_url(parsed), **kwargs)
            for engine in (self.sync, self.reader):
                event.listen(engine, "connect", _sqlite_connect)
            event.listen(self.sync, "begin", _sqlite_begin)
            self._writer = _SQLITE_WRITERS.setdefault(str(Path(path).resolve()) if path != ":memory:" else url,
                                                      asyncio.Lock())
            self.dialect_name = "sqlite"
        else:
            # Fail fast when the server is away (the client gets an apology instead of waiting). No
            # ping before every checkout (a round trip of every event): a connection found dead makes
            # SQLAlchemy discard the whole pool, so after an outage one event gets the apology and
            # the next ones run on fresh connections (tests/test_faults_db.py).
            self.engine = create_async_engine(url, echo=echo, hide_parameters=True, pool_size=pool_size,
                                              max_overflow=pool_size, pool_recycle=1800, pool_timeout=10,
                                              connect_args={"timeout": 10})
            # A single statement is atomic by itself: no BEGIN and COMMIT round trips around it.
            self.autocommit = self.engine.execution_options(isolation_level="AUTOCOMMIT")
            self.dialect_name = "postgresql"
        # PostgreSQL: units at once. Each holds a pooled connection; more of them than the pool
        # would wait for connections none of them gives back (the benchmark found it with 200
        # people at once); those beyond this wait here, holding nothing.
        self.unit_slots = asyncio.Semaphore(max(1, 2 * pool_size // 3))

    # ------------------------------------------------------------------ the three calls
    @asynccontextmanager
    async def unit(self, lock: int | None = None) -> AsyncIterator[Unit]:
        """The transaction of one event; ``lock`` (a 64-bit key) serialises units of the same key
        across processes on PostgreSQL (on SQLite every writer takes its turn anyway)."""
        current = self._current()
        if current is not None:  # a unit within a unit (a job that runs a flow): the same one
            yield current
            return
        if self.is_sqlite:
            async with self._sqlite_write() as conn:
                unit = Unit(self, conn)
                token = _CURRENT.set(unit)
                try:
                    yield unit
                finally:
                    _CURRENT.reset(token)
            return
        assert self.engine is not None
        async with self.unit_slots, self.engine.connect() as conn:
            async with conn.begin():
                if lock is not None:
                    await conn.execute(_PG_LOCK, {"key": lock})
                unit = Unit(self, conn)
                token = _CURRENT.set(unit)
                try:
                    yield unit
                finally:
                    _CURRENT.reset(token)

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        """One statement: within a unit on its connection, else as a transaction of its own."""
        current = self._current()
        if current is not None:
            return await current.rows(statement, params)
        if self.is_sqlite:
            resolved = self._resolve(statement)
            if _is_read(resolved):  # WAL: readers wait for nobody
                assert self.reader is not None
                with self.reader.connect() as conn:
                    return _result(conn.execute(resolved, params or {}))
            async with self._sqlite_write() as conn:
                return await self._execute(conn, statement, params)
        assert self.autocommit is not None
        async with self.autocommit.connect() as aconn:
            return await self._execute(aconn, statement, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Several statements as one transaction: committed together or not at all. Within a unit
        a savepoint: rolled back alone if the block raises, the unit goes on."""
        current = self._current()
        if current is not None:
            conn = current._conn
            if isinstance(conn, AsyncConnection):
                async with conn.begin_nested():
                    yield Transaction(self, conn)
            else:
                with conn.begin_nested():
                    yield Transaction(self, conn)
            return
        async with self.unit() as unit:  # the outermost transaction: statements of this task join it
            yield unit

    # ------------------------------------------------------------------ beyond statements
    async def offload(self, work: Callable[[Connection], T]) -> T:
        """Long read-only work (a year's report) with a connection of its own, off the event loop
        on SQLite; on PostgreSQL through the asyncio extension's ``run_sync``."""
        if self.is_sqlite:
            assert self.reader is not None
            reader = self.reader

            def run() -> T:
                with reader.connect() as conn:
                    return work(conn)

            return await asyncio.to_thread(run)
        assert self.engine is not None
        async with self.engine.connect() as aconn:
            return await aconn.run_sync(work)

    async def checkpoint(self) -> None:
        """SQLite: copy the write-ahead log into the database file and truncate it (in a thread:
        it writes and syncs the file). Also what makes deleted personal data leave the WAL."""
        if not self.is_sqlite:
            return

        def run(conn: Connection) -> None:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

        async with self._writer:  # no writer of ours in between
            await self.offload(run)

    async def ping(self) -> None:
        """Raises if the database cannot be reached (the health check)."""
        await self.rows(select(1))

    async def migrate(self) -> None:
        """Apply every Alembic migration (all heads) that has not been applied yet."""
        if await self._applied() == migration_heads():
            return  # up to date (``consult-bot migrate`` ran): nothing for Alembic to do

        def run() -> None:
            from alembic import command

            command.upgrade(alembic_config(self.url), "heads")

        await asyncio.to_thread(run)

    async def _applied(self) -> frozenset[str]:
        """The migrations the database says it has (none before the first)."""
        try:
            return frozenset(row[0] for row in await self.rows(text("SELECT version_num FROM alembic_version")))
        except Exception:  # no such table yet
            return frozenset()

    async def close(self) -> None:
        if self.is_sqlite:
            try:
                await self.checkpoint()
            except Exception as exc:  # closing anyway; the next start checkpoints
                log.warning("SQLite checkpoint at close failed: %s", exc)
        for sync_engine in (self.sync, self.reader):
            if sync_engine is not None:
                sync_engine.dispose()
        if self.engine is not None:
            await self.engine.dispose()

    # ------------------------------------------------------------------ inside
    def _current(self) -> Unit | None:
        unit = _CURRENT.get()
        # A task started from within a unit inherits the context, not the unit: it must not use
        # the same connection at the same time.
        if unit is None or unit._db is not self or unit.task is not asyncio.current_task():
            return None
        return unit

    def _resolve(self, statement: Statement) -> Executable:
        return statement.spelling(self.dialect_name) if isinstance(statement, PerDialect) else statement

    async def _execute(self, conn: Connection | AsyncConnection, statement: Statement,
                       params: Mapping[str, Any] | None) -> list[Any]:
        resolved = self._resolve(statement)
        if getattr(resolved, "is_dml", False) and (unit := self._current()) is not None:
            unit.writes += 1
        if isinstance(conn, AsyncConnection):
            return _result(await conn.execute(resolved, params or {}))
        return _result(conn.execute(resolved, params or {}))

    @asynccontextmanager
    async def _sqlite_write(self) -> AsyncIterator[Connection]:
        """SQLite: this process's turn to write, then BEGIN IMMEDIATE (waiting without blocking the
        loop while another process holds the lock), COMMIT on success, ROLLBACK otherwise."""
        assert self.sync is not None
        # The wait counts from the request, not from this process's turn: while another process
        # holds the lock, writers queued here give up one after another, not each after a full wait.
        deadline = time.monotonic() + SQLITE_LOCK_WAIT
        async with self._writer:
            with self.sync.connect() as conn:
                pause = 0.002
                while True:
                    try:
                        conn.begin()
                        break
                    except OperationalError as exc:
                        if not _locked(exc) or time.monotonic() >= deadline:
                            raise
                        conn.rollback()
                        await asyncio.sleep(pause)
                        pause = min(pause * 2, 0.1)
                try:
                    yield conn
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()


def _result(result: Any) -> list[Any]:
    return list(result.all()) if result.returns_rows else []


def _locked(exc: OperationalError) -> bool:
    orig = exc.orig
    return isinstance(orig, sqlite3.OperationalError) and "locked" in str(orig).lower()


# WAL lets readers (the scheduler, reports, another process) read while a conversation writes;
# NORMAL is durable across crashes of the process (only a power loss may drop the last
# transaction). Checkpoints run apart (Database.checkpoint): the event loop never waits for them.
# secure_delete: deleted personal data is overwritten in the file, not left in free pages.
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                  "PRAGMA busy_timeout=0", "PRAGMA secure_delete=ON", "PRAGMA wal_autocheckpoint=0")


def _sqlite_connect(dbapi_conn: Any, _record: object) -> None:
    # The driver must not open transactions on its own: SQLAlchemy's "begin" event does, so that
    # BEGIN IMMEDIATE and SAVEPOINT work (SQLAlchemy's documented recipe for pysqlite).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cur.execute(pragma)
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE: the write lock is taken at once, so a transaction never fails half-way with
    # "database is locked" when it first writes after reading.
    conn.exec_driver_sql("BEGIN IMMEDIATE")

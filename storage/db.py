"""The database: engine, sessions and migrations, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import namedtuple
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import Column, ColumnElement, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.sql import Executable

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
        # each on a connection of ``event_engine``.
        holders = max(1, 2 * pool_size // 3)
        self.lock_holders = asyncio.Semaphore(holders)
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
        # PostgreSQL: the connections of ``Database.rows`` and ``transaction`` and of the events
        # (the person's advisory lock, the state, the flows' small statements), in autocommit
        # from the start. Switching a pooled connection to autocommit and back for every event,
        # and its pre-ping inside a transaction (BEGIN, ping, ROLLBACK), cost 0.3 ms of CPU and
        # three round trips; here the pre-ping is one. The ORM sessions keep ``engine``.
        self.event_engine: AsyncEngine | None = None
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            self.event_engine = create_async_engine(url, **{**kwargs, "pool_size": holders},
                                                    isolation_level="AUTOCOMMIT")
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._direct: aiosqlite.Connection | None = None
        self._direct_opening = asyncio.Lock()
        self._direct_lock = asyncio.Lock()
        self._statements: dict[int, tuple[Statement, Compiled]] = {}

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions.begin() as session:
            yield session

    async def migrate(self) -> None:
        """Apply every Alembic migration (all heads) that has not been applied yet."""
        def run() -> None:
            command.upgrade(alembic_config(self.url), "heads")

        await asyncio.to_thread(run)

    async def _direct_connection(self) -> aiosqlite.Connection:
        if self._direct is None:
            async with self._direct_opening:
                if self._direct is None:
                    path = make_url(self.url).database or ":memory:"
                    conn = await aiosqlite.connect(path, timeout=30, isolation_level=None)
                    for pragma in SQLITE_PRAGMAS:
                        await conn.execute(pragma)
                    self._direct = conn
        return self._direct

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Run one statement, built once with bound parameters (no ORM entities), as a transaction
        of its own; its rows (if any) have attributes named after the columns.

        For the small statements of every conversation step. Through an ORM session such a
        statement costs about 1 ms of CPU, most of it hops to the driver's thread and back; on
        SQLite it runs here, compiled once by SQLAlchemy, on one direct autocommit connection (a
        single hop, about 0.05 ms), on PostgreSQL through asyncpg directly (``Direct``), within an
        event on the connection holding the person's lock."""
        if self.is_sqlite:
            async with self._direct_lock:
                return await self._run_direct(await self._direct_connection(), statement, params)
        held = HELD.get()
        if held is not None and held.db is self:
            return await held.rows(statement, params)
        async with self.direct() as direct:
            return await direct.rows(statement, params)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Several such statements as one transaction: committed together or not at all."""
        if self.is_sqlite:
            async with self._direct_lock:  # nobody else's statement may slip into it
                conn = await self._direct_connection()
                await _direct_sql(conn, "BEGIN IMMEDIATE")
                try:
                    yield Transaction(lambda st, p: self._run_direct(conn, st, p))
                    await _direct_sql(conn, "COMMIT")
                except BaseException:
                    if conn.in_transaction:  # also when COMMIT itself failed: the connection is shared
                        await conn.rollback()
                    raise
        elif (held := HELD.get()) is not None and held.db is self:
            # Within an event, on the lock's own connection: no pooled connection with its
            # pre-ping is needed.
            async with held.transaction():
                yield Transaction(held.rows)
        else:
            async with self.direct() as direct, direct.transaction():
                yield Transaction(direct.rows)

    @asynccontextmanager
    async def direct(self) -> AsyncIterator[Direct]:
        """PostgreSQL: a pooled autocommit connection of ``event_engine``, used through asyncpg."""
        assert self.event_engine is not None, "PostgreSQL only"
        async with self.event_engine.connect() as conn:
            direct = Direct(self, await conn.get_raw_connection())
            try:
                yield direct
            finally:
                # The server went away, or the connection's state is unknown: the pool must not
                # hand it out again (closing it also releases whatever it held).
                if direct.broken or direct.discard:
                    await conn.invalidate()

    async def _run_direct(self, conn: aiosqlite.Connection, statement: Statement,
                          params: Mapping[str, Any] | None) -> list[Any]:
        compiled = self._compiled(statement)
        return [compiled.row(r) for r in await _direct_sql(conn, compiled.sql, compiled.params(params or {}))]

    def _compiled(self, statement: Statement) -> Compiled:
        hit = self._statements.get(id(statement))
        if hit is None or hit[0] is not statement:
            dialect = self.engine.dialect
            spelled = statement.spelling(dialect.name) if isinstance(statement, PerDialect) else statement
            hit = self._statements[id(statement)] = (statement, Compiled(spelled, dialect))
        return hit[1]

    async def close(self) -> None:
        if self._direct is not None:
            conn, self._direct = self._direct, None
            await conn.close()
        await self.engine.dispose()
        if self.event_engine is not None:
            await self.event_engine.dispose()


class Direct:
    """PostgreSQL: a pooled connection in autocommit, used through asyncpg directly. Single
    statements (``Database.rows``) run on it as transactions of their own. Within an event it is
    the connection holding the person's advisory lock (``HELD``, storage.locks), so the person's
    state and the flows' statements take no more connections from the pool.

    Statements are compiled once by SQLAlchemy for the dialect, with its converters (the same
    SQL, casts and JSON codecs SQLAlchemy itself sends): through SQLAlchemy's connection each cost
    about 0.14 ms of CPU, directly 0.05 ms. Errors come out as SQLAlchemy's."""

    __slots__ = ("_adapted", "db", "discard", "driver")

    def __init__(self, db: Database, raw: Any) -> None:
        self.db = db
        self.discard = False
        self._adapted = raw.dbapi_connection  # SQLAlchemy's adapter: translates asyncpg's errors
        self.driver = raw.driver_connection  # the asyncpg connection

    async def value(self, sql: str, *values: Any) -> Any:
        """One statement of plain SQL (the lock itself); the first value of its first row."""
        try:
            return await self.driver.fetchval(sql, *values)
        except Exception as exc:
            raise self._translated(exc, sql, values) from exc

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        compiled = self.db._compiled(statement)
        values = compiled.params(params or {})
        try:
            records = await self.driver.fetch(compiled.sql, *values)
        except Exception as exc:
            raise self._translated(exc, compiled.sql, values) from exc
        return [compiled.row(r) for r in records] if compiled.returns else []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        tx = self.driver.transaction()
        await self._step(tx.start, "BEGIN")
        try:
            yield
        except BaseException:
            if not self.broken:
                await self._step(tx.rollback, "ROLLBACK")
            raise
        await self._step(tx.commit, "COMMIT")

    async def _step(self, call: Callable[[], Awaitable[None]], sql: str) -> None:
        """BEGIN, COMMIT or ROLLBACK; if it fails, whether a transaction is still open is unknown,
        so the connection is not given back to the pool."""
        try:
            await call()
        except BaseException as exc:
            self.discard = True
            if isinstance(exc, Exception):
                raise self._translated(exc, sql, ()) from exc
            raise

    @property
    def broken(self) -> bool:
        return bool(self.driver.is_closed())

    def _translated(self, exc: Exception, sql: str, values: Sequence[Any]) -> Exception:
        """asyncpg's error as SQLAlchemy raises it (IntegrityError for a unique violation,
        InterfaceError for a lost connection, ...); network errors (OSError) stay as they are."""
        try:
            self._adapted._handle_exception(exc)  # raises the DB-API error the dialect maps it to
        except Exception as dbapi_error:
            error_class = self.db.engine.dialect.loaded_dbapi.Error
            if isinstance(dbapi_error, error_class):
                return DBAPIError.instance(sql, values, dbapi_error, error_class, connection_invalidated=self.broken)
        return exc


HELD: ContextVar[Direct | None] = ContextVar("held_lock", default=None)


async def _direct_sql(conn: aiosqlite.Connection, sql: str, values: Sequence[Any] = ()) -> Iterable[Any]:
    try:
        return await conn.execute_fetchall(sql, values)
    except sqlite3.Error as exc:  # the same exceptions as through SQLAlchemy (IntegrityError, ...)
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc


class PerDialect:
    """A statement that each database spells its own way (an upsert), built once for each."""

    def __init__(self, **spellings: Executable) -> None:
        self._spellings = spellings

    def spelling(self, dialect_name: str) -> Executable:
        return self._spellings[dialect_name]


Statement = Executable | PerDialect


def upsert(table: Table, values: Mapping[str, Any], *, key: Column[Any], update: Sequence[str],
           where: ColumnElement[bool] | None = None, returning: Sequence[Column[Any]] = ()) -> PerDialect:
    """``INSERT … ON CONFLICT (key) DO UPDATE SET`` the ``update`` columns from the new row
    (``WHERE``, ``RETURNING`` if given): one statement, which SQLAlchemy builds per dialect."""
    def build(dialect_insert: Callable[[Table], Any]) -> Executable:
        stmt = dialect_insert(table).values(**values)
        stmt = stmt.on_conflict_do_update(index_elements=[key], set_={c: stmt.excluded[c] for c in update},
                                          where=where)
        return stmt.returning(*returning) if returning else stmt  # type: ignore[no-any-return]

    return PerDialect(sqlite=build(sqlite.insert), postgresql=build(postgresql.insert))


class Transaction:
    """Statements of one transaction (``Database.transaction``)."""

    def __init__(self, run: Callable[[Statement, Mapping[str, Any] | None], Awaitable[list[Any]]]) -> None:
        self._run = run

    async def rows(self, statement: Statement, params: Mapping[str, Any] | None = None) -> list[Any]:
        return await self._run(statement, params)


class Compiled:
    """A statement compiled once for a dialect, with SQLAlchemy's own converters of its bound
    parameters and result columns (JSON, aware datetimes, booleans), for a DB-API connection."""

    def __init__(self, statement: Statement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        # (name, converter, the value of a constant such as ``version=1`` of an insert); the
        # dialect's own type (SQLite keeps datetimes as text in its own format, for example).
        self._binds = [(name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect),
                        compiled.binds[name].value) for name in compiled.positiontup or ()]
        columns = list(getattr(statement, "exported_columns", ()))
        # Whether the statement itself returns rows: PostgreSQL's SQL of a plain insert also returns
        # the new key (SQLAlchemy's implicit RETURNING), which the caller did not ask for.
        self.returns = bool(columns)
        self._results = [col.type.dialect_impl(dialect).result_processor(dialect, None) for col in columns]
        self._row = namedtuple("Row", [col.key for col in columns], rename=True) if columns else None  # type: ignore[misc]

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out = []
        for name, proc, constant in self._binds:
            value = values.get(name, constant)
            out.append(proc(value) if proc else value)
        return tuple(out)

    def row(self, raw: Sequence[Any]) -> Any:
        values = [proc(v) if proc else v for proc, v in zip(self._results, raw, strict=True)]
        return self._row(*values) if self._row else tuple(values)


# WAL lets the scheduler read while a conversation writes; NORMAL is durable across crashes of
# the process (only a power loss may drop the last transaction).
SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                  "PRAGMA busy_timeout=30000")


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    for pragma in SQLITE_PRAGMAS:
        cur.execute(pragma)
    cur.close()

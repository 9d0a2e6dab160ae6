"""Alembic environment: the migrations on SQLite (the standard library's driver, as the bot uses it)
or PostgreSQL (asyncpg through SQLAlchemy's asyncio extension)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

import storage.models  # noqa: F401  (registers every table on the metadata)
from storage.base import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs batch ALTERs
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _online() -> None:
    engine = create_async_engine(config.get_main_option("sqlalchemy.url"))
    async with engine.connect() as conn:
        await conn.run_sync(_run)
        await conn.commit()
    await engine.dispose()


def _online_sqlite(url: str) -> None:
    engine = create_engine(make_url(url).set(drivername="sqlite+pysqlite"))
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif make_url(config.get_main_option("sqlalchemy.url") or "").get_backend_name() == "sqlite":
    _online_sqlite(config.get_main_option("sqlalchemy.url") or "")
else:
    asyncio.run(_online())

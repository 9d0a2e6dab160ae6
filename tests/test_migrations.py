"""One schema, two databases: the Alembic migrations create exactly the tables the code uses, on
SQLite and PostgreSQL, and ``consult-bot migrate`` applies them (again and again, harmlessly)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import storage.models  # noqa: F401  (every table on the metadata)
from bot.cli import main
from storage.base import Base
from storage.db import Database


async def test_migrated_schema_equals_the_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        diff = await db.offload(
            lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}),
                                          Base.metadata))
    finally:
        await db.close()
    assert diff == [], f"models and migrations differ: {diff}"


def test_migrate_command_on_a_fresh_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "fresh.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{path}")  # the form of earlier versions still works
    monkeypatch.chdir(tmp_path)
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0  # nothing left to apply: no error
    assert "Миграции применены" in capsys.readouterr().out
    with sqlite3.connect(path) as con:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    assert "alembic_version" in tables


async def test_downgrade_and_upgrade_again(tmp_path: Path) -> None:
    import asyncio

    from alembic import command

    from storage.db import alembic_config

    url = f"sqlite:///{tmp_path / 'cycle.db'}"
    db = Database(url)
    await db.migrate()
    await asyncio.to_thread(command.downgrade, alembic_config(url), "base")
    with sqlite3.connect(tmp_path / "cycle.db") as con:
        left = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert left <= {"alembic_version", "sqlite_sequence"}  # SQLite's own table of AUTOINCREMENT counters
    await db.migrate()
    await db.close()

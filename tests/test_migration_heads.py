"""``Database.migrate`` on a database that is up to date does not load Alembic (9 MB of every bot's
memory): the newest migrations are read from the files, and they are the heads Alembic knows."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory

from storage.db import Database, alembic_config, migration_heads


def test_the_heads_read_from_the_files_are_alembic_s() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert migration_heads() == frozenset(script.get_heads())


async def test_an_up_to_date_database_is_not_given_to_alembic(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(db_url)  # migrated by the fixture
    calls: list[str] = []
    monkeypatch.setattr(command, "upgrade", lambda *args: calls.append("upgrade"))
    try:
        await db.migrate()
        assert calls == []
    finally:
        await db.close()


async def test_a_new_database_is(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        await db.migrate()
        assert await db._applied() == migration_heads()
    finally:
        await db.close()

"""The database goes away for a while: the client gets an apology, the bot logs it and recovers by
itself when the database is back (no restart). PostgreSQL is reached through a TCP proxy that the
test can cut, so the real server is left alone for the other tests."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import handlers.engine as engine_module
from bot.app import App
from bot.settings import Settings
from handlers.models import Event
from tests.conftest import ROOT, handle


class CuttableProxy:
    """A TCP proxy to the real server; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for w in list(self.writers):
            w.close()
        self.writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def _app(url: str, tmp_path, clock) -> App:  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, database_url=url, data_dir=tmp_path,  # type: ignore[call-arg]
                        directory_file=ROOT / "directory.yaml", survey_file=ROOT / "survey.yaml",
                        calendar_file=ROOT / "calendar.yaml")
    return await App.create(settings, clock=clock, migrate=False)


async def test_database_outage_apology_and_recovery(pg_url: str | None, tmp_path, clock,  # type: ignore[no-untyped-def]
                                                    caplog: pytest.LogCaptureFixture) -> None:
    if pg_url is None:
        pytest.skip("PostgreSQL is not reachable")
    real = make_url(pg_url)
    proxy = CuttableProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = await _app(url, tmp_path, clock)
    try:
        outs = await handle(app, Event("telegram", "501", "501", text="привет"))
        assert "Здравствуйте" in outs[0].reply.text

        await proxy.cut()
        with caplog.at_level(logging.ERROR):
            outs = await asyncio.wait_for(handle(app, Event("telegram", "501", "501", text="2")), 30)
        assert len(outs) == 1
        assert "временные технические неполадки" in outs[0].reply.text
        assert any("database unavailable" in r.getMessage() for r in caplog.records)

        await proxy.start()  # the database is back, on the same address
        outs = await asyncio.wait_for(handle(app, Event("telegram", "501", "501", text="2")), 30)
        assert "Что вас интересует по аттестации?" in outs[-1].reply.text, "recovered without a restart"
    finally:
        await app.close()
        await proxy.cut()


async def test_connection_lost_in_the_middle_of_an_event(pg_url: str | None, tmp_path, clock) -> None:  # type: ignore[no-untyped-def]
    """The server drops the connection an event runs on (its unit, holding the person's lock), after
    the lock was taken: the client gets the apology, and his next message is answered normally on
    a fresh connection, his lock gone with the dead session."""
    if pg_url is None:
        pytest.skip("PostgreSQL is not reachable")
    app = await _app(pg_url, tmp_path, clock)
    admin = await asyncpg.connect(make_url(pg_url).set(drivername="postgresql").render_as_string(hide_password=False))
    real_load = engine_module.load_state

    async def load_after_the_connection_dies(db, channel, user_id):  # type: ignore[no-untyped-def]
        pid = (await db.rows(text("SELECT pg_backend_pid() AS pid")))[0].pid  # the unit's connection
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
        await asyncio.sleep(0.2)
        return await real_load(db, channel, user_id)

    try:
        outs = await handle(app, Event("telegram", "502", "502", text="привет"))
        assert "Здравствуйте" in outs[0].reply.text
        engine_module.load_state = load_after_the_connection_dies  # type: ignore[assignment]
        try:
            outs = await asyncio.wait_for(handle(app, Event("telegram", "502", "502", text="2")), 30)
        finally:
            engine_module.load_state = real_load
        assert len(outs) == 1 and "временные технические неполадки" in outs[0].reply.text
        outs = await asyncio.wait_for(handle(app, Event("telegram", "502", "502", text="2")), 30)
        assert "Что вас интересует по аттестации?" in outs[-1].reply.text
    finally:
        await admin.close()
        await app.close()

"""The bot's one web server: everything on HTTP_PORT by default, a part with a port of its own on a
listener of its own (old settings keep working), /healthz on every listener with the database and
the channels, the staff workspace at /staff/, a webhook that waits for its channel a little and then
says 503, settings that cannot work refused before anything listens."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.app import App
from bot.settings import Settings
from bot.web_server import WebServer, listeners, parts, problems, serving
from tests.conftest import FakeClock
from tests.max_harness import free_port


def with_(settings: Settings, **values: object) -> Settings:
    return Settings(_env_file=None, **{**settings.model_dump(), **values})  # type: ignore[call-arg]


def test_everything_on_one_port_unless_a_part_has_its_own() -> None:
    base = Settings(_env_file=None, telegram_token="1:a", telegram_mode="webhook", max_token="m",  # type: ignore[call-arg]
                    max_mode="webhook", web_base_url="https://bot.example.ru")
    assert {k: [p.name for p in v] for k, v in listeners(base).items()} == {
        ("0.0.0.0", 8080): ["telegram", "max", "staff"]}
    old = with_(base, telegram_webhook_port=8081, web_host="127.0.0.1", web_port=8090)  # settings of before
    assert {k: [p.name for p in v] for k, v in listeners(old).items()} == {
        ("0.0.0.0", 8080): ["max"], ("0.0.0.0", 8081): ["telegram"], ("127.0.0.1", 8090): ["staff"]}
    polling = Settings(_env_file=None, telegram_token="1:a", max_token="m")  # type: ignore[call-arg]
    assert parts(polling) == [] and list(listeners(polling)) == [("0.0.0.0", 8080)]  # /healthz only


def test_settings_that_cannot_listen_are_said_before_anything_starts() -> None:
    base = Settings(_env_file=None, telegram_token="1:a", telegram_mode="webhook", max_token="m",  # type: ignore[call-arg]
                    max_mode="webhook")
    assert problems(base) == []
    assert "порт 8080 указан с разными адресами (0.0.0.0, 127.0.0.1)" in problems(
        with_(base, web_base_url="https://x.ru", web_host="127.0.0.1"))[0]
    assert problems(with_(base, max_webhook_path="/telegram/webhook")) == [
        "TELEGRAM_WEBHOOK_PATH и MAX_WEBHOOK_PATH должны различаться"]


@pytest.fixture
async def app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    own = free_port()
    s = with_(settings, http_host="127.0.0.1", http_port=free_port(), telegram_token="1:a", telegram_mode="webhook",
              telegram_webhook_port=own, max_token="m", max_mode="webhook", web_base_url="http://127.0.0.1")
    application = await App.create(s, clock=clock, migrate=False)
    yield application
    await application.close()


async def test_health_the_workspace_and_webhooks_where_the_settings_say(app: App) -> None:
    async with serving(app, channel_wait=0.2) as server, aiohttp.ClientSession() as http:
        main, own = server.port(), server.port("telegram")
        assert server.port("max") == server.port("staff") == main != own
        for port in (main, own):
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                assert resp.status == 200
                assert await resp.json() == {"status": "ok", "database": "ok", "channels": {
                    "max": {"configured": True, "connected": False},
                    "telegram": {"configured": True, "connected": False}}}
        async with http.get(f"http://127.0.0.1:{main}/staff/signed-out") as resp:
            assert resp.status == 200 and "Content-Security-Policy" in resp.headers
        async with http.get(f"http://127.0.0.1:{own}/staff/signed-out") as resp:
            assert resp.status == 404  # the workspace is not on the Telegram webhook's own port
        async with http.post(f"http://127.0.0.1:{main}/max/webhook", json={}) as resp:
            assert resp.status == 503  # no MAX channel yet: MAX delivers it again later

        async def ready(request: web.Request) -> web.Response:
            return web.Response(text="taken")

        server.serve("max", ready)
        async with http.post(f"http://127.0.0.1:{main}/max/webhook", json={}) as resp:
            assert (resp.status, await resp.text()) == (200, "taken")
        server.withdraw("max", ready)
        async with http.post(f"http://127.0.0.1:{main}/max/webhook", json={}) as resp:
            assert resp.status == 503
        with pytest.raises(LookupError):
            server.serve("vk", ready)  # VK polls: it has no webhook here


async def test_health_says_503_when_the_database_does_not_answer(app: App) -> None:
    async def down() -> None:
        raise OSError("connection refused")

    app.services.db.ping = down  # type: ignore[method-assign]
    async with serving(app) as server, aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{server.port()}/healthz") as resp:
            assert resp.status == 503
            assert (await resp.json())["database"] == "unavailable"


async def test_a_taken_port_is_an_error_and_nothing_is_left_listening(app: App) -> None:
    first = WebServer(app)
    await first.start()
    try:
        taken = with_(app.settings, http_port=first.port())
        second = WebServer(App(app.services, taken))
        with pytest.raises(OSError):
            await second.start()
        assert second._runners == []
    finally:
        await first.close()

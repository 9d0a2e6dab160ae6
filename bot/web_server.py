"""The process's one web server (aiohttp): ``/healthz``, the messengers' webhooks, the staff workspace.

``consult-bot run`` starts it right after the database and before any messenger connects, so
``/healthz`` answers from the first second: whether the database answers, and which channels are
configured and which are connected. Everything is served on ``HTTP_HOST:HTTP_PORT``. A part whose
own setting names another address (``TELEGRAM_WEBHOOK_PORT``, ``MAX_WEBHOOK_PORT``, ``WEB_PORT``,
from the time each part had a server of its own) is served there instead, on a listener of its own
with ``/healthz`` beside it: old deployments keep working, new ones need one port.

A webhook path exists from the start, and a channel hands in its handler once it is ready. A
request that comes before waits for the channel a little instead of being refused: MAX delivers
what it kept as soon as the bot is back, and tries a refused delivery again only after a minute.
No access log: a sign-in link's secret is in its path.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STAFF = "staff"  # the part that is the staff workspace (the others are channels' webhooks)
CHANNEL_WAIT = 20.0  # seconds a webhook request waits for its channel (MAX gives up after 30)


@dataclass(frozen=True, slots=True)
class Part:
    """Something the server serves: a channel's webhook (``path``) or the staff workspace."""

    name: str
    host: str
    port: int
    path: str | None = None


def _path(path: str) -> str:
    return "/" + path.lstrip("/")


def parts(settings: Settings) -> list[Part]:
    """What this deployment serves, each where its settings say."""
    out: list[Part] = []
    if settings.telegram_token is not None and settings.telegram_mode == "webhook":
        out.append(Part("telegram", settings.telegram_webhook_host or settings.http_host,
                        settings.telegram_webhook_port or settings.http_port, _path(settings.telegram_webhook_path)))
    if settings.max_token is not None and settings.max_mode == "webhook":
        out.append(Part("max", settings.max_webhook_host or settings.http_host,
                        settings.max_webhook_port or settings.http_port, _path(settings.max_webhook_path)))
    if settings.web_base_url:
        out.append(Part(STAFF, settings.web_host or settings.http_host, settings.web_port or settings.http_port))
    return out


def listeners(settings: Settings) -> dict[tuple[str, int], list[Part]]:
    """The addresses to listen on, each with its parts; HTTP_HOST:HTTP_PORT always (/healthz)."""
    groups: dict[tuple[str, int], list[Part]] = {(settings.http_host, settings.http_port): []}
    for part in parts(settings):
        groups.setdefault((part.host, part.port), []).append(part)
    return groups


def problems(settings: Settings) -> list[str]:
    """What would keep the server from starting (said by check-config and at start-up, in Russian
    for the administrator)."""
    found: list[str] = []
    hosts: dict[int, set[str]] = {}
    for host, port in listeners(settings):
        hosts.setdefault(port, set()).add(host)
    for port, names in sorted(hosts.items()):
        if len(names) > 1:
            found.append(f"порт {port} указан с разными адресами ({', '.join(sorted(names))}): у всего, что "
                         "слушает один порт, адрес должен быть один (HTTP_HOST)")
    paths = [p.path for p in parts(settings) if p.path is not None]
    if len(paths) != len(set(paths)):
        found.append("TELEGRAM_WEBHOOK_PATH и MAX_WEBHOOK_PATH должны различаться")
    return found


def secret_matches(received: str, expected: str) -> bool:
    """Whether a webhook's secret header (as aiohttp hands it over: text decoded from UTF-8 with
    ``surrogateescape``) is exactly ``expected``: the bytes that came are compared with the
    secret's in constant time, so a value of any bytes is a plain mismatch (401), never a
    ``TypeError`` of ``hmac.compare_digest`` on non-ASCII text. An empty secret matches nothing."""
    if not expected:
        return False
    try:
        got = received.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no byte of the request could have made
        return False
    return hmac.compare_digest(got, expected.encode("utf-8"))


class WebServer:
    def __init__(self, app: App, *, channel_wait: float = CHANNEL_WAIT) -> None:
        self.app = app
        self.channel_wait = channel_wait
        self.health_path = _path(app.settings.telegram_health_path)
        self.parts = parts(app.settings)
        self.addresses: dict[str, tuple[str, int]] = {}  # part name ("" for the main listener) -> bound address
        self._handlers: dict[str, Handler] = {}
        self._ready: dict[str, asyncio.Event] = {p.name: asyncio.Event() for p in self.parts if p.path}
        self._runners: list[web.AppRunner] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Listen on every address; raises ``ValueError`` for settings that cannot work and
        ``OSError`` when an address is taken."""
        found = problems(self.app.settings)
        if found:
            raise ValueError("; ".join(found))
        main = (self.app.settings.http_host, self.app.settings.http_port)
        try:
            for (host, port), group in listeners(self.app.settings).items():
                runner = web.AppRunner(self._application(group), access_log=None, handle_signals=False)
                await runner.setup()
                self._runners.append(runner)
                await web.TCPSite(runner, host, port).start()
                bound = runner.addresses[0][:2]
                for name in ([""] if (host, port) == main else []) + [p.name for p in group]:
                    self.addresses[name] = bound
                log.info("web server on %s:%s: %s", bound[0], bound[1],
                         ", ".join([self.health_path, *(p.path or "/staff/" for p in group)]))
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        for runner in reversed(self._runners):
            await runner.cleanup()
        self._runners.clear()

    def port(self, name: str = "") -> int:
        """The port a part (or the main listener) is served on (tests listen on port 0)."""
        return self.addresses[name][1]

    # ------------------------------------------------------------------ webhooks
    def serve(self, name: str, handler: Handler) -> None:
        """The channel ``name`` is ready: its webhook requests go to ``handler`` from now on."""
        if name not in self._ready:
            raise LookupError(f"no webhook of {name!r} in this deployment's settings")
        self._handlers[name] = handler
        self._ready[name].set()

    def withdraw(self, name: str, handler: Handler) -> None:
        """The channel stopped: its requests wait for the next ``serve`` (a restart)."""
        if self._handlers.get(name) is handler:
            del self._handlers[name]
            self._ready[name] = asyncio.Event()

    def _webhook(self, name: str) -> Handler:
        async def receive(request: web.Request) -> web.StreamResponse:
            handler = self._handlers.get(name)
            if handler is None:
                try:
                    await asyncio.wait_for(self._ready[name].wait(), self.channel_wait)
                except TimeoutError:
                    pass
                handler = self._handlers.get(name)
                if handler is None:  # the messenger delivers it again later
                    return web.Response(status=503, text="the channel is not connected")
            return await handler(request)

        return receive

    # ------------------------------------------------------------------ health
    async def _health(self, _: web.Request) -> web.Response:
        app = self.app
        database = True
        try:
            async with asyncio.timeout(5):
                await app.services.db.ping()
        except Exception as exc:
            log.warning("health check: database unavailable: %s", type(exc).__name__)
            database = False
        channels: dict[str, dict[str, Any]] = {}
        for name in sorted(app.configured | set(app.channels)):
            channel = app.channels.get(name)
            channels[name] = {"configured": name in app.configured,
                              **(channel.health() if channel is not None else {"connected": False})}
        body = {"status": "ok" if database else "database unavailable", "database": "ok" if database else "unavailable",
                "channels": channels}
        return web.json_response(body, status=200 if database else 503)

    def _application(self, group: list[Part]) -> web.Application:
        root = web.Application()
        root.router.add_get(self.health_path, self._health)
        for part in group:
            if part.path is not None:
                root.router.add_post(part.path, self._webhook(part.name))
            else:
                from bot.web import mount_staff  # Jinja2 and the workspace only where it is served

                mount_staff(root, self.app)
        return root


@asynccontextmanager
async def serving(app: App, **options: Any) -> AsyncIterator[WebServer]:
    """The web server of ``app`` (``app.web``) while the block runs."""
    server = WebServer(app, **options)
    await server.start()
    app.web = server
    try:
        yield server
    finally:
        app.web = None
        await server.close()

"""The workspace as an aiohttp sub-application under ``/staff/``: mounted on the bot's own web
server (``bot.web_server``, ``consult-bot run`` with WEB_BASE_URL), or served alone on a port
(``consult-bot demo``, tests)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.channels.base import FileUnavailable
from bot.channels.registry import configured_channels
from bot.web import auth, health, reports, requests_pages, visits_page
from bot.web.context import WORKSPACE, ChannelState, ChannelStates, FetchedFile, FileFetcher, Workspace
from bot.web.security import secure_headers, session
from handlers import texts
from handlers.models import Attachment

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
PREFIX = "/staff/"


def app_channel_states(app: App) -> ChannelStates:
    """Until the application reports real states: a channel is connected while it is running,
    and one with credentials that is not running is not."""
    async def states() -> list[ChannelState]:
        configured = set(configured_channels(app.settings)) - {"email"}  # mail is sent, not a messenger
        names = sorted(set(app.channels) | configured)
        return [ChannelState(texts.CHANNEL_NAMES.get(n, n), n in app.channels) for n in names]

    return states


def app_files(app: App) -> FileFetcher:
    """A stored file, fetched from the channel it came through (``Channel.fetch``), if that channel
    runs here and still gives it (up to FILE_MAX_MB)."""
    async def fetch(attachment: Attachment) -> FetchedFile | None:
        channel = app.channels.get(attachment.channel or "")
        if channel is None:
            return None
        try:
            doc = await channel.fetch(attachment, app.settings.file_max_mb * 1024 * 1024)
        except FileUnavailable as exc:
            log.warning("a %s file for the web workspace not fetched: %s", attachment.channel, exc)
            return None
        return FetchedFile(doc.content, doc.mime)

    return fetch


def build_staff_app(app: App, *, channel_states: ChannelStates | None = None, fetch_file: FileFetcher | None = None,
                    base_url: str | None = None, secure_cookie: bool | None = None) -> web.Application:
    """The workspace, to be mounted at ``/staff/``. ``base_url`` is its public address without
    /staff/ (WEB_BASE_URL); the cookie is Secure when it is https, unless ``secure_cookie`` says."""
    base_url = base_url or app.services.web_base_url or app.settings.web_base_url
    if secure_cookie is None:
        secure_cookie = app.settings.web_cookie_secure
    if secure_cookie is None:
        secure_cookie = bool(base_url and base_url.startswith("https://"))
    sub = web.Application(middlewares=[session])
    sub[WORKSPACE] = Workspace(app.services, channel_states or app_channel_states(app), fetch_file or app_files(app),
                               secure_cookie, base_url)
    sub.on_response_prepare.append(secure_headers)
    for module in (auth, requests_pages, visits_page, reports, health):
        sub.add_routes(module.routes)
    sub.router.add_static("/static/", STATIC)
    return sub


def mount_staff(root: web.Application, app: App, **options: object) -> web.Application:
    """Mount the workspace at /staff/ of ``root`` (the bot's web server); returns it."""
    sub = build_staff_app(app, **options)  # type: ignore[arg-type]
    root.add_subapp(PREFIX, sub)

    async def slash(_: web.Request) -> web.Response:
        return web.Response(status=308, headers={"Location": PREFIX})

    root.router.add_get(PREFIX.rstrip("/"), slash)
    return sub


async def serve_staff(app: App, host: str, port: int, **options: object) -> web.AppRunner:
    """Serve the workspace alone on ``host:port``; ``await runner.cleanup()`` stops it. No access
    log: a sign-in link's secret is in its path."""
    root = web.Application()
    mount_staff(root, app, **options)
    runner = web.AppRunner(root, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner

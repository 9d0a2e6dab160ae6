"""Updates pushed by MAX to the bot's HTTPS endpoint (``POST /subscriptions``).

MAX POSTs each ``Update`` with the subscription's secret in the ``X-Max-Bot-Api-Secret`` header and
counts anything but a 200 within 30 s as a failed delivery, tried again after a minute, then after
2.5 times longer each time, for up to 8 hours. The handler checks the secret in constant time (any
other bytes: 401), hands the update over and answers as ``accept`` says: 200 once the update is
safe in the database (the channel says so after its unit of work committed, a few milliseconds),
503 if that took too long (MAX delivers it again; if it did commit meanwhile, its id tells the
repeat). While a subscription exists long polling gives nothing: polling mode removes them.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from bot.channels.max.api import MaxApi
from bot.channels.max.types import Update
from bot.web_server import secret_matches

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Max-Bot-Api-Secret"
# What the bot reads; everything else is not sent to it.
UPDATE_TYPES = ("message_created", "message_callback", "bot_started", "bot_stopped", "bot_added", "bot_removed",
                "dialog_removed")


SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{5,256}")


def valid_secret(secret: str) -> bool:
    """What MAX accepts as a subscription secret (check-config says so before MAX refuses it)."""
    return SECRET_PATTERN.fullmatch(secret) is not None


def derive_secret(token: str) -> str:
    """A secret from the token when none is configured: the same on every instance, 64 of the
    characters MAX allows (``[a-zA-Z0-9_-]{5,256}``), and not the token itself."""
    return hashlib.sha256(f"consult-bot max webhook {token}".encode()).hexdigest()


def handler(secret: str, accept: Callable[[Update], Awaitable[bool]]) -> Callable[[web.Request],
                                                                                Awaitable[web.Response]]:
    """An aiohttp handler for the webhook path; ``accept(update)`` is True when MAX may forget it."""

    async def receive(request: web.Request) -> web.Response:
        if not secret_matches(request.headers.get(SECRET_HEADER, ""), secret):
            log.warning("MAX webhook: a request without the right secret from %s", request.remote)
            return web.Response(status=401)
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_type"), str):
            return web.Response(status=400)
        return web.Response(status=200 if await accept(update) else 503)  # type: ignore[arg-type]

    return receive


async def subscribe(api: MaxApi, url: str, secret: str, update_types: Iterable[str] = UPDATE_TYPES) -> list[str]:
    """Subscribe ``url`` (again: the secret may have changed) and drop subscriptions to other
    addresses, which would take the updates meant for this one. Returns the dropped addresses."""
    dropped = [s["url"] for s in await api.subscriptions() if s["url"] != url]
    for old in dropped:
        await api.unsubscribe(old)
    await api.subscribe(url, secret=secret, update_types=update_types)
    return dropped


async def unsubscribe_all(api: MaxApi) -> list[str]:
    """Before long polling: no subscription may remain. Returns the addresses dropped."""
    urls = [s["url"] for s in await api.subscriptions()]
    for url in urls:
        await api.unsubscribe(url)
    return urls

"""Long polling of ``GET /updates`` that resumes after a restart where the answered updates end.

MAX keeps updates for a while and numbers them: each answer carries the ``marker`` of the next
one, and passing a marker tells MAX that everything before it is read (and gone). Without a marker
MAX gives only the newest update, so a bot that forgot its marker loses what was written while it
was down. The marker is therefore saved in the database (table ``channel_positions``, stream
``max:<bot id>``) as soon as every update before it has been answered, like the VK long-poll
position; after a restart polling goes on from the saved marker: an update answered just before a
crash may come once more (its ``key`` tells it apart), none is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.max.api import UPDATES_LIMIT, MaxApi, MaxApiError
from bot.channels.max.events import update_key
from bot.channels.max.types import Update
from bot.channels.position import ReadPosition

log = logging.getLogger(__name__)


def stream_name(bot_id: int) -> str:
    return f"max:{bot_id}"


class Poller:
    """``batch()`` gives the next updates in order; ``answered(update)`` once each is dealt with."""

    def __init__(self, api: MaxApi, position: ReadPosition, *, timeout: int = 25, limit: int = UPDATES_LIMIT,
                 retry_delay: float = 1.0, max_delay: float = 30.0,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self.api = api
        self.position = position
        self.timeout = timeout
        self.limit = limit
        self.retry_delay = retry_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.marker: int | None = None

    async def load(self) -> int | None:
        """The saved marker (None the very first time: MAX then gives its newest update)."""
        saved = await self.position.load()
        self.marker = int(saved) if saved else None
        return self.marker

    async def batch(self) -> list[Update]:
        """The next updates after the marker, waiting up to ``timeout`` s for some. Network and
        server troubles are waited out with growing pauses; a refused token is raised."""
        delay = self.retry_delay
        while True:
            try:
                answer = await self.api.get_updates(self.marker, limit=self.limit, timeout=self.timeout)
                break
            except MaxApiError as exc:
                if not exc.transient:
                    raise
                log.warning("MAX long poll: %s %s, again in %.0f s", exc.status, exc.code, delay)
                await self.sleep(exc.retry_after or delay)
                delay = min(delay * 2, self.max_delay)
        updates = answer.get("updates") or []
        marker = answer.get("marker")
        if marker is not None:
            self.position.received(str(marker), [update_key(u) for u in updates])
            self.marker = marker
        return updates

    def answered(self, update: Update) -> None:
        """The update was answered, ignored or found to be a repeat: the marker may pass it."""
        self.position.answered(update_key(update))

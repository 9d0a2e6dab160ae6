"""Where a channel that polls (VK's long-poll ``ts``, MAX's ``marker``) may resume after a restart.

Updates of a batch are answered concurrently (each chat in order, chats in parallel), so the safe
position is the one after the newest batch that is answered completely, together with every batch
before it. It is saved in the database as it moves (one write at a time, the newest
value), and once more when the channel stops."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime

from storage.db import Database
from storage.positions import load_position, save_position

log = logging.getLogger(__name__)


class ReadPosition:
    def __init__(self, db: Database, stream: str, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.stream = stream
        self.clock = clock
        self.safe: str | None = None  # where a restart may begin
        self._batches: deque[tuple[str, set[str]]] = deque()  # (ts after it, updates not answered yet)
        self._saved: str | None = None
        self._moved = asyncio.Event()

    async def load(self) -> str | None:
        self.safe = self._saved = await load_position(self.db, self.stream)
        return self.safe

    def received(self, ts: str, idents: Iterable[str]) -> None:
        self._batches.append((ts, set(idents)))
        self._advance()

    def answered(self, ident: str) -> None:
        """An update was answered, ignored, or found to be a repeat of one already taken."""
        for _, waiting in self._batches:
            waiting.discard(ident)
        self._advance()

    def _advance(self) -> None:
        while self._batches and not self._batches[0][1]:
            self.safe = self._batches.popleft()[0]
            self._moved.set()

    async def keep_saving(self) -> None:
        """Runs with the channel: writes the position whenever it moved."""
        while True:
            await self._moved.wait()
            self._moved.clear()
            await self.save()

    async def save(self) -> None:
        position = self.safe
        if position is None or position == self._saved:
            return
        try:
            await save_position(self.db, self.stream, position, self.clock())
            self._saved = position
        except Exception as exc:  # the database is away: the next move (or the stop) tries again
            log.warning("%s: read position %s not saved: %s", self.stream, position, type(exc).__name__)

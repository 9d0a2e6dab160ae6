"""Everything flows may use besides the event: content, storage, clock, understanding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.config import Directory, SurveyFile
    from bot.settings import Settings
    from bot.worktime import WorkCalendar
    from handlers.models import Event
    from handlers.understanding import Understanding
    from storage.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


class KeyedLocks:
    """One asyncio lock per person, dropped when nobody waits (memory stays flat)."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


@dataclass
class Services:
    settings: Settings
    directory: Directory
    surveys: SurveyFile
    calendar: WorkCalendar
    db: Database
    understanding: Understanding
    clock: Callable[[], datetime] = utc_now
    locks: KeyedLocks = field(default_factory=KeyedLocks)
    # Filled by the application: which (channel, chat id) pairs are staff chats.
    staff_chats: dict[tuple[str, str], str] = field(default_factory=dict)  # -> department id
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.directory.hours.timezone)

    def is_staff(self, event: Event) -> bool:
        return ((event.channel, event.chat_id) in self.staff_chats
                or f"{event.channel}:{event.user_id}" in self.settings.admin_ids)

"""What the Telegram adapter remembers about messages it sent, for a better look only:

* which messages show a navigation screen, and to whom — pressing a button there edits the
  message in place instead of adding a new one;
* which chats show the "share my number" keyboard — the next message removes it.

Kept in the process, or in Redis (``REDIS_URL``) when several instances share the webhook, so a
press handled by another instance still edits in place. Forgetting is harmless: a new message is
sent instead of an edit. Entries expire after two days.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)
TTL = 2 * 24 * 3600  # seconds


class ChatMemory(Protocol):
    async def remember_menu(self, chat_id: int | str, message_id: int, user_id: str | None) -> None: ...

    async def menu_owned_by(self, chat_id: int | str, message_id: int, user_id: str | None) -> bool: ...

    async def set_contact_keyboard(self, chat_id: int | str, shown: bool) -> None: ...

    async def contact_keyboard(self, chat_id: int | str) -> bool: ...

    async def close(self) -> None: ...


class LocalChatMemory:
    def __init__(self, size: int = 50_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.size = size
        self.clock = clock
        self._menus: OrderedDict[tuple[str, int], tuple[str, float]] = OrderedDict()
        self._keyboards: OrderedDict[str, float] = OrderedDict()

    def _bound(self, table: OrderedDict) -> None:  # type: ignore[type-arg]
        while len(table) > self.size:
            table.popitem(last=False)

    async def remember_menu(self, chat_id: int | str, message_id: int, user_id: str | None) -> None:
        key = (str(chat_id), message_id)
        self._menus[key] = (user_id or "", self.clock() + TTL)
        self._menus.move_to_end(key)
        self._bound(self._menus)

    async def menu_owned_by(self, chat_id: int | str, message_id: int, user_id: str | None) -> bool:
        entry = self._menus.get((str(chat_id), message_id))
        return entry is not None and entry[1] > self.clock() and entry[0] == (user_id or "")

    async def set_contact_keyboard(self, chat_id: int | str, shown: bool) -> None:
        if shown:
            self._keyboards[str(chat_id)] = self.clock() + TTL
            self._keyboards.move_to_end(str(chat_id))
            self._bound(self._keyboards)
        else:
            self._keyboards.pop(str(chat_id), None)

    async def contact_keyboard(self, chat_id: int | str) -> bool:
        until = self._keyboards.get(str(chat_id))
        return until is not None and until > self.clock()

    async def close(self) -> None:
        self._menus.clear()
        self._keyboards.clear()


class RedisChatMemory:
    """The same in Redis; if Redis fails the adapter just sends new messages (logged once)."""

    def __init__(self, url: str, prefix: str = "consult-bot:tg:") -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2, decode_responses=True)
        self.prefix = prefix
        self._failing = False

    def _failed(self, exc: Exception) -> None:
        if not self._failing:
            log.error("telegram: Redis unavailable for message memory: %s", exc)
        self._failing = True

    async def remember_menu(self, chat_id: int | str, message_id: int, user_id: str | None) -> None:
        try:
            await self.redis.set(f"{self.prefix}menu:{chat_id}:{message_id}", user_id or "", ex=TTL)
            self._failing = False
        except Exception as exc:
            self._failed(exc)

    async def menu_owned_by(self, chat_id: int | str, message_id: int, user_id: str | None) -> bool:
        try:
            owner = await self.redis.get(f"{self.prefix}menu:{chat_id}:{message_id}")
        except Exception as exc:
            self._failed(exc)
            return False
        return owner is not None and owner == (user_id or "")

    async def set_contact_keyboard(self, chat_id: int | str, shown: bool) -> None:
        key = f"{self.prefix}kb:{chat_id}"
        try:
            if shown:
                await self.redis.set(key, "1", ex=TTL)
            else:
                await self.redis.delete(key)
        except Exception as exc:
            self._failed(exc)

    async def contact_keyboard(self, chat_id: int | str) -> bool:
        try:
            return bool(await self.redis.exists(f"{self.prefix}kb:{chat_id}"))
        except Exception as exc:
            self._failed(exc)
            return False

    async def close(self) -> None:
        await self.redis.aclose()


def chat_memory(redis_url: str | None) -> ChatMemory:
    return RedisChatMemory(redis_url) if redis_url else LocalChatMemory()

"""Pacing of bulk sending: messages nobody is waiting for right now (survey invitations, visit
reminders, retries from the outbox — whatever the scheduler delivers) go out at a steady rate
below the messenger's limit instead of in bursts that it refuses.

The scheduler marks its deliveries with ``bulk()``; a channel's pacer (e.g.
``bot.channels.telegram.pacer``) waits only for calls made inside it. Answers in a conversation
are never paced: each follows a person's own message, and the anti-flood bounds those.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_BULK: ContextVar[bool] = ContextVar("consult_bot_bulk", default=False)


@contextmanager
def bulk() -> Iterator[None]:
    """Everything sent inside (in this task and the tasks it starts) is bulk sending."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


def in_bulk() -> bool:
    return _BULK.get()


class Pacer:
    """Slots at most ``rate`` a second overall and one per ``per_chat`` seconds in one chat.

    Each caller reserves the next free slot at once and then sleeps until it, so concurrent callers
    queue up in order without a lock, and a pause (a slow database, a stalled loop) is never
    followed by a catch-up burst: a slot in the past is simply taken now.
    """

    def __init__(self, rate: float, per_chat: float = 1.0, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep, max_chats: int = 10_000) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self.per_chat = per_chat
        self.clock = clock
        self.sleep = sleep
        self.max_chats = max_chats
        self._next = 0.0  # the earliest time of the next slot overall
        self._chat_next: dict[Hashable, float] = {}  # the earliest time of the next slot in a chat

    def reserve(self, chat: Hashable) -> float:
        """Take the next slot for ``chat``; returns the seconds to wait for it (0: now)."""
        now = self.clock()
        at = max(now, self._next, self._chat_next.get(chat, 0.0))
        self._next = at + self.interval
        if len(self._chat_next) >= self.max_chats:  # forget the chats whose pause is over
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        self._chat_next[chat] = at + self.per_chat
        return at - now

    async def wait(self, chat: Hashable) -> None:
        delay = self.reserve(chat)
        if delay > 0:
            await self.sleep(delay)

    def reserve_call(self) -> float:
        """Take the next slot of the overall rate for a call that posts into no chat (an answer to
        a button, an upload); returns the seconds to wait for it."""
        now = self.clock()
        at = max(now, self._next)
        self._next = at + self.interval
        return at - now

    async def wait_call(self) -> None:
        delay = self.reserve_call()
        if delay > 0:
            await self.sleep(delay)

    def hold(self, seconds: float) -> None:
        """The messenger said "too many requests": no slot for anyone before ``seconds`` from now."""
        self._next = max(self._next, self.clock() + seconds)

"""Bounded retries of Bot API calls, as a request middleware of the aiogram session.

429 waits exactly ``retry_after`` seconds (Telegram's own instruction); 5xx answers and network
errors are retried with a growing pause. Everything else (400 bad request, 403 blocked by the
user) is not retried: repeating would give the same answer. ``getUpdates`` is left alone, the
polling loop has its own backoff.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetUpdates, TelegramMethod

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5  # calls in all, the first one included
    delay: float = 1.0  # pause before the first retry after a 5xx or network error, doubled each time
    max_delay: float = 30.0
    max_retry_after: float = 120.0  # a longer 429 pause (a flood ban) is not waited out: the call fails

    def backoff(self, retry: int) -> float:
        return min(self.max_delay, self.delay * 2 ** retry)


class RetryMiddleware(BaseRequestMiddleware):
    def __init__(self, policy: RetryPolicy | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        retry = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if retry + 1 >= self.policy.attempts or exc.retry_after > self.policy.max_retry_after:
                    raise
                delay = float(exc.retry_after)
                reason = f"429, retry after {exc.retry_after} s"
            except TelegramEntityTooLarge:
                raise
            except (TelegramServerError, TelegramNetworkError) as exc:
                if retry + 1 >= self.policy.attempts:
                    raise
                delay = self.policy.backoff(retry)
                reason = f"{type(exc).__name__}: {exc.message}"
            retry += 1
            log.warning("%s failed (%s); retry %d of %d in %.2f s", method.__api_method__, reason, retry,
                        self.policy.attempts - 1, delay)
            await self.sleep(delay)

"""Calls to the VK API through ``vk_api``, off the event loop, within the rate limit, with retries.

``vk_api`` is synchronous and serialises the requests of one ``VkApi`` under a lock, so a small
pool of threads each has its own ``VkApi`` (and requests session). One ``RateLimiter`` shared by
all of them (and by the long-poll thread) keeps every request of the process within
``VK_API_RPS`` in any second as VK counts it, whatever the network delays. Error 6 (too many
requests) is retried after a short pause, 9/29 (flood control, rate limit) after a long one;
901/902 (the person does not accept messages from the community) and captcha 14 are reported at
once, never looped on.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import jconfig
import requests
import vk_api
from vk_api.exceptions import TOO_MANY_RPS_CODE, ApiError, ApiHttpError, Captcha

from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")

API_VERSION = "5.199"  # message_event, client_info and the message object in message_new need >= 5.103
UNREACHABLE_CODES = frozenset({901, 902})
FLOOD_CODES = frozenset({9, 29})
TRANSIENT_CODES = frozenset({1, 10})  # unknown / internal server error: worth another try

SessionFactory = Callable[[], requests.Session]


@dataclass(frozen=True, slots=True)
class VkConfig:
    token: str
    group_id: int
    rps: float = 19.0
    wait: int = 25  # long-poll wait, seconds
    workers: int = 4  # threads calling the API at the same time
    api_timeout: tuple[float, float] = (5.0, 20.0)  # connect, read
    lp_timeout_grace: float = 10.0  # the long-poll read timeout is wait + this
    lp_backoff: tuple[float, float] = (1.0, 60.0)  # first and longest pause after a long-poll failure
    rps_retry: tuple[float, int] = (0.5, 6)  # error 6: first pause, attempts
    flood_retry: tuple[float, int] = (10.0, 2)  # errors 9/29: first pause, attempts
    net_retry: tuple[float, int] = (0.5, 4)  # network errors and 5xx: first pause, attempts
    shutdown_grace: float = 3.0  # after the long-poll wait, how long a stop may take
    drain_timeout: float = 5.0  # how long a stop waits for messages being answered
    file_limit: int = 20 * 1024 * 1024  # largest client file downloaded to pass on (bytes)

    @classmethod
    def from_settings(cls, settings: Settings) -> VkConfig:
        assert settings.vk_token is not None and settings.vk_group_id is not None
        return cls(token=settings.vk_token.get_secret_value(), group_id=settings.vk_group_id,
                   rps=settings.vk_api_rps, wait=settings.vk_wait, file_limit=settings.file_max_mb * 1024 * 1024)


def jittered(base: float, attempt: int, cap: float = 300.0) -> float:
    """Exponential backoff with jitter: between half and all of ``base * 2**attempt``."""
    delay = min(cap, base * 2 ** attempt)
    return delay * (0.5 + random.random() / 2)  # jitter, not security


class RateLimiter:
    """At most ``floor(rps)`` requests reach VK in any window of a second (``window``); thread-safe.

    VK counts a request when it arrives, which is somewhere between the moment we start it and the
    moment its answer is back. So a request holds its slot from its start until ``window`` after
    its answer (or failure): then, whatever the network delays, no ``limit + 1`` requests can
    arrive within one window — at the start of the last of them every other one either was still
    in flight or had finished less than a window before, and they were fewer than ``limit``."""

    def __init__(self, rps: float, window: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = max(1, math.floor(rps * window))
        self.window = max(window, self.limit / rps)
        self.clock = clock
        self._in_flight = 0
        self._finished: deque[float] = deque()  # answer times within the last window, in order
        self._cond = threading.Condition()

    def _busy(self, now: float) -> int:
        while self._finished and self._finished[0] <= now - self.window:
            self._finished.popleft()
        return self._in_flight + len(self._finished)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for one request: waits (this thread) while ``limit`` are taken."""
        with self._cond:
            while self._busy(now := self.clock()) >= self.limit:
                # a finished request frees its slot a window after its answer; one in flight when it ends
                self._cond.wait(self._finished[0] + self.window - now if self._finished else None)
            self._in_flight += 1
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= 1
                self._finished.append(self.clock())
                self._cond.notify_all()


class VkCallError(Exception):
    """A call that failed for good; ``code`` is VK's error code (-1: network)."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: error {code}: {message}")
        self.method = method
        self.code = code


class VkUnreachable(VkCallError):
    """901/902: the person does not accept messages from the community (or blocked it)."""


def with_default_timeout(session: requests.Session, timeout: tuple[float, float]) -> requests.Session:
    """``vk_api`` posts without a timeout; a hung connection must not hold a thread for ever."""
    request = session.request

    @functools.wraps(request)
    def timed(method: str, url: str, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = timeout
        return request(method, url, **kwargs)

    session.request = timed  # type: ignore[method-assign]
    return session


def make_vk(config: VkConfig, session_factory: SessionFactory) -> vk_api.VkApi:
    vk = vk_api.VkApi(token=config.token, api_version=API_VERSION, config=jconfig.MemoryConfig,
                      session=with_default_timeout(session_factory(), config.api_timeout))
    vk.RPS_DELAY = 1.0 / config.rps  # the library's own throttle, per instance, from configuration
    vk.error_handlers.pop(TOO_MANY_RPS_CODE, None)  # its handler retries for ever; we back off and give up
    return vk


class VkCaller:
    """``await caller.call(method, params)``: the API from asyncio, rate limited and retried."""

    def __init__(self, config: VkConfig, session_factory: SessionFactory = requests.Session,
                 limiter: RateLimiter | None = None) -> None:
        self.config = config
        self.session_factory = session_factory
        self.limiter = limiter or RateLimiter(config.rps)
        self._pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="vk-api")
        # callback answers must arrive within a minute even behind a long queue of sends
        self._urgent = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vk-api-urgent")
        # file transfers take seconds: in threads of their own, so that sends never wait behind them
        self._files = ThreadPoolExecutor(max_workers=2, thread_name_prefix="vk-files")
        self._local = threading.local()

    def _vk(self) -> vk_api.VkApi:
        vk = getattr(self._local, "vk", None)
        if vk is None:
            vk = self._local.vk = make_vk(self.config, self.session_factory)
        return vk

    def call_sync(self, method: str, params: dict[str, Any]) -> Any:
        """One request, in the calling thread, holding a slot of the rate limit."""
        with self.limiter.slot():
            return self._vk().method(method, params)

    async def _in_pool(self, fn: Callable[..., T], *args: Any, urgent: bool = False) -> T:
        pool = self._urgent if urgent else self._pool
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    async def call(self, method: str, params: dict[str, Any], *, urgent: bool = False) -> Any:
        """The result of the method; ``urgent`` calls skip the queue of sends (not the rate limit)."""
        tries = {"rps": 0, "flood": 0, "net": 0}

        async def again(kind: str, policy: tuple[float, int], why: object, level: int) -> bool:
            base, attempts = policy
            if tries[kind] + 1 >= attempts:
                return False
            delay = jittered(base, tries[kind])
            tries[kind] += 1
            log.log(level, "VK %s: %s; retrying in %.1f s (%d of %d)", method, why, delay, tries[kind] + 1, attempts)
            await asyncio.sleep(delay)
            return True

        while True:
            try:
                return await self._in_pool(self.call_sync, method, params, urgent=urgent)
            except Captcha as exc:
                log.error("VK %s asked for a captcha (error 14, %s): the request is dropped, not retried; "
                          "check the community's activity and the token", method, exc.get_url())
                raise VkCallError(method, 14, "captcha needed") from exc
            except ApiError as exc:
                code, msg = exc.code, exc.error.get("error_msg", "")
                if code in UNREACHABLE_CODES:
                    raise VkUnreachable(method, code, msg) from exc
                if code == TOO_MANY_RPS_CODE and await again("rps", self.config.rps_retry, "too many requests (6)",
                                                             logging.INFO):
                    continue
                if code in FLOOD_CODES and await again("flood", self.config.flood_retry,
                                                       f"flood control ({code}: {msg})", logging.WARNING):
                    continue
                if code in TRANSIENT_CODES and await again("net", self.config.net_retry, f"error {code}: {msg}",
                                                           logging.WARNING):
                    continue
                raise VkCallError(method, code, msg) from exc
            except (ApiHttpError, requests.RequestException, ValueError) as exc:
                if await again("net", self.config.net_retry, repr(exc), logging.WARNING):
                    continue
                raise VkCallError(method, -1, repr(exc)) from exc

    async def transfer(self, fn: Callable[[requests.Session], T]) -> T:
        """``fn(session)`` in a thread for file transfers (upload servers, file links: not the API,
        so outside its rate limit), with this caller's session and timeouts."""
        return await asyncio.get_running_loop().run_in_executor(self._files, lambda: fn(self._vk().http))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._urgent.shutdown(wait=False, cancel_futures=True)
        self._files.shutdown(wait=False, cancel_futures=True)

"""The community long poll in a worker thread that survives network trouble.

``VkBotLongPoll.listen()`` ends at the first ReadTimeout, ConnectionError or bad JSON. Here each
``check()`` is retried with exponential backoff and jitter, keeping ``ts`` so that events that
arrived meanwhile are still received. ``failed`` answers follow the protocol: 1 — the history
is out of date, continue from the new ``ts`` (events in between may be lost: logged); 2 — the key
expired, fetch a new one and keep ``ts`` (nothing lost); 3 — the information was lost, fetch a
new key and ``ts`` (events may be lost: logged). The raw updates are handed over as they come,
each batch with the ``ts`` that follows it; a worker given the ``ts`` saved by a previous run goes
on from there, so what was written while the bot was down is received too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import requests
import vk_api
from vk_api.bot_longpoll import VkBotLongPoll
from vk_api.exceptions import ApiError, ApiHttpError

from bot.channels.vk.api_pool import TRANSIENT_CODES, RateLimiter, VkConfig, jittered, with_default_timeout

log = logging.getLogger(__name__)

Updates = list[dict[str, Any]]


class LongPollFatal(Exception):
    """The long poll cannot work with this token or community (e.g. error 5, long poll disabled)."""


class _LongPoll(VkBotLongPoll):
    """VkBotLongPoll that logs what the protocol's ``failed`` codes cost and returns raw updates."""

    __slots__ = ("grace", "limiter")

    def __init__(self, vk: vk_api.VkApi, group_id: int, wait: int, grace: float,
                 session: requests.Session, limiter: RateLimiter) -> None:
        self.grace = grace
        self.limiter = limiter
        super().__init__(vk, group_id, wait)  # fetches the server: groups.getLongPollServer
        self.session = session

    def update_longpoll_server(self, update_ts: bool = True) -> None:
        with self.limiter.slot():  # groups.getLongPollServer counts against the API rate limit too
            super().update_longpoll_server(update_ts)

    def check(self) -> Updates:  # type: ignore[override]
        response = self.session.get(self.url, params={"act": "a_check", "key": self.key, "ts": self.ts,
                                                      "wait": self.wait}, timeout=self.wait + self.grace).json()
        if not isinstance(response, dict):
            raise ValueError(f"long poll answered {response!r}")
        failed = response.get("failed")
        if failed is None:
            self.ts = response["ts"]
            return list(response.get("updates") or [])
        if failed == 1:
            log.warning("VK long poll: event history is out of date (failed=1); continuing from ts %s -> %s, "
                        "events in between may be lost", self.ts, response.get("ts"))
            self.ts = response["ts"]
        elif failed == 2:
            log.info("VK long poll: key expired (failed=2); fetching a new key, keeping ts %s", self.ts)
            self.update_longpoll_server(update_ts=False)
        elif failed == 3:
            old = self.ts
            self.update_longpoll_server()
            log.warning("VK long poll: information lost (failed=3); new key and ts %s -> %s, "
                        "events in between may be lost", old, self.ts)
        else:
            raise ValueError(f"long poll answered failed={failed!r}")
        return []


class LongPollWorker:
    """Runs the long poll in a daemon thread until ``stop()``; every batch goes to ``on_updates``.

    ``on_updates(updates, ts)`` is called in the worker thread and must only hand the updates over
    (the channel uses ``loop.call_soon_threadsafe``); ``ts`` is where a later run may resume after
    them (``resume_from``). A fatal error goes to ``on_fatal`` and ends the thread."""

    def __init__(self, config: VkConfig, vk: vk_api.VkApi, limiter: RateLimiter,
                 session_factory: Callable[[], requests.Session], on_updates: Callable[[Updates, str], None],
                 on_fatal: Callable[[BaseException], None], resume_from: str | None = None) -> None:
        self.resume_from = resume_from
        self.config = config
        self.vk = vk
        self.limiter = limiter
        self.session_factory = session_factory
        self.on_updates = on_updates
        self.on_fatal = on_fatal
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="vk-longpoll", daemon=True)
        self.checks = 0  # completed requests, for health checks and tests

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _connect(self) -> _LongPoll:
        session = with_default_timeout(self.session_factory(), self.config.api_timeout)
        return _LongPoll(self.vk, self.config.group_id, self.config.wait, self.config.lp_timeout_grace, session,
                         self.limiter)

    def _run(self) -> None:
        base, cap = self.config.lp_backoff
        poll: _LongPoll | None = None
        failures = 0
        while not self._stop.is_set():
            try:
                if poll is None:
                    poll = self._connect()
                    log.info("VK long poll connected (group %s, ts %s)", self.config.group_id, poll.ts)
                    if self.resume_from is not None:
                        # A new key, the old place: VK gives what came since (or failed=1 if that
                        # is no longer kept, and the loss is logged).
                        log.info("VK long poll resumes from ts %s", self.resume_from)
                        poll.ts = self.resume_from
                updates = poll.check()
                self.checks += 1
                failures = 0
                if updates and not self._stop.is_set():
                    self.on_updates(updates, str(poll.ts))
            except ApiError as exc:  # only groups.getLongPollServer calls the API here
                if exc.code not in TRANSIENT_CODES and exc.code != 6:
                    log.error("VK long poll cannot start: %s", exc)
                    self.on_fatal(LongPollFatal(str(exc)))
                    return
                failures = self._pause(failures, base, cap, exc)
            except (ApiHttpError, requests.RequestException, ValueError, KeyError) as exc:
                failures = self._pause(failures, base, cap, exc)
            except BaseException as exc:  # a bug: report it so the channel is restarted, never die silently
                log.exception("VK long poll crashed")
                self.on_fatal(exc)
                return
        log.info("VK long poll stopped")

    def _pause(self, failures: int, base: float, cap: float, exc: BaseException) -> int:
        delay = jittered(base, failures, cap)
        level = logging.WARNING if failures < 3 else logging.ERROR
        log.log(level, "VK long poll request failed (%s); retrying in %.2f s", exc.__class__.__name__ + f": {exc}",
                delay)
        self._stop.wait(delay)
        return failures + 1

"""Calls to the VK API: the rate limit holds in every second, errors are retried or reported, never looped."""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import AsyncIterator

import pytest

from bot.channels.vk.api_pool import RateLimiter, VkCaller, VkCallError, VkUnreachable, jittered
from tests.fake_vk_api import FakeVk
from tests.vk_harness import fast_config

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most events in any half-open window [t, t + window)."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - window:
            j += 1
        best = max(best, i - j + 1)
    return best


def test_limiter_bounds_what_the_server_sees_whatever_the_delays() -> None:
    """Requests that take random time: wherever between start and answer the server counts one,
    no window ever holds more than the limit."""
    limiter = RateLimiter(50, window=0.1)  # 5 per 0.1 s: the same rule as 20 per second, faster
    assert (limiter.limit, limiter.window) == (5, 0.1)
    rng = random.Random(7)
    log: list[tuple[float, float, float]] = []
    lock = threading.Lock()

    def request() -> None:
        with limiter.slot():
            start = time.monotonic()
            time.sleep(rng.uniform(0, 0.03))  # the network and VK
            end = time.monotonic()
        with lock:
            log.append((start, rng.uniform(start, end), end))

    began = time.monotonic()
    threads = [threading.Thread(target=lambda: [request() for _ in range(8)]) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    took = time.monotonic() - began
    assert len(log) == 40
    for column in range(3):  # arrival at the start, anywhere, at the very end
        assert max_in_window([entry[column] for entry in log], 0.1) <= 5
    assert took < 3.0  # and the requests still flow: about 40 / 5 windows of 0.1 s plus the delays


def test_limiter_with_a_fractional_rate_and_a_quiet_start() -> None:
    slow = RateLimiter(0.5)
    assert (slow.limit, slow.window) == (1, 2.0)
    assert RateLimiter(19.5).limit == 19
    limiter = RateLimiter(20)
    started = time.monotonic()
    for _ in range(20):
        with limiter.slot():
            pass
    assert time.monotonic() - started < 0.1  # a burst up to the limit goes at once


def test_backoff_grows_with_jitter() -> None:
    for attempt in range(6):
        delays = {jittered(1.0, attempt, cap=10) for _ in range(50)}
        expected = min(10, 2 ** attempt)
        assert all(expected / 2 <= d <= expected for d in delays)
        assert len(delays) > 1  # jitter: clients do not retry in lockstep


@pytest.fixture
async def caller(fake_vk: FakeVk) -> AsyncIterator[VkCaller]:
    c = VkCaller(fast_config(fake_vk), fake_vk.session)
    yield c
    c.close()


def _send(peer: int = 10, random_id: int = 42) -> dict:
    return {"peer_id": peer, "random_id": random_id, "message": "Здравствуйте"}


async def test_error_6_is_retried_after_a_pause(caller: VkCaller, fake_vk: FakeVk) -> None:
    fake_vk.fail_next("messages.send", 6, times=3)
    assert await caller.call("messages.send", _send()) > 0
    assert len(fake_vk.calls_of("messages.send")) == 4
    assert [m.text for m in fake_vk.sent_to(10)] == ["Здравствуйте"]


async def test_error_6_without_end_is_given_up(caller: VkCaller, fake_vk: FakeVk) -> None:
    fake_vk.fail_next("messages.send", 6, times=20)
    with pytest.raises(VkCallError) as err:
        await caller.call("messages.send", _send())
    assert err.value.code == 6
    assert len(fake_vk.calls_of("messages.send")) == 6  # the configured attempts, not for ever


async def test_flood_control_backs_off_longer_and_is_logged(caller: VkCaller, fake_vk: FakeVk,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "bot.channels.vk.api_pool")
    fake_vk.fail_next("messages.send", 9)
    assert await caller.call("messages.send", _send())
    calls = fake_vk.calls_of("messages.send")
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 0.05 / 2  # flood pause (base 0.05 s in tests)
    assert "flood control (9" in caplog.text and "WARNING" in caplog.text

    fake_vk.fail_next("messages.send", 29, times=2)
    with pytest.raises(VkCallError) as err:
        await caller.call("messages.send", _send(random_id=43))
    assert err.value.code == 29


async def test_captcha_is_logged_and_not_looped(caller: VkCaller, fake_vk: FakeVk,
                                                caplog: pytest.LogCaptureFixture) -> None:
    fake_vk.fail_next("messages.send", 14, times=100)
    with pytest.raises(VkCallError) as err:
        await caller.call("messages.send", _send())
    assert err.value.code == 14
    assert len(fake_vk.calls_of("messages.send")) == 1
    assert "captcha (error 14" in caplog.text and "captcha.php?sid=123" in caplog.text


@pytest.mark.parametrize("code", [901, 902])
async def test_person_not_accepting_messages_is_reported_at_once(caller: VkCaller, fake_vk: FakeVk,
                                                                 code: int) -> None:
    fake_vk.forbidden[10] = code
    with pytest.raises(VkUnreachable) as err:
        await caller.call("messages.send", _send())
    assert err.value.code == code
    assert len(fake_vk.calls_of("messages.send")) == 1


async def test_lost_answer_is_retried_and_vk_drops_the_duplicate(caller: VkCaller, fake_vk: FakeVk) -> None:
    fake_vk.drop_after_send = 1  # the message is stored, but the answer never reaches the bot
    assert await caller.call("messages.send", _send())
    calls = fake_vk.calls_of("messages.send")
    assert len(calls) == 2 and calls[0].params["random_id"] == calls[1].params["random_id"]
    assert [m.text for m in fake_vk.sent_to(10)] == ["Здравствуйте"]


async def test_other_api_errors_fail_without_retry(caller: VkCaller, fake_vk: FakeVk) -> None:
    fake_vk.fail_next("messages.send", 100)
    with pytest.raises(VkCallError) as err:
        await caller.call("messages.send", _send())
    assert err.value.code == 100 and len(fake_vk.calls_of("messages.send")) == 1


async def test_calls_run_off_the_event_loop(caller: VkCaller, fake_vk: FakeVk) -> None:
    """While VK is slow to answer, the loop keeps running (Telegram in the same process)."""
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    fake_vk.fail_next("messages.send", 6, times=5)  # five pauses inside the call
    await caller.call("messages.send", _send())
    task.cancel()
    assert ticks >= 3


async def test_callback_answers_skip_the_queue_of_sends(fake_vk: FakeVk) -> None:
    """VK shows a spinner until the answer, and only waits a minute: a backlog must not delay it."""
    caller = VkCaller(fast_config(fake_vk, rps=20), fake_vk.session)
    try:
        backlog = [asyncio.create_task(caller.call("messages.send", _send(random_id=n + 1))) for n in range(80)]
        await asyncio.sleep(0.2)  # about four seconds of sends are queued
        started = time.monotonic()
        await caller.call("messages.sendMessageEventAnswer", {"event_id": "e1", "user_id": 10, "peer_id": 10},
                          urgent=True)
        assert time.monotonic() - started < 2.5  # a free slot within about a second, not after the queue
        assert len(fake_vk.sent) < 70  # the queue of 80 sends needs four seconds
    finally:
        caller.close()
        for task in backlog:
            task.cancel()
        await asyncio.gather(*backlog, return_exceptions=True)

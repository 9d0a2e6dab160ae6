"""The long-poll thread survives what VK and the network do, losing only what the protocol allows."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator

import pytest

from bot.channels.vk.api_pool import RateLimiter, VkConfig, make_vk
from bot.channels.vk.longpoll import LongPollFatal, LongPollWorker
from tests.fake_vk_api import FakeVk
from tests.vk_harness import fast_config, wait_until

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot


class Receiver:
    """A long-poll worker against the fake, collecting the texts of the messages it receives."""

    def __init__(self, fake: FakeVk, config: VkConfig) -> None:
        self.fake = fake
        self.loop = asyncio.get_running_loop()
        self.texts: list[str] = []
        self.fatal: list[BaseException] = []
        self.worker = LongPollWorker(config, make_vk(config, fake.session), RateLimiter(config.rps), fake.session,
                                     self._updates, self.fatal.append)

    def _updates(self, updates: list[dict], ts: str) -> None:
        texts = [u["object"]["message"]["text"] for u in updates if u["type"] == "message_new"]
        self.loop.call_soon_threadsafe(self.texts.extend, texts)

    async def got(self, text: str) -> None:
        await wait_until(lambda: text in self.texts, 5, f"{text!r} to arrive")

    async def stop(self) -> float:
        started = time.monotonic()
        self.worker.stop()
        await wait_until(lambda: not self.worker.thread.is_alive(), 10, "the long poll to stop")
        return time.monotonic() - started


@pytest.fixture
async def receiver(fake_vk: FakeVk) -> AsyncIterator[Receiver]:
    r = Receiver(fake_vk, fast_config(fake_vk, wait=1, lp_timeout_grace=0.3))
    r.worker.start()
    await wait_until(lambda: bool(fake_vk.lp_requests), what="the first long-poll request")
    yield r
    fake_vk.inject(("stall", 0))
    await r.stop()


@pytest.mark.parametrize("fault", ["drop", "broken", {"failed": 2}])
async def test_a_message_arriving_during_a_failure_is_still_received(receiver: Receiver, fake_vk: FakeVk,
                                                                     fault: object) -> None:
    fake_vk.push_message(5, "первое")
    await receiver.got("первое")
    fake_vk.inject(fault)
    fake_vk.push_message(5, "во время сбоя")
    await receiver.got("во время сбоя")
    fake_vk.push_message(5, "после")
    await receiver.got("после")
    assert receiver.texts == ["первое", "во время сбоя", "после"]  # each once, in order
    assert not receiver.fatal


async def test_failed_2_fetches_a_new_key_and_keeps_ts(receiver: Receiver, fake_vk: FakeVk) -> None:
    fake_vk.inject({"failed": 2})
    fake_vk.push_message(5, "сообщение")
    await receiver.got("сообщение")
    assert len(fake_vk.calls_of("groups.getLongPollServer")) == 2
    assert fake_vk.lp_requests[-1]["key"] == fake_vk.key


async def test_a_stalled_request_times_out_and_is_repeated_with_the_same_ts(
        receiver: Receiver, fake_vk: FakeVk, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "bot.channels.vk.longpoll")
    fake_vk.inject(("stall", 2.0))  # longer than wait (1 s) + grace (0.3 s): the client gives up
    await wait_until(lambda: "ReadTimeout" in caplog.text, 5, "a read timeout")
    fake_vk.push_message(5, "после тайм-аута")
    await receiver.got("после тайм-аута")
    assert receiver.texts == ["после тайм-аута"]


@pytest.mark.parametrize("fault", [{"failed": 1}, {"failed": 3}])
async def test_failed_1_and_3_lose_only_what_was_pending_and_say_so(
        receiver: Receiver, fake_vk: FakeVk, caplog: pytest.LogCaptureFixture, fault: dict) -> None:
    caplog.set_level(logging.WARNING, "bot.channels.vk.longpoll")
    fake_vk.push_message(5, "до")
    await receiver.got("до")
    fake_vk.inject(fault)
    fake_vk.push_message(5, "потерянное")  # VK says the history is gone: the protocol allows losing it
    await wait_until(lambda: "may be lost" in caplog.text, 5, "the warning")
    fake_vk.push_message(5, "после")
    await receiver.got("после")
    assert receiver.texts == ["до", "после"]
    assert f"failed={fault['failed']}" in caplog.text
    if fault["failed"] == 3:
        assert len(fake_vk.calls_of("groups.getLongPollServer")) == 2


async def test_repeated_failures_back_off_growing(receiver: Receiver, fake_vk: FakeVk,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "bot.channels.vk.longpoll")
    start, began = len(fake_vk.lp_requests), time.monotonic()
    for _ in range(4):
        fake_vk.inject("drop")
    fake_vk.push_message(5, "дождался")
    await receiver.got("дождался")
    delays = [float(d) for d in re.findall(r"retrying in ([0-9.]+) s", caplog.text)]
    # base 0.02 s doubling, with jitter between half and all of it (logged rounded to 0.01 s)
    assert len(delays) == 4
    for attempt, delay in enumerate(delays):
        assert 0.01 * 2 ** attempt - 0.005 <= delay <= 0.02 * 2 ** attempt + 0.005
    fifth = float(fake_vk.lp_requests[start + 3]["_at"])  # the request after the fourth pause
    assert fifth - began >= sum(delays) - 0.03  # the pauses were really waited


async def test_stop_ends_the_thread_within_wait_and_a_few_seconds(fake_vk: FakeVk) -> None:
    r = Receiver(fake_vk, fast_config(fake_vk, wait=1, lp_timeout_grace=0.5))
    r.worker.start()
    await wait_until(lambda: bool(fake_vk.lp_requests), what="the long poll")
    took = await r.stop()  # nobody writes: the request in flight returns after `wait`
    assert took <= 1 + 1.5


async def test_invalid_token_is_fatal_not_retried_for_ever(fake_vk: FakeVk) -> None:
    r = Receiver(fake_vk, fast_config(fake_vk, token="wrong"))
    r.worker.start()
    await wait_until(lambda: bool(r.fatal), what="the fatal error")
    assert isinstance(r.fatal[0], LongPollFatal) and "authorization failed" in str(r.fatal[0])
    await wait_until(lambda: not r.worker.thread.is_alive(), what="the thread to end")
    assert len(fake_vk.calls_of("groups.getLongPollServer")) == 1


async def test_temporary_api_error_while_connecting_is_retried(fake_vk: FakeVk) -> None:
    fake_vk.fail_next("groups.getLongPollServer", 10, times=2)  # internal server error
    r = Receiver(fake_vk, fast_config(fake_vk))
    r.worker.start()
    await wait_until(lambda: bool(fake_vk.lp_requests), what="the long poll")
    fake_vk.push_message(5, "привет")
    await r.got("привет")
    assert len(fake_vk.calls_of("groups.getLongPollServer")) == 3 and not r.fatal
    fake_vk.inject(("stall", 0))
    await r.stop()

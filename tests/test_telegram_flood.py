"""Anti-flood buckets and the message memory, in the process and shared through Redis by instances."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.channels.antiflood import MemoryFloodGuard, RedisFloodGuard, Verdict
from bot.channels.telegram.memory import LocalChatMemory, RedisChatMemory
from handlers import texts
from tests.telegram_harness import TelegramHarness

REDIS_URL = os.environ.get("CONSULT_TEST_REDIS", "redis://127.0.0.1:6379/15")
P, W, D = Verdict.PASS, Verdict.WARN, Verdict.DROP


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_token_bucket_warns_once_and_refills() -> None:
    clock = Clock()
    guard = MemoryFloodGuard(rate=1.0, burst=3, clock=clock)
    assert [await guard.check("a") for _ in range(6)] == [P, P, P, W, D, D]
    assert await guard.check("b") == P  # somebody else is not affected
    clock.now += 1.0
    # still the same flood: one token back, no second warning (it would be a flood of our own)
    assert [await guard.check("a") for _ in range(3)] == [P, D, D]
    clock.now += 60
    # calmed down, the bucket refilled: a new flood is warned about again, never more than the burst
    assert [await guard.check("a") for _ in range(5)] == [P, P, P, W, D]


async def test_memory_stays_bounded() -> None:
    guard = MemoryFloodGuard(rate=1.0, burst=2, clock=Clock(), max_keys=100)
    for i in range(1000):
        await guard.check(str(i))
    assert len(guard) == 100


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        await client.ping()
    except Exception as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    finally:
        await client.aclose()
    yield REDIS_URL


async def test_redis_buckets_are_shared_by_instances(redis_url: str) -> None:
    clock = Clock()
    prefix = f"test-flood:{uuid.uuid4().hex}:"
    one = RedisFloodGuard(redis_url, rate=1.0, burst=3, prefix=prefix, clock=clock)
    two = RedisFloodGuard(redis_url, rate=1.0, burst=3, prefix=prefix, clock=clock)
    try:
        got = [await one.check("telegram:1"), await two.check("telegram:1"), await one.check("telegram:1"),
               await two.check("telegram:1"), await one.check("telegram:1")]
        assert got == [P, P, P, W, D]  # three messages in all, whichever instance took them
        assert await two.check("telegram:2") == P
        clock.now += 2
        assert [await two.check("telegram:1") for _ in range(3)] == [P, P, D]  # same flood: warned once
        clock.now += 10
        assert [await one.check("telegram:1") for _ in range(4)] == [P, P, P, W]  # a new flood
    finally:
        await one.close()
        await two.close()


async def test_redis_down_lets_messages_through() -> None:
    guard = RedisFloodGuard("redis://127.0.0.1:1/0", rate=1.0, burst=1)
    try:
        assert [await guard.check("x") for _ in range(3)] == [P, P, P]
    finally:
        await guard.close()
    memory = RedisChatMemory("redis://127.0.0.1:1/0")
    try:
        await memory.remember_menu(1, 2, "1")
        assert await memory.menu_owned_by(1, 2, "1") is False  # then a new message instead of an edit
    finally:
        await memory.close()


async def test_menu_pressed_on_another_instance_is_edited_in_place(app: App, redis_url: str) -> None:
    prefix = f"test-tg:{uuid.uuid4().hex}:"
    one = TelegramHarness(app, memory=RedisChatMemory(redis_url, prefix=prefix))
    await one.send_text(1001, "/start")
    two = TelegramHarness(app, one.api, memory=RedisChatMemory(redis_url, prefix=prefix))  # the second instance
    await two.press(1001, "Аттестация")
    assert len(one.api.messages_in(1001)) == 2 and "аттестации" in one.api.last(1001).text  # edited in place
    await one.channel.memory.close()
    await two.channel.memory.close()

    # Without shared memory the other instance does not know the menu: a new message, nothing breaks.
    alone = TelegramHarness(app, one.api, memory=LocalChatMemory())
    await alone.press(1001, texts.BTN_MENU)
    assert len(one.api.messages_in(1001)) == 3 and one.api.last(1001).text == texts.MENU

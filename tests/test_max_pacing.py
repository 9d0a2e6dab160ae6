"""MAX takes about 30 requests a second from a bot and 2 new messages a second in one chat; one
answer of ours is often several messages. The client paces itself so that no reply meets a 429."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable

import pytest

from bot.channels.max.api import MaxApi, MaxApiError
from tests.fake_max_api import FakeMax

pytest_plugins = ["tests.max_fixtures"]  # fake_max, max_api, make_api


async def test_ten_messages_to_one_chat_take_five_seconds_and_meet_no_429(fake_max: FakeMax,
                                                                         max_api: MaxApi) -> None:
    chat = fake_max.dialog(7)
    began = time.monotonic()
    await asyncio.gather(*(max_api.send_message({"text": f"Часть {n}"}, chat_id=chat) for n in range(1, 11)))
    took = time.monotonic() - began
    sent = fake_max.sent_to(chat)
    assert [m.text for m in sent] == [f"Часть {n}" for n in range(1, 11)]  # in order
    assert fake_max.refused_429 == 0
    assert 4.5 <= took <= 6.5, took
    gaps = [b.at - a.at for a, b in itertools.pairwise(sent)]
    assert min(gaps) >= 0.45, gaps  # never two in the same half second


async def test_without_pacing_max_refuses_the_third_message_of_a_second(fake_max: FakeMax,
                                                                       make_api: Callable[..., MaxApi]) -> None:
    """The control: the fake does enforce the limit the pacer keeps to."""
    api = make_api(chat_interval=0.0, attempts=1)
    chat = fake_max.dialog(7)
    with pytest.raises(MaxApiError) as refused:
        for n in range(3):
            await api.send_message({"text": str(n)}, chat_id=chat)
    assert refused.value.status == 429
    assert len(fake_max.sent_to(chat)) == 2


async def test_many_chats_at_once_stay_under_thirty_requests_a_second(fake_max: FakeMax, max_api: MaxApi) -> None:
    chats = [fake_max.dialog(100 + n) for n in range(45)]
    began = time.monotonic()
    await asyncio.gather(*(max_api.send_message({"text": "Напоминание о приёме"}, chat_id=c) for c in chats))
    took = time.monotonic() - began
    assert fake_max.refused_429 == 0
    assert len(fake_max.sent) == 45
    assert took >= 44 / 28 - 0.1  # 28 a second by default, a little under MAX's 30


async def test_a_429_makes_every_caller_wait(fake_max: FakeMax, max_api: MaxApi) -> None:
    """MAX says "too many requests" to one call: the others hold back too instead of adding to it."""
    first, second = fake_max.dialog(7), fake_max.dialog(8)
    fake_max.fail("POST", "/messages", 429, retry_after=1.0)
    began = time.monotonic()
    await max_api.send_message({"text": "первый"}, chat_id=first)
    await max_api.send_message({"text": "второй"}, chat_id=second)
    assert time.monotonic() - began >= 1.0
    assert [c.status for c in fake_max.calls_to("POST", "/messages")] == [429, 200, 200]

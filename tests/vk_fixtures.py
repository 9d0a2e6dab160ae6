"""Fixtures of the VK tests: ``fake_vk`` (the fake VK API server) and ``vk_bot`` (the channel
running against it). Test modules load them with ``pytest_plugins = ["tests.vk_fixtures"]``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from tests.fake_vk_api import FakeVk
from tests.vk_harness import GROUP_ID, VkBot, fast_config


@pytest.fixture
async def fake_vk() -> AsyncIterator[FakeVk]:
    """The fake VK API; afterwards, it must have had nothing to refuse of what the bot sent (a test
    that provokes a refusal takes it out of ``refused``) and no answer of its own outside VK's schema."""
    fake = await FakeVk(group_id=GROUP_ID).start()
    yield fake
    await fake.stop()
    assert fake.problems == [], "the fake VK API answered outside VK's schema"
    assert fake.refused == [], "VK would refuse these requests of the bot"


@pytest.fixture
async def vk_bot(app: App, fake_vk: FakeVk) -> AsyncIterator[VkBot]:
    bot = await VkBot(app, fake_vk, fast_config(fake_vk)).start()
    yield bot
    if bot.task is not None and not bot.task.done():
        await bot.close()

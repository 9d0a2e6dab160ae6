"""A VK community bot running against the fake VK API, and people writing to it.

``await user.say("привет")`` sends a message through the fake's long poll and returns what the
person got back (the texts and the buttons of the last keyboard); ``await user.press("Аттестация")``
presses a callback button of the last keyboard the person received.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.app import App
from bot.channels.vk import VkChannel
from bot.channels.vk.api_pool import VkConfig
from tests.fake_vk_api import FakeVk, Sent

GROUP_ID = 77


def fast_config(fake: FakeVk, **overrides: object) -> VkConfig:
    """Production behaviour with short pauses, so that tests never sleep long."""
    values: dict = dict(token=fake.token, group_id=fake.group_id, rps=20, wait=2, lp_timeout_grace=0.5,
                        lp_backoff=(0.02, 0.2), rps_retry=(0.01, 6), flood_retry=(0.05, 2), net_retry=(0.01, 4),
                        shutdown_grace=1.0, drain_timeout=1.0, api_timeout=(2.0, 3.0))
    values.update(overrides)
    return VkConfig(**values)


async def wait_until(condition: Callable[[], bool], limit: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@dataclass
class Seen:
    """What a person got for one action."""

    messages: list[Sent]

    @property
    def text(self) -> str:
        return "\n\n".join(m.text for m in self.messages)

    @property
    def labels(self) -> list[str]:
        with_keyboard = [m for m in self.messages if m.keyboard]
        return with_keyboard[-1].labels() if with_keyboard else []


class VkBot:
    def __init__(self, app: App, fake: FakeVk, config: VkConfig) -> None:
        self.app = app
        self.fake = fake
        self.config = config
        self.stop = asyncio.Event()
        self.channel = VkChannel(app, config, fake.session)
        self.task: asyncio.Task | None = None

    async def start(self) -> VkBot:
        self.task = asyncio.create_task(self.channel.run(self.stop))
        await wait_until(lambda: bool(self.fake.lp_requests) or self.task.done(), what="the long poll")  # type: ignore[union-attr]
        return self

    async def close(self) -> float:
        """Stop the channel; returns how long the stop took."""
        started = time.monotonic()
        self.stop.set()
        self.fake.inject(("stall", 0))  # let a waiting long-poll request return at once
        assert self.task is not None
        await asyncio.wait_for(self.task, self.config.wait + 10)
        return time.monotonic() - started

    async def handled(self, event_id: str, limit: float = 5.0) -> None:
        await wait_until(lambda: event_id in self.channel.handled and self.channel.idle(), limit,
                         f"update {event_id} to be answered")

    def user(self, user_id: int) -> VkUser:
        return VkUser(self, user_id)


class VkUser:
    def __init__(self, bot: VkBot, user_id: int) -> None:
        self.bot = bot
        self.fake = bot.fake
        self.id = user_id

    def received(self) -> list[Sent]:
        return self.fake.sent_to(self.id)

    async def _after(self, push: Callable[[], str]) -> Seen:
        before = len(self.received())
        await self.bot.handled(push())
        return Seen(self.received()[before:])

    async def say(self, text: str, **kwargs: object) -> Seen:
        return await self._after(lambda: self.fake.push_message(self.id, text, **kwargs))  # type: ignore[arg-type]

    def button(self, label: str) -> dict:
        """A button of the last keyboard the person received."""
        with_keyboard = [m for m in self.received() if m.keyboard]
        assert with_keyboard, "no keyboard was sent"
        for action in with_keyboard[-1].buttons():
            if action["label"] == label:
                return action
        raise AssertionError(f"no button {label!r} among {with_keyboard[-1].labels()}")

    async def press(self, label: str) -> Seen:
        action = self.button(label)
        assert action["type"] == "callback", action
        payload = json.loads(action["payload"])
        return await self._after(lambda: self.fake.push_callback(self.id, payload))

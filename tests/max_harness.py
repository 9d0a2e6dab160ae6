"""The MAX channel running as ``consult-bot run`` runs it — ``bot.channels.max.channel.run`` on the
bot's web server (webhook mode) or long polling — against the fake MAX API over real HTTP, and
people writing to it.

    bot = await MaxBot(app, fake_max, "webhook").start()
    anna = bot.person(7)
    seen = await anna.say("привет")            # what Anna saw in answer: new and edited messages
    seen = await anna.press("Аттестация")      # a button of the last message with buttons
    assert "Аттестация" in seen.text

Each action waits until MAX has the update off its hands (a 200 to the webhook, or a marker past
it in the next long poll) and every answer has gone out.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.app import App
from bot.channels.max.api import MaxApi
from bot.channels.max.channel import MaxChannel, run
from bot.settings import Settings
from bot.web_server import WebServer
from tests.fake_max_api import FakeMax, Sent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def max_settings(settings: Settings, fake: FakeMax, mode: str = "webhook", **extra: object) -> Settings:
    """The deployment's settings pointed at the fake: webhook on a local port (MAX allows only https
    on 443; the fake lets loopback http through), long polls of 1 s."""
    values = settings.model_dump()
    port = free_port()
    values.update(max_token=fake.token, max_api_url=fake.base_url, max_mode=mode, http_host="127.0.0.1",
                  http_port=port, max_webhook_url=f"http://127.0.0.1:{port}", max_webhook_secret="test_secret-1",
                  max_polling_timeout=1, flood_burst=1000)  # a journey is many quick steps: no flood here
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def wait_until(condition: Callable[[], bool], limit: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


@dataclass
class Seen:
    """What a person saw for one action: messages sent or edited since, oldest first."""

    messages: list[Sent]

    @property
    def text(self) -> str:
        return "\n\n".join(m.text for m in self.messages)

    @property
    def labels(self) -> list[str]:
        with_buttons = [m for m in self.messages if m.rows]
        return with_buttons[-1].labels if with_buttons else []


class MaxBot:
    def __init__(self, app: App, fake: FakeMax, *, fast: bool = True, **api_options: Any) -> None:
        self.app = app
        self.fake = fake
        self.mode = app.settings.max_mode
        self.stop = asyncio.Event()
        options: dict[str, Any] = {"retry_delay": 0.05, "ready_delays": (0.1, 0.2, 0.4, 0.8)}
        if fast:  # MAX's 2 messages a second in a chat (the fake's too) would make long journeys slow
            fake.chat_rate = fake.updates_rps = 50
            options["chat_interval"] = 0.0
        options.update(api_options)
        self.api = MaxApi(fake.token, fake.base_url, **options)
        self.server: WebServer | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> MaxBot:
        self.server = WebServer(self.app)
        await self.server.start()
        self.app.web = self.server
        self.task = asyncio.create_task(run(self.app, self.stop, api=self.api))
        await wait_until(lambda: (self.channel is not None and self.channel.connected) or self.task.done(),  # type: ignore[union-attr]
                         what="the MAX channel to connect")
        return self

    @property
    def channel(self) -> MaxChannel | None:
        channel = self.app.channels.get("max")
        return channel if isinstance(channel, MaxChannel) else None

    async def close(self) -> None:
        """Stop as on SIGTERM: the channel finishes what it took, then the server closes."""
        self.stop.set()
        if self.task is not None:
            await asyncio.wait_for(self.task, 15)
        if self.server is not None:
            self.app.web = None
            await self.server.close()
        await self.api.close()

    def taken(self, number: int) -> bool:
        """MAX has update ``number`` off its hands: a 200 from the webhook, or a later marker."""
        if self.mode == "webhook":
            return any(n == number and status == 200 for _, n, status in self.fake.deliveries)
        return self.fake.confirmed >= number

    def idle(self) -> bool:
        channel = self.channel
        return channel is not None and not channel._tasks and not channel._inflight

    async def settled(self, number: int | None = None, limit: float = 10.0) -> None:
        number = number if number is not None else len(self.fake.updates)
        await wait_until(lambda: self.taken(number) and self.idle(), limit, f"update {number} to be answered")

    def person(self, user_id: int) -> MaxPerson:
        return MaxPerson(self, user_id)


class MaxPerson:
    def __init__(self, bot: MaxBot, user_id: int) -> None:
        self.bot = bot
        self.fake = bot.fake
        self.id = user_id
        self.chat = self.fake.dialog(user_id)

    def received(self) -> list[Sent]:
        return self.fake.sent_to(self.chat)

    async def _after(self, act: Callable[[], object]) -> Seen:
        before = {m.mid: m.edits for m in self.received()}
        act()
        await self.bot.settled()
        return Seen([m for m in self.received() if m.mid not in before or m.edits != before[m.mid]])

    async def say(self, text: str) -> Seen:
        return await self._after(lambda: self.fake.write(self.id, text))

    async def begin(self, payload: str | None = None) -> Seen:
        return await self._after(lambda: self.fake.begin(self.id, payload))

    async def share_contact(self, phone: str) -> Seen:
        return await self._after(lambda: self.fake.share_contact(self.id, phone))

    async def send_file(self, filename: str, content: bytes, **options: Any) -> Seen:
        return await self._after(lambda: self.fake.send_file(self.id, filename, content, **options))

    def last_with(self, label: str) -> Sent:
        for m in reversed(self.received()):
            if label in m.labels:
                return m
        raise AssertionError(f"no message with a button {label!r}; the last ones: "
                             f"{[(m.text[:60], m.labels) for m in self.received()[-3:]]}")

    async def press(self, label: str) -> Seen:
        """Press a button on the latest message that has it."""
        message = self.last_with(label)
        return await self._after(lambda: self.fake.press_button(self.id, message, label))

    async def press_payload(self, mid: str, payload: str) -> Seen:
        """A press with any payload (a forged one) on the bot's message ``mid``."""
        return await self._after(lambda: self.fake.press(self.id, mid, payload))

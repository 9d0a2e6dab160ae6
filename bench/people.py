"""Synthetic people: each action is one Telegram update (a message, a button press, a shared
contact) fed to aiogram's dispatcher exactly as polling or the webhook would feed it, and timed
from the raw update to the last Bot API call of the answer."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import Update

from bench.common import ScenarioError
from bench.mocked import BOT_USER, RecordingSession, Shown, private_chat

__all__ = ["Driver", "Person", "ScenarioError"]


class Driver:
    """Feeds updates and keeps the time each took (seconds); optionally keeps the raw updates so
    the floor can replay the very same ones."""

    def __init__(self, dispatcher: Dispatcher, bot: Bot, session: RecordingSession, *, record: bool = False) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.session = session
        self.latencies: list[float] = []
        self.recorded: list[dict[str, Any]] | None = [] if record else None
        self.before_feed: list[Callable[[], None]] = []  # run before each update (the anti-flood clock)
        self.after_feed: list[Callable[[float], None]] = []  # run with each update's latency
        self._update_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_query_id(self) -> str:
        return str(4_000_000_000 + next(self._query_ids))

    async def feed(self, update: dict[str, Any]) -> float:
        for hook in self.before_feed:
            hook()
        if self.recorded is not None:
            self.recorded.append(update)
        started = time.perf_counter()
        await self.dispatcher.feed_update(self.bot, Update.model_validate(update, context={"bot": self.bot}))
        took = time.perf_counter() - started
        self.latencies.append(took)
        for hook in self.after_feed:
            hook(took)
        return took

    def reset(self) -> None:
        self.latencies = []
        if self.recorded is not None:
            self.recorded = []


class Person:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, driver: Driver, user_id: int, *, think: float = 0.0) -> None:
        self.driver = driver
        self.think = think  # seconds the person reads and thinks after each answer (real time)
        self.user_id = user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": f"Клиент{user_id}", "language_code": "ru"}
        self.chat = private_chat(user_id)
        self.view = driver.session.view(user_id)
        self.actions = 0

    # ------------------------------------------------------------------ what the person sees
    @property
    def recent(self) -> list[str]:
        """Every text shown in answer to the last action."""
        return self.view.recent

    def saw(self, fragment: str) -> bool:
        return any(fragment in t for t in self.view.recent)

    @property
    def buttons(self) -> Shown | None:
        return self.view.keyboard

    def labels(self) -> list[str]:
        return self.view.keyboard.labels() if self.view.keyboard else []

    # ------------------------------------------------------------------ what the person does
    def _message(self, **content: Any) -> dict[str, Any]:
        msg = {"message_id": next(self.view.ids), "date": int(time.time()), "chat": self.chat, "from": self.user,
               **content}
        return {"update_id": self.driver.next_update_id(), "message": msg}

    async def _feed(self, update: dict[str, Any]) -> float:
        self.view.recent = []
        self.actions += 1
        took = await self.driver.feed(update)
        if self.think:
            await asyncio.sleep(self.think)
        return took

    async def say(self, text: str) -> float:
        extra: dict[str, Any] = {}
        if text.startswith("/"):
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self._feed(self._message(text=text, **extra))

    async def share_contact(self, phone: str) -> float:
        contact = {"phone_number": phone, "first_name": self.user["first_name"], "user_id": self.user_id}
        return await self._feed(self._message(contact=contact))

    async def press(self, label: str) -> float:
        """Press the button ``label`` on the last message with buttons, sending the callback data the
        bot put on it (and the message itself, as Telegram does)."""
        shown = self.view.keyboard
        data = shown.data(label) if shown else None
        if shown is None or data is None:
            raise ScenarioError(f"user {self.user_id}: no button {label!r} in {self.labels()}; "
                                f"last text: {self.view.last_text[:120]!r}")
        message = {"message_id": shown.message_id, "date": int(time.time()), "chat": self.chat, "from": BOT_USER,
                   "text": shown.text, "reply_markup": {"inline_keyboard": shown.rows}}
        query = {"id": self.driver.next_query_id(), "from": self.user, "chat_instance": f"-{self.user_id * 31 + 7}",
                 "data": data, "message": message}
        return await self._feed({"update_id": self.driver.next_update_id(), "callback_query": query})

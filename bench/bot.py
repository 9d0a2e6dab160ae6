"""The bot under test: the real App (settings, content, database, engine) and the real Telegram
adapter (``TelegramChannel``: router, middlewares, anti-flood, rendering) on a recording session;
and the floor — the same kind of dispatcher with handlers that do nothing."""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, Message

from bench.mocked import TOKEN, RecordingSession
from bot.app import App
from bot.channels.antiflood import MemoryFloodGuard
from bot.channels.telegram.channel import BOT_DEFAULTS, TelegramChannel
from bot.channels.telegram.memory import LocalChatMemory
from bot.settings import Settings
from handlers import texts

# A Tuesday, 10:00 in Moscow: an ordinary working day, so the booking offers the usual days.
NOW = datetime(2026, 3, 17, 7, 0, tzinfo=UTC)


def settings_for(url: str, data_dir: Path | None = None, **overrides: object) -> Settings:
    """The deployment's settings (content files from the working directory or the environment), with
    the benchmark's database and no .env file: a real token or Redis must not leak in."""
    data = data_dir or Path(tempfile.mkdtemp(prefix="consult-bench-"))
    values: dict[str, object] = {"database_url": url, "data_dir": data, "redis_url": None, **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


class PacedClock:
    """The anti-flood clock when people act at a human pace: it moves ``step`` seconds per update
    fed, whatever the wall time, so a fast benchmark is not mistaken for a flood."""

    def __init__(self, step: float = 1.0) -> None:
        self.now = 0.0
        self.step = step

    def tick(self) -> None:
        self.now += self.step

    def __call__(self) -> float:
        return self.now


@dataclass
class BotUnderTest:
    app: App
    channel: TelegramChannel
    session: RecordingSession
    bot: Bot

    @property
    def dispatcher(self) -> Dispatcher:
        return self.channel.dispatcher

    async def close(self) -> None:
        await self.channel.close()
        await self.app.close()


async def start_bot(url: str, *, flood_clock: Callable[[], float] | None = None,
                    clock: Callable[[], datetime] = lambda: NOW) -> BotUnderTest:
    """What ``consult-bot run`` builds for Telegram, on a session that never leaves the process.
    The database must be migrated already."""
    settings = settings_for(url)
    app = await App.create(settings, clock=clock, migrate=False)
    session = RecordingSession(flood_text=texts.FLOOD,
                               trouble_texts=(texts.INTERNAL_ERROR, texts.DB_UNAVAILABLE, texts.BUSY))
    bot = Bot(token=TOKEN, session=session, default=BOT_DEFAULTS)
    flood = MemoryFloodGuard(settings.flood_rate, settings.flood_burst,
                             **({"clock": flood_clock} if flood_clock else {}))
    channel = TelegramChannel(app, bot, flood=flood, memory=LocalChatMemory())
    app.add_channel(channel)
    gc.collect()  # as ``consult-bot run`` does after start-up (bot/runner.py)
    gc.freeze()
    return BotUnderTest(app, channel, session, bot)


def floor_dispatcher() -> Dispatcher:
    """The floor: aiogram's dispatcher with one router whose handlers do nothing."""
    router = Router(name="floor")

    async def nothing(event: Message | CallbackQuery) -> None:
        return None

    router.message.register(nothing)
    router.callback_query.register(nothing)
    dp = Dispatcher()
    dp.include_router(router)
    return dp

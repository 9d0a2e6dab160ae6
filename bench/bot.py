"""The bot under test: the real App (settings, content, database, engine) and the real Telegram
adapter (``TelegramChannel``: router, middlewares, anti-flood, rendering) on a recording session;
and the floor — the same kind of dispatcher with handlers that do nothing."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, Message

from bench.common import NOW, PacedClock, settings_for
from bench.mocked import TOKEN, RecordingSession
from bot.app import App
from bot.channels.antiflood import MemoryFloodGuard
from bot.channels.telegram.channel import BOT_DEFAULTS, TelegramChannel
from bot.channels.telegram.memory import LocalChatMemory
from handlers import texts

__all__ = ["NOW", "BotUnderTest", "PacedClock", "floor_dispatcher", "settings_for", "start_bot"]


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

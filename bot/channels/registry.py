"""Every channel the bot has, in one place: its name, whether this deployment has settings for it,
and where its module is. A deployment imports only the channels it has settings for, so a VK-only
or MAX+VK deployment never imports aiogram (its import alone costs 135 MB)."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    import asyncio

    from bot.app import App

ChannelMain = Callable[["App", "asyncio.Event"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    name: str
    entry: str  # "module:function", ``async def function(app, stop)``: the channel until ``stop`` is set
    configured: Callable[[Settings], bool]
    what_to_set: str  # told to an administrator who set none


CHANNELS: tuple[ChannelSpec, ...] = (
    ChannelSpec("telegram", "bot.channels.telegram:run_telegram", lambda s: s.telegram_token is not None,
                "TELEGRAM_TOKEN=<токен бота от @BotFather>"),
    ChannelSpec("vk", "bot.channels.vk:run_vk", lambda s: s.vk_token is not None and s.vk_group_id is not None,
                "VK_TOKEN=<ключ доступа сообщества> и VK_GROUP_ID=<id сообщества>"),
    ChannelSpec("max", "bot.channels.max.channel:run", lambda s: s.max_token is not None,
                "MAX_TOKEN=<токен бота с платформы MAX для партнёров>"),
    ChannelSpec("email", "bot.channels.email:run", lambda s: bool(s.smtp_host),
                "SMTP_HOST=<почтовый сервер> (копии ответов и карточки на почту отдела)"),
)


def configured_channels(settings: Settings) -> list[str]:
    return [spec.name for spec in CHANNELS if spec.configured(settings)]


def channel_main(name: str) -> ChannelMain:
    """The channel's ``run``; its module (and its messenger library) is imported only now."""
    spec = next(s for s in CHANNELS if s.name == name)
    module, _, function = spec.entry.partition(":")
    return getattr(importlib.import_module(module), function)  # type: ignore[no-any-return]

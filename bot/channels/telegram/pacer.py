"""Telegram's limits for bulk sending, as a request middleware of the aiogram session.

Telegram accepts about 30 messages a second from a bot and about one a second in one chat; a bot
over that gets ``429 retry after N`` and loses whole seconds waiting (measured by the benchmark:
a burst-and-wait broadcast reaches ~86% of the limit, with refusals). Inside ``bot.pacing.bulk()``
(the scheduler's deliveries) every message waits for its slot, so a broadcast runs steadily just
under the limit with no refusals. Registered after the retry middleware, so a retried call waits
for a slot too.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import TelegramMethod

from bot.pacing import Pacer, in_bulk

# Methods that post a message into a chat (edits, answers to button presses and "typing…" are not).
MESSAGE_METHODS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendVenue", "sendSticker", "sendVoice",
                             "sendVideo", "sendAnimation", "sendAudio", "sendMediaGroup", "sendLocation",
                             "sendContact", "sendPoll", "copyMessage", "forwardMessage"})


class PacerMiddleware(BaseRequestMiddleware):
    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer

    async def __call__(self, make_request: NextRequestMiddlewareType[Any], bot: Bot,
                       method: TelegramMethod[Any]) -> Any:
        if in_bulk() and method.__api_method__ in MESSAGE_METHODS:
            await self.pacer.wait(getattr(method, "chat_id", None))
        return await make_request(bot, method)

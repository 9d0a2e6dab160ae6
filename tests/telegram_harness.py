"""Driving the Telegram channel in tests without a network: aiogram's dispatcher is fed updates
(``Dispatcher.feed_update``) and the bot's session, instead of HTTP, records every API method
object and answers from the strict fake Bot API model (``tests/fake_telegram_api.py``), so a
request Telegram would refuse fails here too.

    h = TelegramHarness(app)
    await h.send_text(1001, "/start")
    await h.press(1001, "Аттестация")
    assert "+7 (812) 539-46-67" in h.last_text(1001)

Every action moves the anti-flood clock by ``pace`` seconds (a person's pace), so long walks are
not mistaken for a flood; set ``h.pace = 0`` to flood.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import GetFile, TelegramMethod
from aiogram.types import BufferedInputFile, InputFile, Update

from bot.app import App
from bot.channels.antiflood import MemoryFloodGuard
from bot.channels.telegram.channel import BOT_DEFAULTS, TelegramChannel
from bot.channels.telegram.memory import ChatMemory, LocalChatMemory
from bot.channels.telegram.retry import RetryMiddleware, RetryPolicy
from tests.fake_telegram_api import BotAPIError, FakeBotAPI, Sent


class MockedSession(BaseSession):
    """Records each method object; answers with what the fake Bot API model says."""

    def __init__(self, api: FakeBotAPI, before_call: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.api = api
        self.before_call = before_call
        self.calls: list[TelegramMethod[Any]] = []

    def _params(self, bot: Bot, method: TelegramMethod[Any]) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
        """The request as aiogram's HTTP session would encode it (values as strings, files apart)."""
        inputs: dict[str, InputFile] = {}
        params: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=inputs)
            if prepared:
                params[key] = prepared
        files = {}
        for key, f in inputs.items():
            assert isinstance(f, BufferedInputFile), "the harness knows in-memory files only"
            files[key] = (f.filename or key, f.data)
        return params, files

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None  # noqa: ASYNC109
                           ) -> Any:
        self.calls.append(method)
        if self.before_call is not None:
            self.before_call()
        name = method.__api_method__
        params, files = self._params(bot, method)
        failure = self.api.take_failure(name)
        if failure is not None and failure.hang:
            self.api.calls.append((name, params))
            raise TelegramNetworkError(method=method, message="Request timeout error")
        if failure is not None:
            self.api.calls.append((name, params))
            status, body = failure.status, failure.error().body()
        else:
            try:
                status, body = 200, {"ok": True, "result": await self.api.call(name, params, files)}
            except BotAPIError as exc:
                status, body = exc.code, exc.body()
        response = self.check_response(bot=bot, method=method, status_code=status, content=json.dumps(body))
        return response.result

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,  # noqa: ASYNC109
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        """A file's download (``…/file/bot<token>/<path>``) from the fake's files."""
        content = self.api.download(url.split("/file/bot", 1)[1].split("/", 1)[1]) if "/file/bot" in url else None
        if content is None:
            raise TelegramNetworkError(method=GetFile(file_id=""), message="404 Not Found")
        yield content

    async def close(self) -> None:
        return None


class TelegramHarness:
    def __init__(self, app: App, api: FakeBotAPI | None = None, *, pace: float = 2.0,
                 memory: ChatMemory | None = None) -> None:
        self.app = app
        self.api = api or FakeBotAPI()
        self.session = MockedSession(self.api, before_call=self._staff_chats_exist)
        self.sleeps: list[float] = []  # pauses the retry middleware asked for (not slept)
        self.session.middleware(RetryMiddleware(RetryPolicy(attempts=5, delay=0.5), sleep=self._sleep))
        self.bot = Bot(token=self.api.token, session=self.session, default=BOT_DEFAULTS)
        self.pace = pace
        self.now = 0.0  # the anti-flood clock, seconds
        settings = app.settings
        self.channel = TelegramChannel(
            app, self.bot, flood=MemoryFloodGuard(settings.flood_rate, settings.flood_burst, clock=lambda: self.now),
            memory=memory if memory is not None else LocalChatMemory())
        app.add_channel(self.channel)

    def _staff_chats_exist(self) -> None:
        """The staff chats of the settings exist in Telegram (as forums, so topics work)."""
        for channel, chat, _ in self.app.services.staff_chats:
            if channel == "telegram" and re.fullmatch(r"-\d+", chat) and int(chat) not in self.api.chats:
                self.api.add_group(int(chat), "Сотрудники", forum=True)

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    @property
    def calls(self) -> list[TelegramMethod[Any]]:
        """Every Bot API method object the bot called, in order."""
        return self.session.calls

    def calls_of(self, name: str) -> list[TelegramMethod[Any]]:
        return [c for c in self.calls if c.__api_method__ == name]

    async def start(self) -> None:
        """What ``run_telegram`` does first: the command menu."""
        await self.channel.setup_commands()

    # ------------------------------------------------------------------ what people do
    async def feed(self, update: dict[str, Any]) -> None:
        self._staff_chats_exist()
        self.now += self.pace
        await self.channel.dispatcher.feed_update(self.bot, Update.model_validate(update, context={"bot": self.bot}))

    async def send_text(self, user_id: int, text: str) -> None:
        await self.feed(self.api.make_text(user_id, text))

    async def press(self, user_id: int, label: str, *, chat_id: int | None = None,
                    message_id: int | None = None) -> None:
        """Press the inline button ``label`` on the last message with buttons the user got."""
        await self.feed(self.api.make_press(user_id, label, chat_id=chat_id, message_id=message_id))

    async def press_data(self, user_id: int, data: str, *, message_id: int | None = None) -> None:
        """A press with raw callback data (e.g. a button from a long-gone message)."""
        await self.feed(self.api.make_callback(user_id, data, message_id=message_id))

    async def share_contact(self, user_id: int, phone: str, *, own: bool = True) -> None:
        await self.feed(self.api.make_contact(user_id, phone, own=own))

    async def send_sticker(self, user_id: int) -> None:
        await self.feed(self.api.make_sticker(user_id))

    async def send_photo(self, user_id: int, caption: str | None = None, *, chat_id: int | None = None) -> None:
        await self.feed(self.api.make_photo(user_id, caption, chat_id=chat_id))

    async def send_document(self, user_id: int, filename: str, caption: str | None = None, *,
                            chat_id: int | None = None) -> None:
        await self.feed(self.api.make_document(user_id, filename, caption=caption, chat_id=chat_id))

    async def send_voice(self, user_id: int) -> None:
        await self.feed(self.api.make_voice(user_id))

    async def send_to_chat(self, chat_id: int, user_id: int, text: str, reply_to_message_id: int | None = None,
                           thread_id: int | None = None) -> None:
        """A message in a group or staff chat (the chat is created on first use)."""
        if chat_id not in self.api.chats:
            self.api.add_group(chat_id)
        await self.feed(self.api.make_text(user_id, text, chat_id=chat_id, reply_to_message_id=reply_to_message_id,
                                           thread_id=thread_id))

    async def block(self, user_id: int, *, blocked: bool = True) -> None:
        """The user blocks (unblocks) the bot: Telegram sends a my_chat_member update."""
        await self.feed(self.api.make_block(user_id, blocked=blocked))

    # ------------------------------------------------------------------ what people see
    def messages(self, chat_id: int) -> list[str]:
        """Every text the chat was shown, in order: sent messages and new versions of edited ones."""
        return self.api.texts(chat_id)

    def last_text(self, chat_id: int) -> str:
        texts = self.api.texts(chat_id)
        if not texts:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return texts[-1]

    def last_buttons(self, chat_id: int) -> list[str]:
        """Labels on the last message with inline buttons."""
        return self.api.last_with_buttons(chat_id).labels

    def sent(self, chat_id: int) -> list[Sent]:
        """The messages in the chat as they look now (edits applied), oldest first."""
        return self.api.messages_in(chat_id)

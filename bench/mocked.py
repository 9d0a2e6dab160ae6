"""A Bot API session without a network, for the benchmark: every call is encoded the way aiogram's
HTTP session encodes it and answered with what Telegram would return (a message with its id, its
text and its inline keyboard), decoded by aiogram's own response parser. So the bench pays for the
whole client side of a Bot API call except the socket, and can press the buttons the bot sent.
"""

from __future__ import annotations

import html
import itertools
import json
import time
from collections import Counter
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from aiogram.types import InlineKeyboardMarkup, InputFile

BOT_ID = 7000000001
BOT_USER: dict[str, Any] = {"id": BOT_ID, "is_bot": True, "first_name": "Консультационная линия",
                            "username": "consult_bench_bot", "can_join_groups": True,
                            "can_read_all_group_messages": False, "supports_inline_queries": False}
TOKEN = f"{BOT_ID}:BENCH-fake-token_abcdefghijklmnopqrstuv"


@dataclass(slots=True)
class Shown:
    """The last message with inline buttons in a chat, as the person sees it."""

    message_id: int
    text: str
    rows: list[list[dict[str, str]]]

    def labels(self) -> list[str]:
        return [b["text"] for row in self.rows for b in row]

    def data(self, label: str) -> str | None:
        for row in self.rows:
            for b in row:
                if b["text"] == label:
                    return b.get("callback_data")
        return None


@dataclass(slots=True)
class ChatView:
    last_text: str = ""
    recent: list[str] = field(default_factory=list)  # texts shown since the person's last action
    texts: int = 0
    keyboard: Shown | None = None
    flood_notices: int = 0
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


def private_chat(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": f"Клиент{chat_id}"}


class RecordingSession(BaseSession):
    """Answers locally; remembers per chat the last text and the last inline keyboard (bounded by the
    number of chats the bench uses), and counts calls by method."""

    def __init__(self, flood_text: str | None = None, trouble_texts: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()
        self.chats: dict[int, ChatView] = {}
        self.flood_text = flood_text
        self.trouble_texts = trouble_texts  # apologies: an error, the database away, a busy state
        self.troubles = 0

    def view(self, chat_id: int) -> ChatView:
        view = self.chats.get(chat_id)
        if view is None:
            view = self.chats[chat_id] = ChatView()
        return view

    def _encode(self, bot: Bot, method: TelegramMethod[Any]) -> None:
        """What ``AiohttpSession.build_form_data`` does before the request goes out."""
        files: dict[str, InputFile] = {}
        for value in method.model_dump(warnings=False).values():
            self.prepare_value(value, bot=bot, files=files)

    def _message(self, chat_id: int, message_id: int, method: TelegramMethod[Any], *, edit: bool = False
                 ) -> dict[str, Any]:
        view = self.view(chat_id)
        msg: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "chat": private_chat(chat_id),
                               "from": BOT_USER}
        text = getattr(method, "text", None)
        if text is not None:
            msg["text"] = text
        markup = getattr(method, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            rows = [[b.model_dump(exclude_none=True) for b in row] for row in markup.inline_keyboard]
            msg["reply_markup"] = {"inline_keyboard": rows}
            old = view.keyboard.text if view.keyboard and view.keyboard.message_id == message_id else ""
            view.keyboard = Shown(message_id, text if text is not None else old, rows)
        elif edit and view.keyboard is not None and view.keyboard.message_id == message_id:
            view.keyboard = None  # the edit took the buttons away
        if getattr(method, "document", None) is not None:
            msg["document"] = {"file_id": f"doc{message_id}", "file_unique_id": f"u{message_id}",
                               "file_name": getattr(method.document, "filename", None) or "file"}
        if getattr(method, "latitude", None) is not None:
            loc = {"latitude": method.latitude, "longitude": method.longitude}  # type: ignore[attr-defined]
            msg["venue"] = {"location": loc, "title": method.title, "address": method.address}  # type: ignore[attr-defined]
            msg["location"] = loc
        if text is not None:
            view.recent.append(text)
            view.last_text, view.texts = text, view.texts + 1
            shown = html.unescape(text)
            if self.flood_text is not None and shown == self.flood_text:
                view.flood_notices += 1
            if any(shown.startswith(t) for t in self.trouble_texts):
                self.troubles += 1
        return msg

    def _answer(self, name: str, method: TelegramMethod[Any]) -> Any:
        chat_id = getattr(method, "chat_id", None)
        if name in ("sendMessage", "sendVenue", "sendDocument", "sendPhoto", "sendSticker", "sendVoice",
                    "sendVideo") and isinstance(chat_id, int):
            return self._message(chat_id, next(self.view(chat_id).ids), method)
        if name in ("editMessageText", "editMessageReplyMarkup") and isinstance(chat_id, int):
            return self._message(chat_id, int(method.message_id), method, edit=True)  # type: ignore[attr-defined]
        if name == "getMe":
            return BOT_USER
        return True  # answerCallbackQuery, sendChatAction, setMyCommands ...

    async def make_request(self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None  # noqa: ASYNC109
                           ) -> Any:
        name = method.__api_method__
        self.calls[name] += 1
        self._encode(bot, method)
        body = json.dumps({"ok": True, "result": self._answer(name, method)}, ensure_ascii=False)
        return self.check_response(bot=bot, method=method, status_code=200, content=body).result

    async def stream_content(self, url: str, headers: dict[str, Any] | None = None, timeout: int = 30,  # noqa: ASYNC109
                             chunk_size: int = 65536, raise_for_status: bool = True) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None

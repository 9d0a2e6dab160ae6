"""The MAX Bot API without a network, for the benchmark: ``RecordingMaxApi`` is the bot's own client
(``bot.channels.max.api.MaxApi``: pacing, retries, the calls the channel makes) with only the HTTP
exchange replaced. Each request body is encoded as the client encodes it and each answer is what
MAX returns (a message with its mid, text and keyboard), passed through JSON and parsed back, so
the bench pays for the whole client side of a call except the socket, like ``bench.mocked`` does
for aiogram; and it can press the buttons the bot sent. No aiogram is imported here.
"""

from __future__ import annotations

import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bot.channels.max.api import MaxApi
from bot.pacing import Pacer

BOT_ID = 900_001
BOT_USER: dict[str, Any] = {"user_id": BOT_ID, "first_name": "Консультационная линия", "last_name": None,
                            "username": "consult_bench_bot", "is_bot": True, "last_activity_time": 0}
TOKEN = "bench-max-token"
DIALOGS = 10**10  # a person's dialogue with the bot: DIALOGS + his user id (MAX numbers them apart)


def dialog_of(user_id: int) -> int:
    return DIALOGS + user_id


@dataclass(slots=True)
class Shown:
    """The last message with buttons in a chat, as the person sees it."""

    mid: str
    text: str
    rows: list[list[dict[str, Any]]]

    def labels(self) -> list[str]:
        return [b["text"] for row in self.rows for b in row]

    def payload(self, label: str) -> str | None:
        for row in self.rows:
            for b in row:
                if b["text"] == label and b["type"] == "callback":
                    return str(b["payload"])
        return None


@dataclass(slots=True)
class ChatView:
    last_text: str = ""
    recent: list[str] = field(default_factory=list)  # texts shown since the person's last action
    texts: int = 0
    keyboard: Shown | None = None
    flood_notices: int = 0


def _visible(html: str) -> str:
    """Enough of what a person reads for the scenarios: tags dropped, entities decoded."""
    import html as html_module
    import re

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


class RecordingMaxApi(MaxApi):
    """Answers locally; remembers per chat the last text and the last keyboard, counts calls."""

    def __init__(self, pacer: Pacer, *, flood_text: str | None = None, trouble_texts: tuple[str, ...] = ()) -> None:
        super().__init__(TOKEN, "https://max.bench", pacer=pacer)
        self.calls: Counter[str] = Counter()
        self.chats: dict[int, ChatView] = {}
        self.flood_text = flood_text
        self.trouble_texts = trouble_texts
        self.troubles = 0
        self._mids = itertools.count(1)
        self._callbacks: dict[str, tuple[int, str]] = {}  # callback id -> (chat, mid), while unanswered
        self._messages: dict[str, int] = {}  # mid -> chat (the bot's messages)

    def view(self, chat_id: int) -> ChatView:
        view = self.chats.get(chat_id)
        if view is None:
            view = self.chats[chat_id] = ChatView()
        return view

    def pressed(self, callback_id: str, chat_id: int, mid: str) -> None:
        """A person pressed a button of ``mid``: the callback may be answered."""
        self._callbacks[callback_id] = (chat_id, mid)

    async def close(self) -> None:
        return None

    async def _once(self, method: str, url: str, *, params: dict[str, str] | None = None, body: Any = None,
                    data: Any = None, auth: bool = True, seconds: float | None = None) -> dict[str, Any]:
        if body is not None:
            json.dumps(body, ensure_ascii=False).encode()  # what the client sends
        path = url[len(self.base_url):] if url.startswith(self.base_url) else url
        self.calls[f"{method} {'/upload/…' if path.startswith('/upload/') else path.split('?')[0]}"] += 1
        answer = self._answer(method, path, params or {}, body)
        return json.loads(json.dumps(answer, ensure_ascii=False))  # what the client reads back

    # ------------------------------------------------------------------ MAX's side
    def _answer(self, method: str, path: str, params: dict[str, str], body: Any) -> dict[str, Any]:
        if method == "POST" and path == "/messages":
            chat = int(params["chat_id"]) if "chat_id" in params else dialog_of(int(params["user_id"]))
            return {"message": self._message(chat, body)}
        if method == "PUT" and path == "/messages":
            self._edit(params["message_id"], body)
            return {"success": True}
        if method == "POST" and path == "/answers":
            chat, mid = self._callbacks.pop(params["callback_id"])
            if body.get("message") is not None:
                self._edit(mid, body["message"])
            if body.get("notification") is not None:
                view = self.view(chat)
                view.flood_notices += body["notification"] == self.flood_text
            return {"success": True}
        if method == "POST" and path == "/uploads":
            return {"url": f"{self.base_url}/upload/{next(self._mids)}"}
        if method == "POST" and path.startswith("/upload/"):
            return {"token": f"tok.{path.rsplit('/', 1)[1]}"}
        if method == "GET" and path == "/me":
            return BOT_USER
        return {"success": True}

    def _show(self, chat: int, mid: str, body: dict[str, Any]) -> None:
        view = self.view(chat)
        text = body.get("text")
        board = next((a for a in body.get("attachments") or [] if a.get("type") == "inline_keyboard"), None)
        shown = _visible(text) if text else ""
        if board is not None:
            view.keyboard = Shown(mid, shown, board["payload"]["buttons"])
        elif view.keyboard is not None and view.keyboard.mid == mid and body.get("attachments") is not None:
            view.keyboard = None  # the edit took the buttons away
        if text:
            view.recent.append(shown)
            view.last_text, view.texts = shown, view.texts + 1
            if self.flood_text is not None and shown == self.flood_text:
                view.flood_notices += 1
            if any(shown.startswith(t) for t in self.trouble_texts):
                self.troubles += 1

    def _message(self, chat: int, body: dict[str, Any]) -> dict[str, Any]:
        mid = f"mid.{next(self._mids):016x}"
        self._messages[mid] = chat
        self._show(chat, mid, body)
        return {"sender": BOT_USER, "recipient": {"chat_id": chat, "chat_type": "dialog", "user_id": chat - DIALOGS},
                "timestamp": int(time.time() * 1000),
                "body": {"mid": mid, "seq": 1, "text": body.get("text"), "attachments": body.get("attachments") or []}}

    def _edit(self, mid: str, body: dict[str, Any]) -> None:
        chat = self._messages.get(mid)
        if chat is not None:
            self._show(chat, mid, body)

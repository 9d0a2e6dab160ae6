"""A fake MAX Bot API over real HTTP (aiohttp on 127.0.0.1, a random port) for tests of the MAX channel.

``FakeMax`` keeps a small model of MAX (the bot, people, dialogues and group chats, messages, the
update queue, callbacks, uploaded files, webhook subscriptions) and answers the operations the bot
uses the way MAX does, refusing what MAX refuses:
- no ``Authorization`` header or a wrong token (the token in the query string is no longer accepted):
  401 ``verify.token``;
- texts over 4000 characters, keyboards with more than 30 rows, more than 7 buttons in a row or
  more than 3 in a row with a link, contact or location button, button texts over 128 characters,
  callback payloads over 1024, unknown button types, links that are not http(s): 400;
- a message with an uploaded file MAX is still processing (``not_ready_for`` seconds after the
  upload): 400 ``attachment.not.ready``; an unknown callback id: 404;
- ``GET /updates`` with ``limit`` over 100 or ``timeout`` over 30 s (enforced since May 2026 though
  the schema allows 1000 and 90), or while a webhook subscription is active (405);
- more than ``rps`` requests in any second per bot, more than ``chat_rate`` new messages and
  answers to button presses in any second in one chat, more than ``updates_rps`` long polls a
  second: 429 ``too.many.requests``.
Faults are injected with ``fail`` (a status, an error code, ``Retry-After``, a delay).

Every request the bot makes, every answer of the fake and every update it delivers is checked
against the official description (``tests/max_schema.py``); what does not match is collected in
``violations`` (the ``max_api`` fixture fails a test that leaves any).

Tests act as people with ``write``, ``press``, ``begin`` (bot_started), ``share_contact``, ``send_file``,
``add_bot`` ... (each pushes the update MAX would send: to the long-poll queue, or POSTed to every
subscribed webhook with the ``X-Max-Bot-Api-Secret`` header) and read what the bot did in ``sent``
(messages as people see them now, edits applied), ``answers`` and ``calls``.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientSession, ClientTimeout, web

from tests import max_schema

TEXT_LIMIT = 4000
BUTTON_TEXT_LIMIT = 128
PAYLOAD_LIMIT = 1024
URL_LIMIT = 2048
MAX_ROWS = 30
MAX_ROW = 7
MAX_ROW_SPECIAL = 3  # a row with a link, contact or location button
SPECIAL_BUTTONS = frozenset({"link", "request_contact", "request_geo_location"})
BUTTON_TYPES = frozenset({"callback", "link", "request_contact", "request_geo_location", "message", "open_app",
                          "clipboard", "chat"})
UPDATES_LIMIT = 100
UPDATES_TIMEOUT = 30
FILE_KINDS = ("image", "video", "audio", "file")
API_PATHS = ("/me", "/updates", "/subscriptions", "/messages", "/answers", "/uploads", "/chats")

Json = dict[str, Any]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    def response(self) -> web.Response:
        headers = {"Retry-After": f"{self.retry_after:g}"} if self.retry_after is not None else None
        return web.json_response({"code": self.code, "message": self.message}, status=self.status, headers=headers)


def bad(message: str, code: str = "proto.payload") -> ApiError:
    return ApiError(400, code, message)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_data(self, data: str) -> None:
        self.out.append(data)


def visible_text(text: str, fmt: str | None) -> str:
    """What a person reads: tags of the HTML format dropped, entities decoded."""
    if fmt != "html":
        return text
    parser = _Visible()
    parser.feed(text)
    parser.close()
    return "".join(parser.out)


@dataclass
class Sent:
    """A message of the bot as people see it now (edits applied)."""

    mid: str
    chat_id: int
    user_id: int | None  # the person, in a dialogue
    html: str  # the text as sent
    format: str | None
    attachments: list[Json]
    link: Json | None = None
    at: float = field(default_factory=time.monotonic)
    edits: int = 0
    deleted: bool = False

    @property
    def text(self) -> str:
        return visible_text(self.html, self.format)

    @property
    def rows(self) -> list[list[Json]]:
        for a in self.attachments:
            if a["type"] == "inline_keyboard":
                return a["payload"]["buttons"]
        return []

    @property
    def labels(self) -> list[str]:
        return [b["text"] for row in self.rows for b in row]

    def button(self, label: str) -> Json:
        for row in self.rows:
            for b in row:
                if b["text"] == label:
                    return b
        raise AssertionError(f"no button {label!r} on message {self.mid}; there are {self.labels}")

    def of_type(self, kind: str) -> list[Json]:
        return [a for a in self.attachments if a["type"] == kind]


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 0


@dataclass
class Failure:
    method: str
    path: str
    status: int = 500
    code: str = "internal.error"
    message: str = "Internal error"
    retry_after: float | None = None
    delay: float = 0.0
    times: int = 1


@dataclass
class FakeFile:
    kind: str
    filename: str
    content: bytes
    mime: str
    token: str
    ready_at: float
    photo_id: int = 0


@dataclass
class FakeChat:
    chat_id: int
    type: str  # dialog, chat, channel
    title: str | None = None
    user_id: int | None = None  # the person of a dialogue
    members: set[int] = field(default_factory=set)
    bot_status: str = "active"  # active, removed, left, closed
    bot_admin: bool = False
    bot_permissions: list[str] = field(default_factory=list)
    blocked: bool = False  # a dialogue the person stopped (bot_stopped)


@dataclass
class Subscription:
    url: str
    secret: str | None
    update_types: list[str] | None
    time: int
    queue: asyncio.Queue[Json] = field(default_factory=asyncio.Queue)
    worker: asyncio.Task[None] | None = None


class FakeMax:
    def __init__(self, token: str = "max-test-token", *, bot_id: int = 900_001, username: str = "consult_bot",
                 rps: int = 30, chat_rate: int = 2, updates_rps: int = 2, not_ready_for: float = 0.0,
                 webhook_retry_delay: float = 0.05, webhook_attempts: int = 10) -> None:
        self.token = token
        self.bot: Json = {"user_id": bot_id, "first_name": "Консультационная линия", "last_name": None,
                          "username": username, "is_bot": True, "last_activity_time": self._ms(),
                          "name": "Консультационная линия"}
        self.rps, self.chat_rate, self.updates_rps = rps, chat_rate, updates_rps
        self.not_ready_for = not_ready_for
        self.webhook_retry_delay, self.webhook_attempts = webhook_retry_delay, webhook_attempts
        self.base_url = ""
        self.users: dict[int, Json] = {}
        self.chats: dict[int, FakeChat] = {}
        self.messages: dict[str, Json] = {}
        self.sent: list[Sent] = []
        self.answers: list[tuple[str, Json]] = []
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.deliveries: list[tuple[str, int, int]] = []  # (url, update number, HTTP status)
        self.subscriptions: dict[str, Subscription] = {}
        self.updates: list[tuple[int, Json]] = []
        self.confirmed = 0  # updates up to this number are read (a later marker was passed)
        self.failures: list[Failure] = []
        self.files: dict[str, FakeFile] = {}
        self.callbacks: dict[str, tuple[int, str]] = {}  # callback id -> (user, message mid)
        self.refused_429 = 0
        self._upload_slots: dict[str, str] = {}  # upload id -> type
        self._dialogs: dict[int, int] = {}  # user -> dialog chat id
        self._numbers = itertools.count(1)
        self._mids = itertools.count(1)
        self._seq = itertools.count(1)
        self._ids = itertools.count(1)
        self._group_ids = itertools.count(1)
        self._window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = defaultdict(deque)
        self._poll_window: deque[float] = deque()
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None

    # --- server ---------------------------------------------------------------------------------------
    async def start(self) -> FakeMax:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        r = app.router
        r.add_get("/me", self._me)
        r.add_get("/updates", self._get_updates)
        r.add_get("/subscriptions", self._get_subscriptions)
        r.add_post("/subscriptions", self._subscribe)
        r.add_delete("/subscriptions", self._unsubscribe)
        r.add_post("/messages", self._send)
        r.add_put("/messages", self._edit)
        r.add_delete("/messages", self._delete)
        r.add_get("/messages", self._get_messages)
        r.add_get("/messages/{mid}", self._get_message)
        r.add_post("/answers", self._answer)
        r.add_post("/uploads", self._uploads)
        r.add_get("/chats/{chat_id}", self._get_chat)
        r.add_get("/chats/{chat_id}/members/me", self._membership)
        r.add_post("/upload/{slot}", self._upload)  # the upload host (another domain at MAX)
        r.add_get("/files/{token}", self._download)  # where files people send can be read
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self._wake()
        for sub in self.subscriptions.values():
            if sub.worker is not None:
                sub.worker.cancel()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    @staticmethod
    def _ms() -> int:
        return int(time.time() * 1000)

    # --- people ---------------------------------------------------------------------------------------
    def user(self, user_id: int, first_name: str = "Иван", last_name: str | None = "Петров",
             username: str | None = None) -> Json:
        """A MAX user (created on first mention)."""
        if user_id not in self.users:
            name = " ".join(x for x in (first_name, last_name) if x)
            self.users[user_id] = {"user_id": user_id, "first_name": first_name, "last_name": last_name,
                                   "username": username, "is_bot": False, "last_activity_time": self._ms(),
                                   "name": name}
        return self.users[user_id]

    def dialog(self, user_id: int) -> int:
        """The chat id of the person's dialogue with the bot."""
        self.user(user_id)
        if user_id not in self._dialogs:
            chat_id = 80_000_000 + len(self._dialogs) + 1
            self._dialogs[user_id] = chat_id
            self.chats[chat_id] = FakeChat(chat_id, "dialog", user_id=user_id, members={user_id})
        return self._dialogs[user_id]

    def group(self, title: str = "Отдел кадров — сотрудники", *, admin: bool = True, read_all: bool = True,
              members: tuple[int, ...] = ()) -> int:
        """A group chat with the bot in it (no update); ``admin``/``read_all``: its rights there."""
        chat_id = -70_000_000_000 - next(self._group_ids)
        for m in members:
            self.user(m)
        perms = (["read_all_messages", "write", "pin_message"] if read_all else ["write"]) if admin else []
        self.chats[chat_id] = FakeChat(chat_id, "chat", title=title, members=set(members), bot_admin=admin,
                                       bot_permissions=perms)
        return chat_id

    def add_bot(self, by_user: int, title: str = "Отдел кадров — сотрудники", *, admin: bool = True,
                read_all: bool = True) -> int:
        """Someone adds the bot to a new group chat: ``bot_added``. Returns the chat id."""
        chat_id = self.group(title, admin=admin, read_all=read_all, members=(by_user,))
        self.push({"update_type": "bot_added", "timestamp": self._ms(), "chat_id": chat_id,
                   "user": self.user(by_user), "is_channel": False})
        return chat_id

    def remove_bot(self, chat_id: int, by_user: int) -> None:
        self.chats[chat_id].bot_status = "removed"
        self.push({"update_type": "bot_removed", "timestamp": self._ms(), "chat_id": chat_id,
                   "user": self.user(by_user), "is_channel": False})

    def begin(self, user_id: int, payload: str | None = None) -> None:
        """The person presses «Начать» or follows a deep link ``https://max.ru/<bot>?start=<payload>``."""
        chat_id = self.dialog(user_id)
        self.chats[chat_id].blocked = False
        update: Json = {"update_type": "bot_started", "timestamp": self._ms(), "chat_id": chat_id,
                        "user": self.user(user_id), "user_locale": "ru"}
        if payload is not None:
            update["payload"] = payload
        self.push(update)

    def stop_bot(self, user_id: int) -> None:
        """The person stops the bot: messages to them are refused from now on."""
        chat_id = self.dialog(user_id)
        self.chats[chat_id].blocked = True
        self.push({"update_type": "bot_stopped", "timestamp": self._ms(), "chat_id": chat_id,
                   "user": self.user(user_id), "user_locale": "ru"})

    def write(self, user_id: int, text: str | None = None, *, chat_id: int | None = None,
              attachments: list[Json] | None = None, reply_to: str | None = None, forward: str | None = None) -> str:
        """The person writes (in their dialogue, or in the group ``chat_id``): ``message_created``.
        ``reply_to``/``forward``: the mid of a message this one answers or forwards. Returns the mid."""
        if chat_id is None:
            chat_id = self.dialog(user_id)
        else:
            self.user(user_id)
            self.chats[chat_id].members.add(user_id)
        chat = self.chats[chat_id]
        message: Json = {"sender": self.user(user_id),
                         "recipient": {"chat_id": chat_id, "chat_type": chat.type,
                                       "user_id": self.bot["user_id"] if chat.type == "dialog" else None},
                         "timestamp": self._ms(),
                         "body": {"mid": self._mid(), "seq": next(self._seq), "text": text,
                                  "attachments": attachments}}
        linked = reply_to or forward
        if linked is not None:
            original = self.messages[linked]
            message["link"] = {"type": "reply" if reply_to else "forward", "sender": original.get("sender"),
                               "chat_id": original["recipient"]["chat_id"], "message": original["body"]}
        self.messages[message["body"]["mid"]] = message
        if chat.type != "dialog" and "read_all_messages" not in chat.bot_permissions \
                and not self._for_bot(text, linked):
            return message["body"]["mid"]  # without the right MAX does not show the bot other talk
        self.push({"update_type": "message_created", "timestamp": message["timestamp"], "message": message,
                   "user_locale": "ru"})
        return message["body"]["mid"]

    def bot_said(self, chat_id: int, text: str) -> str:
        """A message of the bot already in a chat (e.g. a card sent before the test): its mid."""
        chat = self.chats[chat_id]
        message: Json = {"sender": self.bot,
                         "recipient": {"chat_id": chat_id, "chat_type": chat.type, "user_id": chat.user_id},
                         "timestamp": self._ms(), "body": {"mid": self._mid(), "seq": next(self._seq), "text": text,
                                                           "attachments": []}}
        self.messages[message["body"]["mid"]] = message
        self.sent.append(Sent(message["body"]["mid"], chat_id, chat.user_id, text, None, []))
        return message["body"]["mid"]

    def _for_bot(self, text: str | None, linked: str | None) -> bool:
        mentioned = f"@{self.bot['username']}" in (text or "")
        replied = linked is not None and self.messages[linked].get("sender", {}).get("user_id") == self.bot["user_id"]
        return mentioned or replied or (text or "").startswith("/")

    def share_contact(self, user_id: int, phone: str, *, name: str | None = None) -> str:
        """The person presses the «share my phone» button (``request_contact``)."""
        user = self.user(user_id)
        full = name or user["name"]
        vcf = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{full}\r\nTEL;TYPE=cell:{phone}\r\nEND:VCARD\r\n"
        return self.write(user_id, None, attachments=[{"type": "contact", "payload": {
            "vcf_info": vcf, "max_info": user, "hash": None}}])

    def send_file(self, user_id: int, filename: str, content: bytes, *, kind: str = "file",
                  text: str | None = None, chat_id: int | None = None, mime: str = "application/octet-stream") -> str:
        """The person sends a file (``file``) or a photo (``image``); it can be downloaded from the fake."""
        f = self._store(kind, filename, content, mime, ready=True)
        return self.write(user_id, text, chat_id=chat_id, attachments=[self._attachment_of(f)])

    def send_location(self, user_id: int, latitude: float, longitude: float) -> str:
        return self.write(user_id, None, attachments=[{"type": "location", "latitude": latitude,
                                                       "longitude": longitude}])

    def press(self, user_id: int, mid: str, payload: str) -> str:
        """The person presses a callback button of the bot's message ``mid``: ``message_callback``."""
        message = self.messages[mid]
        callback_id = f"cb.{next(self._ids)}.{user_id}"
        self.callbacks[callback_id] = (user_id, mid)
        self.push({"update_type": "message_callback", "timestamp": self._ms(),
                   "callback": {"timestamp": self._ms(), "callback_id": callback_id, "payload": payload,
                                "user": self.user(user_id)},
                   "message": message, "user_locale": "ru"})
        return callback_id

    def press_button(self, user_id: int, sent: Sent, label: str) -> str:
        button = sent.button(label)
        assert button["type"] == "callback", button
        return self.press(user_id, sent.mid, button["payload"])

    def push(self, update: Json) -> int:
        """Deliver an update (to the long-poll queue, or to the webhooks); returns its number."""
        self._check("update", max_schema.schema_errors("Update", update))
        number = next(self._numbers)
        self.updates.append((number, update))
        for sub in self.subscriptions.values():
            if sub.update_types is None or update["update_type"] in sub.update_types:
                sub.queue.put_nowait({"number": number, "update": update})
        self._wake()
        return number

    def deliver_again(self, number: int) -> None:
        """MAX delivers update ``number`` to the webhooks once more (its 200 was lost on the way)."""
        update = dict(self.updates)[number]
        for sub in self.subscriptions.values():
            sub.queue.put_nowait({"number": number, "update": update})

    # --- faults ---------------------------------------------------------------------------------------
    def fail(self, method: str, path: str, status: int = 500, *, code: str | None = None, times: int = 1,
             retry_after: float | None = None, delay: float = 0.0, message: str | None = None) -> None:
        """The next ``times`` calls of ``method path`` fail with ``status`` (after ``delay`` s)."""
        default = {429: "too.many.requests", 503: "service.unavailable"}.get(status, "internal.error")
        self.failures.append(Failure(method.upper(), path, status, code or default, message or f"injected {status}",
                                     retry_after, delay, times))

    # --- what the bot did -----------------------------------------------------------------------------
    def sent_to(self, chat_id: int) -> list[Sent]:
        return [m for m in self.sent if m.chat_id == chat_id and not m.deleted]

    def calls_to(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method.upper() and c.path == path]

    # --- the middle of every call -------------------------------------------------------------------------
    def _check(self, what: str, errors: list[str]) -> None:
        self.violations += [f"{what}: {e}" for e in errors]

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        path = request.path
        if not path.startswith(API_PATHS):
            return await handler(request)
        raw = await request.read()
        query = dict(request.query)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        call = Call(request.method, path, query, body, time.monotonic())
        self.calls.append(call)
        self._check(f"request {request.method} {path}", max_schema.request_errors(
            request.method, path, query, dict(request.headers), raw, request.content_type if raw else None))
        try:
            self._authorize(request)
            await self._injected(request.method, path)
            self._rate(time.monotonic(), self._window, self.rps)
            response = await handler(request)
        except ApiError as exc:
            response = exc.response()
        call.status = response.status
        if isinstance(response, web.Response) and response.body is not None:
            assert isinstance(response.body, bytes)
            self._check(f"response {request.method} {path} {response.status}", max_schema.response_errors(
                request.method, path, query, response.status, response.body))
        return response

    def _authorize(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != self.token:
            raise ApiError(401, "verify.token", "Invalid access_token")

    async def _injected(self, method: str, path: str) -> None:
        for f in self.failures:
            if f.method == method and f.path == path and f.times > 0:
                f.times -= 1
                if f.delay:
                    await asyncio.sleep(f.delay)
                raise ApiError(f.status, f.code, f.message, f.retry_after)

    def _rate(self, now: float, window: deque[float], limit: int) -> None:
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            self.refused_429 += 1
            raise ApiError(429, "too.many.requests", "Too many requests")
        window.append(now)

    # --- the API ----------------------------------------------------------------------------------------
    async def _me(self, request: web.Request) -> web.Response:
        return web.json_response({**self.bot, "description": "Консультационная линия", "commands": None})

    async def _get_updates(self, request: web.Request) -> web.Response:
        if self.subscriptions:
            raise ApiError(405, "method.not.allowed", "Long polling is off while a webhook subscription is active")
        q = request.query
        limit = self._int(q, "limit", 100)
        timeout = self._int(q, "timeout", 30)
        if not 1 <= limit <= UPDATES_LIMIT:
            raise bad(f"limit: must be between 1 and {UPDATES_LIMIT}")
        if not 0 <= timeout <= UPDATES_TIMEOUT:
            raise bad(f"timeout: must be between 0 and {UPDATES_TIMEOUT}")
        self._rate(time.monotonic(), self._poll_window, self.updates_rps)
        marker = self._int(q, "marker", None) if q.get("marker") not in (None, "", "null") else None
        deadline = time.monotonic() + timeout
        while True:
            if marker is not None:
                self.confirmed = max(self.confirmed, marker - 1)  # everything before the marker is read
                batch = [(n, u) for n, u in self.updates if n >= marker][:limit]
            else:  # "without a marker you get only the last update"
                unread = [(n, u) for n, u in self.updates if n > self.confirmed]
                batch = unread[-1:]
            if batch:
                return web.json_response({"updates": [u for _, u in batch], "marker": batch[-1][0] + 1})
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return web.json_response({"updates": [], "marker": marker})
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass

    @staticmethod
    def _int(q: Any, name: str, default: int | None) -> Any:
        value = q.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise bad(f"{name}: not a number") from None

    async def _get_subscriptions(self, request: web.Request) -> web.Response:
        return web.json_response({"subscriptions": [
            {"url": s.url, "time": s.time, "update_types": s.update_types} for s in self.subscriptions.values()]})

    async def _subscribe(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        url = body.get("url")
        if not isinstance(url, str) or not url:
            raise bad("url: required")
        parts = urlsplit(url)
        loopback = parts.hostname in ("127.0.0.1", "localhost")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise bad("url: only HTTPS webhooks are supported")
        secret = body.get("secret")
        if secret is not None and not (isinstance(secret, str) and 5 <= len(secret) <= 256
                                       and all(c.isascii() and (c.isalnum() or c in "_-") for c in secret)):
            raise bad("secret: 5-256 characters of A-Z, a-z, 0-9, _ and -")
        old = self.subscriptions.get(url)
        if old is not None:  # the same address again: new settings, and what waits for it still comes
            old.secret, old.update_types, old.time = secret, body.get("update_types"), self._ms()
            return web.json_response({"success": True})
        sub = Subscription(url, secret, body.get("update_types"), self._ms())
        sub.worker = asyncio.create_task(self._deliver(sub))
        self.subscriptions[url] = sub
        return web.json_response({"success": True})

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        sub = self.subscriptions.pop(request.query.get("url", ""), None)
        if sub is None:
            return web.json_response({"success": False, "message": "subscription not found"})
        if sub.worker is not None:
            sub.worker.cancel()
        return web.json_response({"success": True})

    async def _deliver(self, sub: Subscription) -> None:
        """POST each update to the webhook in order; anything but 200 is tried again later."""
        if self._http is None:
            self._http = ClientSession(timeout=ClientTimeout(total=30))
        while True:
            item = await sub.queue.get()
            for _ in range(self.webhook_attempts):
                headers = {"X-Max-Bot-Api-Secret": sub.secret} if sub.secret else {}
                try:
                    async with self._http.post(sub.url, json=item["update"], headers=headers) as resp:
                        status = resp.status
                except Exception:  # the bot is down: like MAX, try again later
                    status = 0
                self.deliveries.append((sub.url, item["number"], status))
                if status == 200:
                    break
                await asyncio.sleep(self.webhook_retry_delay)

    # --- messages -----------------------------------------------------------------------------------------
    def _mid(self) -> str:
        return f"mid.{next(self._mids):016x}"

    async def _json(self, request: web.Request) -> Json:
        try:
            body = json.loads(await request.read() or b"null")
        except ValueError:
            raise bad("the body is not JSON") from None
        if not isinstance(body, dict):
            raise bad("the body must be an object")
        return body

    def _target(self, q: Any) -> FakeChat:
        chat_id, user_id = q.get("chat_id"), q.get("user_id")
        if (chat_id is None) == (user_id is None):
            raise bad("exactly one of chat_id and user_id is required")
        if user_id is not None:
            chat_id = self._dialogs.get(int(user_id))
            if chat_id is None:
                raise ApiError(403, "chat.denied", "The user has not started a dialogue with the bot")
        chat = self.chats.get(int(chat_id))
        if chat is None:
            raise ApiError(404, "chat.not.found", f"Chat {chat_id} not found")
        if chat.blocked or chat.bot_status != "active":
            raise ApiError(403, "chat.denied", "The bot cannot write to this chat")
        return chat

    def _check_body(self, body: Json, *, edit: bool = False) -> list[Json]:
        """MAX's checks of a ``NewMessageBody``; returns the attachments as a message shows them."""
        text = body.get("text")
        if text is not None and not isinstance(text, str):
            raise bad("text: must be a string")
        if text is not None and len(text) > TEXT_LIMIT:
            raise bad(f"text: size must be between 0 and {TEXT_LIMIT}", "errors.text.too.long")
        fmt = body.get("format")
        if fmt not in (None, "html", "markdown"):
            raise bad("format: unknown")
        attachments = body.get("attachments")
        if attachments is not None and not isinstance(attachments, list):
            raise bad("attachments: must be an array")
        if not edit and not (text or attachments):
            raise bad("message: text or attachments required", "errors.message.empty")
        shown: list[Json] = []
        keyboards = 0
        for a in attachments or []:
            kind = a.get("type") if isinstance(a, dict) else None
            if kind == "inline_keyboard":
                keyboards += 1
                shown.append({"type": "inline_keyboard", "payload": {"buttons": self._check_keyboard(a)}})
            elif kind == "location":
                lat, lon = a.get("latitude"), a.get("longitude")
                if not isinstance(lat, (int, float)) or not isinstance(lon, (int, float)) \
                        or not -90 <= lat <= 90 or not -180 <= lon <= 180:
                    raise bad("location: latitude and longitude required")
                shown.append({"type": "location", "latitude": float(lat), "longitude": float(lon)})
            elif kind in FILE_KINDS:
                shown.append(self._file_attachment(kind, a.get("payload") or {}))
            else:
                raise bad(f"attachments: unknown type {kind!r}")
        if keyboards > 1:
            raise bad("attachments: one inline keyboard at most")
        return shown

    def _check_keyboard(self, attachment: Json) -> list[list[Json]]:
        rows = (attachment.get("payload") or {}).get("buttons")
        if not isinstance(rows, list) or not rows or not all(isinstance(r, list) and r for r in rows):
            raise bad("inline_keyboard: buttons must be non-empty rows")
        if len(rows) > MAX_ROWS:
            raise bad(f"inline_keyboard: at most {MAX_ROWS} rows", "errors.keyboard.rows")
        for row in rows:
            special = any(b.get("type") in SPECIAL_BUTTONS for b in row)
            limit = MAX_ROW_SPECIAL if special else MAX_ROW
            if len(row) > limit:
                raise bad(f"inline_keyboard: at most {limit} buttons in this row", "errors.keyboard.row")
            for b in row:
                self._check_button(b)
        return rows

    @staticmethod
    def _check_button(b: Json) -> None:
        kind, text = b.get("type"), b.get("text")
        if kind not in BUTTON_TYPES:
            raise bad(f"button: unknown type {kind!r}")
        if not isinstance(text, str) or not 1 <= len(text) <= BUTTON_TEXT_LIMIT:
            raise bad(f"button: text must be 1-{BUTTON_TEXT_LIMIT} characters", "errors.button.text")
        if kind == "callback":
            payload = b.get("payload")
            if not isinstance(payload, str) or not payload or len(payload) > PAYLOAD_LIMIT:
                raise bad(f"button: payload must be 1-{PAYLOAD_LIMIT} characters", "errors.button.payload")
        if kind == "link":
            url = b.get("url")
            if not isinstance(url, str) or len(url) > URL_LIMIT or urlsplit(url).scheme not in ("http", "https") \
                    or not urlsplit(url).netloc:
                raise bad("button: url must be an http(s) link up to 2048 characters", "errors.button.url")

    def _file_attachment(self, kind: str, payload: Json) -> Json:
        token = payload.get("token")
        if kind == "image" and not token and isinstance(payload.get("url"), str):
            return {"type": "image", "payload": {"photo_id": next(self._ids), "token": f"url.{next(self._ids)}",
                                                 "url": payload["url"]}}
        f = self.files.get(token) if isinstance(token, str) else None
        if f is None or f.kind != kind:
            raise bad(f"attachment: unknown {kind} token", "attachment.not.found")
        if time.monotonic() < f.ready_at:
            raise bad("Key: errors.process.attachment.file.not.processed", "attachment.not.ready")
        return self._attachment_of(f)

    def _attachment_of(self, f: FakeFile) -> Json:
        url = f"{self.base_url}/files/{f.token}"
        if f.kind == "image":
            return {"type": "image", "payload": {"photo_id": f.photo_id, "token": f.token, "url": url}}
        if f.kind == "file":
            return {"type": "file", "payload": {"url": url, "token": f.token}, "filename": f.filename,
                    "size": len(f.content)}
        return {"type": f.kind, "payload": {"url": url, "token": f.token}}

    async def _send(self, request: web.Request) -> web.Response:
        chat = self._target(request.query)
        body = await self._json(request)
        shown = self._check_body(body)
        self._rate(time.monotonic(), self._chat_windows[chat.chat_id], self.chat_rate)
        message: Json = {"sender": self.bot,
                         "recipient": {"chat_id": chat.chat_id, "chat_type": chat.type, "user_id": chat.user_id},
                         "timestamp": self._ms(),
                         "body": {"mid": self._mid(), "seq": next(self._seq), "text": body.get("text"),
                                  "attachments": shown}}
        link = body.get("link")
        if link:
            original = self.messages.get(link.get("mid", ""))
            if original is None:
                raise bad("link: message not found")
            message["link"] = {"type": link["type"], "sender": original.get("sender"),
                               "chat_id": original["recipient"]["chat_id"], "message": original["body"]}
        mid = message["body"]["mid"]
        self.messages[mid] = message
        self.sent.append(Sent(mid, chat.chat_id, chat.user_id, body.get("text") or "", body.get("format"), shown,
                              link))
        return web.json_response({"message": message})

    def _own(self, mid: str) -> tuple[Json, Sent]:
        message = self.messages.get(mid)
        sent = next((s for s in self.sent if s.mid == mid and not s.deleted), None)
        if message is None or sent is None:
            raise ApiError(404, "message.not.found", f"Message {mid} not found")
        return message, sent

    def _apply_edit(self, mid: str, body: Json) -> None:
        message, sent = self._own(mid)
        shown = self._check_body(body, edit=True)
        if "text" in body:
            sent.html = body.get("text") or ""
            sent.format = body.get("format")
            message["body"]["text"] = body.get("text")
        if body.get("attachments") is not None:  # null keeps the attachments, [] removes them
            sent.attachments = shown
            message["body"]["attachments"] = shown
        sent.edits += 1

    async def _edit(self, request: web.Request) -> web.Response:
        self._apply_edit(request.query.get("message_id", ""), await self._json(request))
        return web.json_response({"success": True})

    async def _delete(self, request: web.Request) -> web.Response:
        _, sent = self._own(request.query.get("message_id", ""))
        sent.deleted = True
        return web.json_response({"success": True})

    async def _get_messages(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("message_ids"):
            found = [self.messages[m] for m in q["message_ids"].split(",") if m in self.messages]
        elif q.get("chat_id"):
            chat_id = int(q["chat_id"])
            found = [m for m in self.messages.values() if m["recipient"]["chat_id"] == chat_id][::-1]
            found = found[:self._int(q, "count", 50)]
        else:
            raise bad("chat_id or message_ids required")
        return web.json_response({"messages": found})

    async def _get_message(self, request: web.Request) -> web.Response:
        message = self.messages.get(request.match_info["mid"])
        if message is None:
            raise ApiError(404, "message.not.found", "Message not found")
        return web.json_response(message)

    async def _answer(self, request: web.Request) -> web.Response:
        callback_id = request.query.get("callback_id", "")
        if callback_id not in self.callbacks:
            raise ApiError(404, "callback.not.found", "Unknown callback id")
        body = await self._json(request)
        if body.get("message") is None and body.get("notification") is None:
            raise bad("message or notification required")
        # "at most two answers a second in one dialogue, group chat or channel" (POST /answers)
        chat_id = self.messages[self.callbacks[callback_id][1]]["recipient"]["chat_id"]
        self._rate(time.monotonic(), self._chat_windows[chat_id], self.chat_rate)
        if body.get("message") is not None:
            self._apply_edit(self.callbacks[callback_id][1], body["message"])
        self.answers.append((callback_id, body))
        return web.json_response({"success": True})

    # --- files ----------------------------------------------------------------------------------------------
    def _store(self, kind: str, filename: str, content: bytes, mime: str, *, ready: bool) -> FakeFile:
        token = f"tok.{kind}.{next(self._ids)}"
        f = FakeFile(kind, filename, content, mime, token,
                     time.monotonic() + (0 if ready else self.not_ready_for), next(self._ids))
        self.files[token] = f
        return f

    async def _uploads(self, request: web.Request) -> web.Response:
        kind = request.query.get("type")
        if kind not in FILE_KINDS:
            raise bad("type: one of image, video, audio, file")
        slot = f"u{next(self._ids)}"
        self._upload_slots[slot] = kind
        answer: Json = {"url": f"{self.base_url}/upload/{slot}"}
        if kind in ("video", "audio"):  # the token comes before the upload for these
            answer["token"] = f"tok.{kind}.pre.{slot}"
        return web.json_response(answer)

    async def _upload(self, request: web.Request) -> web.Response:
        slot = request.match_info["slot"]
        kind = self._upload_slots.pop(slot, None)
        if kind is None:
            return web.json_response({"error": "upload url expired"}, status=400)
        form = await request.post()
        part = form.get("data")
        if not isinstance(part, web.FileField):
            return web.json_response({"error": "no file in the field 'data'"}, status=400)
        f = self._store(kind, part.filename, part.file.read(), part.content_type, ready=False)
        if kind in ("video", "audio"):
            self.files.pop(f.token)
            f.token = f"tok.{kind}.pre.{slot}"
            self.files[f.token] = f
            return web.json_response({"retval": "ok"})
        if kind == "image":
            return web.json_response({"photos": {str(f.photo_id): {"token": f.token}}})
        return web.json_response({"token": f.token})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        f = self.files.get(request.match_info["token"])
        if f is None:
            return web.Response(status=404)
        return web.Response(body=f.content, content_type=f.mime)

    # --- chats ----------------------------------------------------------------------------------------------
    def _chat(self, request: web.Request) -> FakeChat:
        try:
            chat = self.chats.get(int(request.match_info["chat_id"]))
        except ValueError:
            raise bad("chatId: not a number") from None
        if chat is None:
            raise ApiError(404, "chat.not.found", "Chat not found")
        return chat

    async def _get_chat(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        answer: Json = {"chat_id": chat.chat_id, "type": chat.type, "status": chat.bot_status, "title": chat.title,
                        "icon": None, "last_event_time": self._ms(), "participants_count": len(chat.members) + 1,
                        "is_public": False, "description": None}
        if chat.type == "dialog" and chat.user_id is not None:
            answer["dialog_with_user"] = self.users[chat.user_id]
        return web.json_response(answer)

    async def _membership(self, request: web.Request) -> web.Response:
        chat = self._chat(request)
        if chat.type == "dialog":
            raise bad("chatId: not a group chat")
        if chat.bot_status != "active":
            raise ApiError(403, "chat.denied", "The bot is not a member of this chat")
        return web.json_response({**self.bot, "last_access_time": self._ms(), "is_owner": False,
                                  "is_admin": chat.bot_admin, "join_time": self._ms(),
                                  "permissions": chat.bot_permissions or None})


def escape(text: str) -> str:
    """How a test writes a text it expects inside the bot's HTML."""
    return html.escape(text, quote=False)

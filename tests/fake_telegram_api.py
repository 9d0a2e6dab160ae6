"""A strict fake of the Telegram Bot API, for tests.

``FakeBotAPI`` is the model: chats, users, messages, the update queue, and the methods the bot
uses, checked the way the real server checks them and failing with the real error texts (callback
data over 64 bytes, texts over 4096 characters, HTML that does not parse, more than 100 buttons,
a blocked user, an unknown chat, editing a message that is not there or not modified, answering a
callback query twice ...). It records what the bot sent, so tests assert what a person sees.

``FakeTelegramServer`` puts it behind real HTTP (aiohttp on 127.0.0.1, a random port) for aiogram's
``TelegramAPIServer.from_base(url)``: ``getUpdates`` long polling with offsets, or webhook delivery
with the ``X-Telegram-Bot-Api-Secret-Token`` header; 429 / 500 / hanging requests can be injected.
``tests/telegram_harness.py`` uses the same model without HTTP.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MAX_BUTTONS = 100


class BotAPIError(Exception):
    """An error answer: HTTP status, description and parameters exactly as Telegram sends them."""

    def __init__(self, code: int, description: str, *, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters: dict[str, int] = {}
        if retry_after is not None:
            self.parameters["retry_after"] = retry_after
        if migrate_to_chat_id is not None:
            self.parameters["migrate_to_chat_id"] = migrate_to_chat_id

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(text: str) -> BotAPIError:
    return BotAPIError(400, f"Bad Request: {text}")


# ---------------------------------------------------------------------------- HTML, as Telegram parses it
_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre",
         "blockquote", "tg-emoji"}


class _StrictHTML(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.out: list[str] = []
        self.open: list[str] = []

    def _offset(self) -> int:
        line, col = self.getpos()
        lines = self.source.split("\n")
        return len("\n".join(lines[:line - 1]).encode()) + (1 if line > 1 else 0) + len(lines[line - 1][:col].encode())

    def _fail(self, what: str) -> None:
        raise bad_request(f"can't parse entities: {what}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            self._fail(f'Unsupported start tag "{tag}" at byte offset {self._offset()}')
        if tag == "a" and not dict(attrs).get("href"):
            self._fail(f"Can't find end of the tag at byte offset {self._offset()}")
        if tag == "span" and dict(attrs).get("class") != "tg-spoiler":
            self._fail(f'Tag "span" must have class "tg-spoiler" at byte offset {self._offset()}')
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._fail(f'Unsupported start tag "{tag}/" at byte offset {self._offset()}')

    def handle_endtag(self, tag: str) -> None:
        if not self.open:
            self._fail(f"Unexpected end tag at byte offset {self._offset()}")
        expected = self.open.pop()
        if expected != tag:
            self._fail(f'Unmatched end tag at byte offset {self._offset()}, expected "</{expected}>", found '
                       f'"</{tag}>"')

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        known = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
        self.out.append(known.get(name, f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.out.append(html.unescape(f"&#{name};"))

    def handle_comment(self, data: str) -> None:
        self._fail(f'Unsupported start tag "!--" at byte offset {self._offset()}')

    def handle_decl(self, decl: str) -> None:
        self._fail(f'Unsupported start tag "!" at byte offset {self._offset()}')

    def unknown_decl(self, data: str) -> None:
        self.handle_decl(data)

    def handle_pi(self, data: str) -> None:
        self._fail(f'Unsupported start tag "?" at byte offset {self._offset()}')


def parse_html(source: str) -> str:
    """The visible text of a message in the HTML parse mode, or the real parse error."""
    for m in re.finditer(r"<(?![a-zA-Z/])", source):  # "a < b" is not a tag for Python, but is an error here
        raise bad_request(f"can't parse entities: Unsupported start tag \"\" at byte offset "
                          f"{len(source[:m.start()].encode())}")
    parser = _StrictHTML(source)
    parser.feed(source)
    if "<" in parser.rawdata:  # an unfinished tag such as "<b"
        raise bad_request(f"can't parse entities: Unclosed start tag at byte offset "
                          f"{len(source[:len(source) - len(parser.rawdata)].encode())}")
    parser.close()
    if parser.open:
        raise bad_request(f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{parser.open[-1]}"')
    return "".join(parser.out)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# ---------------------------------------------------------------------------- the model
@dataclass
class Sent:
    """A message the bot sent, as it looks now (edits applied)."""

    chat_id: int
    message_id: int
    kind: str  # text, venue, photo, document, sticker, voice, video
    text: str = ""  # visible text, or the caption of a file
    html: str | None = None
    inline: list[list[dict[str, Any]]] | None = None
    keyboard: dict[str, Any] | None = None  # a reply keyboard, or {"remove_keyboard": true}
    thread_id: int | None = None
    venue: dict[str, Any] | None = None
    filename: str | None = None
    content: bytes | None = None
    file_id: str | None = None
    edits: int = 0
    date: int = field(default_factory=lambda: int(time.time()))

    @property
    def labels(self) -> list[str]:
        return [b["text"] for row in self.inline or [] for b in row]

    def button(self, label: str) -> dict[str, Any]:
        for row in self.inline or []:
            for b in row:
                if b["text"] == label:
                    return b
        raise AssertionError(f"no button {label!r} on message {self.message_id}; there are {self.labels}")


@dataclass
class Failure:
    """An injected failure of the next calls of a method."""

    method: str
    status: int = 500
    description: str = "Internal Server Error"
    retry_after: int | None = None
    hang: float = 0.0  # hang this long and answer nothing useful: a timeout for the client
    times: int = 1

    def error(self) -> BotAPIError:
        return BotAPIError(self.status, self.description, retry_after=self.retry_after)


_SUPPORTED = {"getme", "getupdates", "getfile", "sendmessage", "editmessagetext", "editmessagereplymarkup",
              "answercallbackquery", "sendvenue", "senddocument", "sendphoto", "sendsticker", "sendvoice",
              "sendvideo", "setmycommands", "getmycommands", "deletewebhook", "setwebhook", "getwebhookinfo",
              "sendchataction"}
DOWNLOAD_LIMIT = 20 * 1024 * 1024
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF")
_URL = re.compile(r"^(https?://[^\s/$.?#][^\s]*|tg://\S+)$", re.IGNORECASE)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {name} specified") from None


class FakeBotAPI:
    def __init__(self, token: str = "123456789:TEST-fake-token_abcdefghijklmnopqrstu",
                 username: str = "consult_test_bot", first_name: str = "Консультационная линия") -> None:
        self.token = token
        self.bot_user = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": first_name,
                         "username": username, "can_join_groups": True, "can_read_all_group_messages": False,
                         "supports_inline_queries": False}
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, dict[str, Any]] = {}
        self.sent: dict[int, dict[int, Sent]] = {}  # chat -> message id -> message
        self.transcript: dict[int, list[str]] = {}  # chat -> every text shown, sent or edited, in order
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.blocked: set[int] = set()
        self.failures: list[Failure] = []
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] | None = None
        self.callbacks: dict[str, dict[str, Any]] = {}  # query id -> answer (None until answered)
        self.files: set[str] = set()  # file ids the server knows
        self.contents: dict[str, bytes] = {}  # file id -> the file, for getFile and its download
        self.paths: dict[str, str] = {}  # file_path given by getFile -> file id
        self.downloads: list[str] = []  # file paths downloaded
        self.queue: list[dict[str, Any]] = []  # unconfirmed updates
        self.on_update: Callable[[dict[str, Any]], None] | None = None  # webhook delivery
        self._allowed: list[str] | None = None
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._query_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._poll_generation = 0
        self.closing = False  # the server stops: pending long polls return at once

    # ------------------------------------------------------------------ people and chats
    def user(self, user_id: int, first_name: str | None = None) -> dict[str, Any]:
        if user_id not in self.users:
            self.users[user_id] = {"id": user_id, "is_bot": False, "first_name": first_name or f"Тест{user_id}",
                                   "language_code": "ru"}
        return self.users[user_id]

    def private_chat(self, user_id: int) -> dict[str, Any]:
        user = self.user(user_id)
        return self.chats.setdefault(user_id, {"id": user_id, "type": "private", "first_name": user["first_name"]})

    def add_group(self, chat_id: int, title: str = "Группа", *, forum: bool = False) -> dict[str, Any]:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        chat = {"id": chat_id, "type": kind, "title": title}
        if forum:
            chat["is_forum"] = True
        self.chats[chat_id] = chat
        return chat

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to him fails with 403 from now on."""
        self.blocked.add(user_id)

    def fail(self, method: str, status: int = 500, description: str | None = None, *, retry_after: int | None = None,
             hang: float = 0.0, times: int = 1) -> None:
        default = {429: f"Too Many Requests: retry after {retry_after}", 500: "Internal Server Error",
                   502: "Bad Gateway", 403: "Forbidden: bot was blocked by the user"}
        self.failures.append(Failure(method.lower(), status, description or default.get(status, "Error"),
                                     retry_after, hang, times))

    def take_failure(self, method: str) -> Failure | None:
        for f in self.failures:
            if f.method == method.lower():
                f.times -= 1
                if f.times <= 0:
                    self.failures.remove(f)
                return f
        return None

    # ------------------------------------------------------------------ what the bot sent
    def messages_in(self, chat_id: int) -> list[Sent]:
        return [self.sent[chat_id][k] for k in sorted(self.sent.get(chat_id, {}))]

    def texts(self, chat_id: int) -> list[str]:
        return list(self.transcript.get(chat_id, []))

    def last(self, chat_id: int) -> Sent:
        msgs = self.messages_in(chat_id)
        if not msgs:
            raise AssertionError(f"the bot sent nothing to chat {chat_id}")
        return msgs[-1]

    def last_with_buttons(self, chat_id: int) -> Sent:
        for msg in reversed(self.messages_in(chat_id)):
            if msg.inline:
                return msg
        raise AssertionError(f"no message with buttons in chat {chat_id}; texts: {self.texts(chat_id)[-3:]}")

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until the bot has done something (end-to-end tests: no sleeping)."""
        cond = self._condition()
        async with asyncio.timeout(within), cond:
            await cond.wait_for(predicate)

    async def wait_texts(self, chat_id: int, count: int, within: float = 5.0) -> list[str]:
        try:
            await self.wait_for(lambda: len(self.transcript.get(chat_id, [])) >= count, within)
        except TimeoutError:
            raise AssertionError(f"chat {chat_id}: waited for {count} texts, got {self.texts(chat_id)}") from None
        return self.texts(chat_id)

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _notify(self) -> None:
        cond = self._condition()
        async with cond:
            cond.notify_all()

    # ------------------------------------------------------------------ updates people make
    def _message(self, user_id: int, chat_id: int | None, **content: Any) -> dict[str, Any]:
        chat = self.private_chat(user_id) if chat_id is None or chat_id == user_id else self.chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}: add_group() first")
        self.user(user_id)
        message = {"message_id": self._next_message_id(chat["id"]), "date": int(time.time()), "chat": chat,
                   "from": self.users[user_id], **{k: v for k, v in content.items() if v is not None}}
        return {"update_id": next(self._update_ids), "message": message}

    def make_text(self, user_id: int, text: str, *, chat_id: int | None = None,
                  reply_to_message_id: int | None = None, thread_id: int | None = None) -> dict[str, Any]:
        entities = None
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(text.split()[0])}]
        reply = None
        if reply_to_message_id is not None:
            target = chat_id if chat_id is not None else user_id
            sent = self.sent.get(target, {}).get(reply_to_message_id)
            reply = self._api_message(sent) if sent else {
                "message_id": reply_to_message_id, "date": int(time.time()), "chat": self.chats[target],
                "from": self.user(user_id), "text": "…"}
        extra: dict[str, Any] = {}
        if thread_id is not None:
            extra = {"message_thread_id": thread_id, "is_topic_message": True}
        return self._message(user_id, chat_id, text=text, entities=entities, reply_to_message=reply, **extra)

    def make_contact(self, user_id: int, phone: str, *, own: bool = True) -> dict[str, Any]:
        user = self.user(user_id)
        contact = {"phone_number": phone, "first_name": user["first_name"]}
        if own:
            contact["user_id"] = user_id
        return self._message(user_id, None, contact=contact)

    def _file(self, prefix: str, content: bytes | None = None) -> tuple[str, str]:
        n = next(self._file_ids)
        file_id = f"{prefix}-file-{n:06d}-AgADBAAD"
        self.files.add(file_id)
        if content is not None:
            self.contents[file_id] = content
        return file_id, f"uniq{n}"

    def make_sticker(self, user_id: int) -> dict[str, Any]:
        file_id, uniq = self._file("sticker")
        return self._message(user_id, None, sticker={
            "file_id": file_id, "file_unique_id": uniq, "type": "regular", "width": 512, "height": 512,
            "is_animated": False, "is_video": False, "emoji": "👍"})

    def make_photo(self, user_id: int, caption: str | None = None, *, chat_id: int | None = None,
                   content: bytes | None = None) -> dict[str, Any]:
        """A photo in three sizes; ``content`` is the largest one's file (what getFile gives)."""
        sizes = []
        for w in (90, 320, 1280):
            file_id, uniq = self._file("photo", content if w == 1280 else None)
            sizes.append({"file_id": file_id, "file_unique_id": uniq, "width": w, "height": w * 3 // 4,
                          "file_size": len(content) if content is not None and w == 1280 else w * 100})
        return self._message(user_id, chat_id, photo=sizes, caption=caption)

    def make_document(self, user_id: int, filename: str, mime: str = "application/pdf", size: int = 12345,
                      caption: str | None = None, *, chat_id: int | None = None, content: bytes | None = None,
                      reply_to_message_id: int | None = None, thread_id: int | None = None) -> dict[str, Any]:
        file_id, uniq = self._file("doc", content)
        update = self._message(user_id, chat_id, caption=caption, document={
            "file_id": file_id, "file_unique_id": uniq, "file_name": filename, "mime_type": mime,
            "file_size": len(content) if content is not None else size})
        message = update["message"]
        if reply_to_message_id is not None:
            sent = self.sent.get(message["chat"]["id"], {}).get(reply_to_message_id)
            if sent is not None:
                message["reply_to_message"] = self._api_message(sent)
        if thread_id is not None:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        return update

    def make_voice(self, user_id: int) -> dict[str, Any]:
        file_id, uniq = self._file("voice")
        return self._message(user_id, None, voice={"file_id": file_id, "file_unique_id": uniq, "duration": 3,
                                                   "mime_type": "audio/ogg", "file_size": 5000})

    def make_service(self, user_id: int, chat_id: int) -> dict[str, Any]:
        """Someone joined a group: a service message, not something a person wrote to the bot."""
        return self._message(user_id, chat_id, new_chat_members=[self.user(user_id + 1)])

    def make_press(self, user_id: int, label: str, *, chat_id: int | None = None,
                   message_id: int | None = None) -> dict[str, Any]:
        """A press on the inline button ``label`` of the last message with buttons (or ``message_id``)."""
        chat = chat_id if chat_id is not None else user_id
        msg = self.sent.get(chat, {}).get(message_id) if message_id is not None else self.last_with_buttons(chat)
        if msg is None:
            raise AssertionError(f"no message {message_id} in chat {chat}")
        button = msg.button(label)
        if "callback_data" not in button:
            raise AssertionError(f"button {label!r} is a link to {button.get('url')}, it sends nothing to the bot")
        return self.make_callback(user_id, button["callback_data"], chat_id=chat, message_id=msg.message_id)

    def make_callback(self, user_id: int, data: str, *, chat_id: int | None = None,
                      message_id: int | None = None) -> dict[str, Any]:
        chat = chat_id if chat_id is not None else user_id
        query_id = str(next(self._query_ids) * 7919 + 4_000_000_000)
        self.callbacks[query_id] = {}
        query: dict[str, Any] = {"id": query_id, "from": self.user(user_id), "chat_instance": f"-{abs(chat) * 31 + 7}",
                                 "data": data}
        msg = self.sent.get(chat, {}).get(message_id) if message_id is not None else None
        if msg is not None:
            query["message"] = self._api_message(msg)
        elif message_id is not None:  # too old: Telegram sends an inaccessible message
            query["message"] = {"chat": self.chats.get(chat) or self.private_chat(user_id), "message_id": message_id,
                                "date": 0}
        return {"update_id": next(self._update_ids), "callback_query": query}

    def make_block(self, user_id: int, *, blocked: bool = True) -> dict[str, Any]:
        """The user blocks (or unblocks) the bot: Telegram tells the bot with a my_chat_member update."""
        if blocked:
            self.block(user_id)
        else:
            self.blocked.discard(user_id)
        chat = self.private_chat(user_id)
        member = {"user": self.bot_user, "status": "member"}
        kicked = {**member, "status": "kicked", "until_date": 0}
        return {"update_id": next(self._update_ids), "my_chat_member": {
            "chat": chat, "from": self.users[user_id], "date": int(time.time()),
            "old_chat_member": member if blocked else kicked, "new_chat_member": kicked if blocked else member}}

    async def inject(self, update: dict[str, Any]) -> None:
        """Hand an update to the bot: queued for getUpdates, or posted to the webhook."""
        if self.webhook is not None and self.on_update is not None:
            self.on_update(update)
            return
        self.queue.append(update)
        await self._notify()

    # ------------------------------------------------------------------ methods
    async def call(self, method: str, params: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> Any:
        name = method.lower()
        self.calls.append((method, params))
        if name not in _SUPPORTED:
            raise BotAPIError(404, "Not Found")
        handler = getattr(self, f"_m_{name}")
        try:
            result = await handler(params, files) if name == "getupdates" else handler(params, files)
        finally:
            await self._notify()
        return result

    def _m_getme(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        return self.bot_user

    def _m_getfile(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        """A file for download: bots get files up to 20 MB (larger: "file is too big")."""
        file_id = str(p.get("file_id") or "")
        if file_id not in self.files or file_id not in self.contents:
            raise bad_request("invalid file_id")
        content = self.contents[file_id]
        if len(content) > DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        folder = "photos" if file_id.startswith("photo") else "documents"
        path = f"{folder}/file_{len(self.paths)}.{'jpg' if folder == 'photos' else 'bin'}"
        self.paths[path] = file_id
        return {"file_id": file_id, "file_unique_id": f"u{file_id[-12:]}", "file_size": len(content),
                "file_path": path}

    def download(self, path: str) -> bytes | None:
        """The file at a ``file_path`` getFile gave (``/file/bot<token>/<path>``)."""
        self.downloads.append(path)
        file_id = self.paths.get(path)
        return self.contents.get(file_id) if file_id else None

    async def _m_getupdates(self, p: dict[str, Any], f: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise BotAPIError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                   "use deleteWebhook to delete the webhook first")
        if "allowed_updates" in p:
            self._allowed = _json(p["allowed_updates"]) or None
        offset = _int(p.get("offset", 0), "offset")
        limit = max(1, min(100, _int(p.get("limit", 100), "limit")))
        timeout = _int(p.get("timeout", 0), "timeout")
        self._poll_generation += 1
        mine = self._poll_generation
        if offset:
            self.queue = [u for u in self.queue if u["update_id"] >= offset]
        cond = self._condition()

        def ready() -> bool:
            return bool(self._deliverable()) or self._poll_generation != mine or self.closing

        if not ready() and timeout > 0:
            with_timeout = asyncio.timeout(timeout)
            try:
                async with with_timeout, cond:
                    await cond.wait_for(ready)
            except TimeoutError:
                pass
        if self._poll_generation != mine:
            raise BotAPIError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot "
                                   "instance is running")
        return self._deliverable()[:limit]

    def _deliverable(self) -> list[dict[str, Any]]:
        if self._allowed is None:
            return self.queue
        kept = [u for u in self.queue if any(k in u for k in self._allowed)]
        self.queue = kept
        return kept

    def _chat(self, p: dict[str, Any]) -> dict[str, Any]:
        if "chat_id" not in p:
            raise bad_request("chat_id is empty")
        raw = p["chat_id"]
        chat = self.chats.get(int(raw)) if re.fullmatch(r"-?\d+", str(raw)) else None
        if chat is None:
            raise bad_request("chat not found")
        if chat["type"] == "private" and chat["id"] in self.blocked:
            raise BotAPIError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _thread(self, chat: dict[str, Any], p: dict[str, Any]) -> int | None:
        if p.get("message_thread_id") in (None, ""):
            return None
        if not chat.get("is_forum"):
            raise bad_request("message thread not found")
        return _int(p["message_thread_id"], "message_thread_id")

    def _text(self, raw: Any, parse_mode: Any, *, limit: int, empty: str, too_long: str) -> str:
        text = str(raw or "")
        visible = parse_html(text) if str(parse_mode or "").upper() == "HTML" else text
        visible = visible.strip()
        if not visible:
            raise bad_request(empty)
        if utf16_len(visible) > limit:
            raise bad_request(too_long)
        return visible

    def _markup(self, chat: dict[str, Any], raw: Any, *, inline_only: bool = False
                ) -> tuple[list[list[dict[str, Any]]] | None, dict[str, Any] | None]:
        if raw in (None, ""):
            return None, None
        markup = _json(raw)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if sum(len(r) for r in rows) > MAX_BUTTONS:
                raise bad_request("reply markup is too long")
            for row in rows:
                for b in row:
                    if not b.get("text"):
                        raise bad_request("text buttons are unallowed in the inline keyboard")
                    if "callback_data" in b:
                        if not 1 <= len(str(b["callback_data"]).encode()) <= 64:
                            raise bad_request("BUTTON_DATA_INVALID")
                    elif "url" in b:
                        if not _URL.match(str(b["url"])):
                            raise bad_request("BUTTON_URL_INVALID")
                    else:
                        raise bad_request("text buttons are unallowed in the inline keyboard")
            return rows, None
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for b in row:
                    if b.get("request_contact") and chat["type"] != "private":
                        raise bad_request("KEYBOARD_BUTTON_REQUEST_CONTACT is not allowed in groups")
            return None, markup
        if markup.get("remove_keyboard"):
            return None, markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _next_message_id(self, chat_id: int) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        return next(counter)

    def _store(self, chat: dict[str, Any], kind: str, p: dict[str, Any], **fields: Any) -> dict[str, Any]:
        inline, keyboard = self._markup(chat, p.get("reply_markup"))
        thread = self._thread(chat, p)
        msg = Sent(chat_id=chat["id"], message_id=self._next_message_id(chat["id"]), kind=kind, inline=inline,
                   keyboard=keyboard, thread_id=thread, **fields)
        self.sent.setdefault(chat["id"], {})[msg.message_id] = msg
        shown = msg.text if kind == "text" else f"[{kind}] {msg.text}".rstrip()
        if kind == "venue" and msg.venue:
            shown = f"[venue] {msg.venue['title']}: {msg.venue['address']}"
        elif msg.filename:
            shown = f"[{kind} {msg.filename}] {msg.text}".rstrip()
        self.transcript.setdefault(chat["id"], []).append(shown)
        return self._api_message(msg)

    def _api_message(self, msg: Sent) -> dict[str, Any]:
        out: dict[str, Any] = {"message_id": msg.message_id, "date": msg.date, "chat": self.chats[msg.chat_id],
                               "from": self.bot_user}
        if msg.thread_id is not None:
            out.update(message_thread_id=msg.thread_id, is_topic_message=True)
        if msg.kind == "text":
            out["text"] = msg.text
        elif msg.text:
            out["caption"] = msg.text
        if msg.edits:
            out["edit_date"] = msg.date + msg.edits
        if msg.inline:
            out["reply_markup"] = {"inline_keyboard": msg.inline}
        if msg.venue:
            out["venue"] = msg.venue
            out["location"] = msg.venue["location"]
        file = {"file_id": msg.file_id, "file_unique_id": f"u{msg.message_id}"}
        if msg.kind == "document":
            out["document"] = {**file, "file_name": msg.filename, "file_size": len(msg.content or b"")}
        elif msg.kind == "photo":
            out["photo"] = [{**file, "width": 800, "height": 600}]
        elif msg.kind == "sticker":
            out["sticker"] = {**file, "type": "regular", "width": 512, "height": 512, "is_animated": False,
                              "is_video": False}
        elif msg.kind == "voice":
            out["voice"] = {**file, "duration": 3}
        elif msg.kind == "video":
            out["video"] = {**file, "width": 640, "height": 480, "duration": 3}
        return out

    def _m_sendmessage(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p)
        text = self._text(p.get("text"), p.get("parse_mode"), limit=TEXT_LIMIT, empty="message text is empty",
                          too_long="message is too long")
        return self._store(chat, "text", p, text=text, html=p.get("text"))

    def _m_sendvenue(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(p)
        for key in ("latitude", "longitude", "title", "address"):
            if p.get(key) in (None, ""):
                raise bad_request(f"{key} is empty" if key in ("title", "address") else "wrong coordinates")
        lat, lon = float(p["latitude"]), float(p["longitude"])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise bad_request("wrong coordinates")
        venue = {"location": {"latitude": lat, "longitude": lon}, "title": p["title"], "address": p["address"]}
        return self._store(chat, "venue", p, venue=venue)

    def _upload(self, kind: str, p: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        chat = self._chat(p)
        ref = str(p.get(kind) or "")
        caption = ""
        if p.get("caption"):
            caption = self._text(p["caption"], p.get("parse_mode"), limit=CAPTION_LIMIT, empty="caption is empty",
                                 too_long="message caption is too long")
        if ref.startswith("attach://"):
            if ref[9:] not in files:
                raise bad_request("wrong file identifier/HTTP URL specified")
            filename, content = files[ref[9:]]
            if not content:
                raise bad_request("file must be non-empty")
            if kind == "photo" and not content.startswith(_IMAGE_MAGIC):
                raise bad_request("IMAGE_PROCESS_FAILED")
            file_id, _ = self._file(kind, content)
            return self._store(chat, kind, p, text=caption, filename=filename, content=content, file_id=file_id)
        if ref not in self.files or not ref.startswith(("photo", "doc", "sticker", "voice", "video")):
            raise bad_request("wrong file identifier/HTTP URL specified")
        expected = {"photo": ("photo",), "document": ("doc", "photo", "voice", "video"), "sticker": ("sticker",),
                    "voice": ("voice",), "video": ("video",)}[kind]
        if not ref.startswith(expected):
            raise bad_request("wrong type of the web page content")
        return self._store(chat, kind, p, text=caption, file_id=ref)

    def _m_senddocument(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        return self._upload("document", p, f)

    def _m_sendphoto(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        return self._upload("photo", p, f)

    def _m_sendsticker(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        return self._upload("sticker", p, f)

    def _m_sendvoice(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        return self._upload("voice", p, f)

    def _m_sendvideo(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        return self._upload("video", p, f)

    def _target(self, p: dict[str, Any]) -> Sent:
        if p.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._chat(p)
        msg = self.sent.get(chat["id"], {}).get(_int(p.get("message_id"), "message_id"))
        if msg is None:
            raise bad_request("message to edit not found")
        return msg

    def _m_editmessagetext(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        msg = self._target(p)
        if msg.kind != "text":
            raise bad_request("there is no text in the message to edit")
        text = self._text(p.get("text"), p.get("parse_mode"), limit=TEXT_LIMIT, empty="message text is empty",
                          too_long="message is too long")
        inline, _ = self._markup(self.chats[msg.chat_id], p.get("reply_markup"), inline_only=True)
        if text == msg.text and p.get("text") == msg.html and inline == msg.inline:
            raise bad_request("message is not modified: specified new message content and reply markup are exactly "
                              "the same as a current content and reply markup of the message")
        msg.text, msg.html, msg.inline, msg.edits = text, p.get("text"), inline, msg.edits + 1
        self.transcript.setdefault(msg.chat_id, []).append(text)
        return self._api_message(msg)

    def _m_editmessagereplymarkup(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        msg = self._target(p)
        inline, _ = self._markup(self.chats[msg.chat_id], p.get("reply_markup"), inline_only=True)
        if inline == msg.inline:
            raise bad_request("message is not modified: specified new message content and reply markup are exactly "
                              "the same as a current content and reply markup of the message")
        msg.inline, msg.edits = inline, msg.edits + 1
        return self._api_message(msg)

    def _m_answercallbackquery(self, p: dict[str, Any], f: dict[str, Any]) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if self.callbacks.get(query_id) != {}:  # unknown, or answered already
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = str(p.get("text") or "")
        if len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callbacks[query_id] = {"text": text, "show_alert": str(p.get("show_alert", "")).lower() == "true"}
        return True

    def _m_setmycommands(self, p: dict[str, Any], f: dict[str, Any]) -> bool:
        commands = _json(p.get("commands") or "[]")
        if len(commands) > 100:
            raise bad_request("too many commands")
        for c in commands:
            if not _COMMAND.match(str(c.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", ""))) <= 256:
                raise bad_request("command description must be 1-256 characters")
        scope = _json(p.get("scope") or '{"type": "default"}')
        key = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
        if "chat_id" in scope and _int(scope["chat_id"], "chat_id") not in self.chats:
            raise bad_request("chat not found")
        self.commands[key] = commands
        return True

    def _m_getmycommands(self, p: dict[str, Any], f: dict[str, Any]) -> list[dict[str, str]]:
        scope = _json(p.get("scope") or '{"type": "default"}')
        return self.commands.get(scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else ""), [])

    def _m_deletewebhook(self, p: dict[str, Any], f: dict[str, Any]) -> bool:
        self.webhook = None
        if str(p.get("drop_pending_updates", "")).lower() == "true":
            self.queue.clear()
        return True

    def _m_setwebhook(self, p: dict[str, Any], f: dict[str, Any]) -> bool:
        url = str(p.get("url") or "")
        if not url:
            return self._m_deletewebhook(p, f)
        if not re.match(r"^https?://", url):
            raise bad_request("bad webhook: Wrong URL host")
        secret = p.get("secret_token")
        if secret is not None and not _SECRET.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": _json(p.get("allowed_updates"))}
        return True

    def _m_getwebhookinfo(self, p: dict[str, Any], f: dict[str, Any]) -> dict[str, Any]:
        return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                "pending_update_count": len(self.queue)}

    def _m_sendchataction(self, p: dict[str, Any], f: dict[str, Any]) -> bool:
        chat = self._chat(p)
        self._thread(chat, p)
        if p.get("action") not in ("typing", "upload_photo", "upload_document", "find_location", "record_voice",
                                   "upload_voice", "record_video", "upload_video", "choose_sticker"):
            raise bad_request("wrong parameter action in request")
        return True


# ---------------------------------------------------------------------------- over HTTP
class FakeTelegramServer:
    """``async with FakeTelegramServer() as tg:`` — ``tg.base_url`` for ``TELEGRAM_API_SERVER``."""

    def __init__(self, api: FakeBotAPI | None = None) -> None:
        self.api = api or FakeBotAPI()
        self.api.on_update = self._post_later
        self.base_url = ""
        self.webhook_answers: list[tuple[int, int]] = []  # (update id, HTTP status) of webhook posts
        self._runner: web.AppRunner | None = None
        self._client: ClientSession | None = None
        self._posts: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._poster: asyncio.Task[None] | None = None

    async def __aenter__(self) -> FakeTelegramServer:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._client = ClientSession(timeout=ClientTimeout(total=10))
        self._poster = asyncio.create_task(self._post_loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.api.closing = True
        await self.api._notify()
        if self._poster:
            self._poster.cancel()
        if self._client:
            await self._client.close()
        if self._runner:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.api.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str, bytes]] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = (value.filename, value.file.read())
                else:
                    params[key] = value
        failure = self.api.take_failure(method)
        if failure is not None:
            self.api.calls.append((method, params))
            if failure.hang:
                await asyncio.sleep(failure.hang)  # the client gives up first; nothing was done
                return web.json_response({"ok": False, "error_code": 504, "description": "Gateway Timeout"},
                                         status=504)
            return web.json_response(failure.error().body(), status=failure.status)
        try:
            result = await self.api.call(method, params, files)
        except BotAPIError as exc:
            return web.json_response(exc.body(), status=exc.code)
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.api.token:
            return web.Response(status=401, text="Unauthorized")
        content = self.api.download(request.match_info["path"])
        if content is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=content, content_type="application/octet-stream")

    # ------------------------------------------------------------------ webhook delivery
    def _post_later(self, update: dict[str, Any]) -> None:
        self._posts.put_nowait(update)

    async def _post_loop(self) -> None:
        while True:
            update = await self._posts.get()
            try:
                status = await self.post_update(update)
            except Exception:
                status = -1
            self.webhook_answers.append((update["update_id"], status))
            await self.api._notify()

    async def post_update(self, update: dict[str, Any], *, secret: str | None = None) -> int:
        """POST one update to the webhook as Telegram does; ``secret`` overrides the header value."""
        assert self._client is not None and self.api.webhook is not None, "no webhook is set"
        headers = {}
        value = secret if secret is not None else self.api.webhook.get("secret_token")
        if value is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = value
        async with self._client.post(self.api.webhook["url"], json=update, headers=headers) as resp:
            await resp.read()
            return resp.status

    # ------------------------------------------------------------------ what people do (end-to-end)
    async def send_text(self, user_id: int, text: str, **kwargs: Any) -> None:
        await self.api.inject(self.api.make_text(user_id, text, **kwargs))

    async def press(self, user_id: int, label: str, **kwargs: Any) -> None:
        await self.api.inject(self.api.make_press(user_id, label, **kwargs))

    async def share_contact(self, user_id: int, phone: str) -> None:
        await self.api.inject(self.api.make_contact(user_id, phone))

"""A thin typed client of the MAX Bot API on aiohttp: the only module that speaks HTTP to MAX.

Methods follow the operations of the official description (``GET /me``, ``GET /updates``,
``/subscriptions``, ``/messages``, ``POST /answers``, ``POST /uploads``, ``GET /chats/{id}``) and
take and return the JSON objects typed in ``bot.channels.max.types``.

Written by hand rather than with the ``maxapi`` package (1.2.3, measured December 2026): its
``send_message`` costs 0.61-0.74 ms of CPU against 0.37-0.42 ms here (pydantic models built,
dumped and parsed on every call; the target is 1 ms for a whole update); it adds 5.4 MB to a
MAX+VK process (180 modules: dispatcher, FSM, filters); uploads from memory append a guessed
extension to the name (``priem.ics`` arrives as ``priem.ics.ics``); it refuses a text of exactly
4000 characters, checks long polls against the schema's 1000/90 instead of MAX's 100/30, has no
429 handling and retries POSTs on 502-504 on its own; its update parser logs whole payloads
(people's texts and phones) when one does not parse. Its secret check lives in its own webhook
servers; ours shares the bot's aiohttp server.

What the client does for every caller:
- the token goes in the ``Authorization`` header (MAX no longer accepts it in the query string);
- every call waits for a slot of about 30 requests a second per bot, and every new message for a
  slot of 2 a second in its chat, so that an answer of several messages never meets a 429;
- a 429 is honoured (``Retry-After`` if given) and makes every caller wait; 429, 5xx and network
  errors are retried with growing pauses up to ``attempts`` calls, then raised as transient;
- a message whose uploaded file is still being processed (``attachment.not.ready``) is sent again
  after growing pauses.
Nothing a person wrote is logged: only methods, paths, statuses and error codes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, cast

import aiohttp

from bot.channels.max.types import (
    AttachmentRequest,
    BotInfo,
    Chat,
    ChatMember,
    Message,
    MessageList,
    NewMessageBody,
    SendMessageResult,
    SimpleQueryResult,
    Subscription,
    UpdateList,
    UploadEndpoint,
    UploadType,
)
from bot.pacing import Pacer

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://platform-api2.max.ru"  # ``servers`` of the official description
UPDATES_LIMIT = 100  # GET /updates: at most 100 updates a call since May 2026 (the schema says 1000)
UPDATES_TIMEOUT = 30  # ... and a long-poll wait of at most 30 s (the schema says 90)
API_RPS = 30.0  # requests a second per bot
CHAT_MESSAGES_PER_S = 2.0  # new messages a second in one chat
NOT_READY = "attachment.not.ready"

Json = dict[str, Any]


class MaxApiError(Exception):
    """An answer other than success: the HTTP status (0: no answer at all), MAX's error ``code``
    and ``message``, and the pause MAX asked for, if any."""

    def __init__(self, status: int, code: str, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(f"{status} {code}: {message}" if message else f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.sent: list[Message] = []  # ``send.deliver``: the messages of a reply sent before this failure

    @property
    def transient(self) -> bool:
        """Worth trying again later: rate limit, server trouble, no answer, a file not processed yet."""
        return self.status in (0, 429) or self.status >= 500 or self.code == NOT_READY


def _ssl_context(ca_file: str | os.PathLike[str] | None) -> ssl.SSLContext | None:
    """The system's trust store, plus ``ca_file`` (MAX's servers may present a certificate of the
    Russian Trusted Root CA, which many systems do not trust by default)."""
    if ca_file is None:
        return None
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=ca_file)
    return context


def _query(params: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple)):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


class MaxApi:
    """One bot's connection to the MAX Bot API (one aiohttp session, opened on first use)."""

    def __init__(self, token: str, base_url: str = DEFAULT_API_URL, *, rps: float = 28.0,
                 chat_interval: float = 0.55, attempts: int = 5, retry_delay: float = 1.0,
                 max_retry_after: float = 60.0, request_timeout: float = 30.0,
                 ready_delays: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0),
                 ca_file: str | os.PathLike[str] | None = None, pacer: Pacer | None = None,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        if not token:
            raise ValueError("a MAX bot token is required")
        self._auth = {"Authorization": token}
        self.base_url = base_url.rstrip("/")
        # 2 messages a second in a chat is a gap of 0.5 s; a little more keeps jitter off the limit.
        self.pacer = pacer or Pacer(rps, per_chat=chat_interval)
        self.attempts = attempts
        self.retry_delay = retry_delay
        self.max_retry_after = max_retry_after
        self.request_timeout = request_timeout
        self.ready_delays = tuple(ready_delays)
        self._ssl = _ssl_context(ca_file)
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(ssl=self._ssl if self._ssl is not None else True)
            self._session = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=10))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- the call, its pacing and retries -----------------------------------------------------------
    async def _once(self, method: str, url: str, *, params: dict[str, str] | None = None,
                    body: Any = None, data: aiohttp.FormData | None = None, auth: bool = True,
                    seconds: float | None = None) -> Json:
        headers = dict(self._auth) if auth else {}
        payload: bytes | aiohttp.FormData | None = data
        if body is not None:
            payload = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        try:
            async with self._http().request(
                    method, url, params=params, data=payload, headers=headers,
                    timeout=aiohttp.ClientTimeout(total=seconds or self.request_timeout)) as response:
                text = await response.text()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise MaxApiError(0, "network", type(exc).__name__) from exc
        try:
            answer = json.loads(text) if text else {}
        except ValueError:
            answer = None
        if 200 <= status < 300 and isinstance(answer, dict):
            return answer
        if not isinstance(answer, dict):
            raise MaxApiError(status, f"http.{status}", "the answer is not JSON")
        pause = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else None
        raise MaxApiError(status, str(answer.get("code") or f"http.{status}"), str(answer.get("message") or ""),
                          pause)

    async def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
                    chat: tuple[str, int] | None = None, attempts: int | None = None,
                    seconds: float | None = None) -> Json:
        """One API call: waits for its slot (in ``chat`` too, for a new message), retries what is
        worth retrying, raises ``MaxApiError`` otherwise."""
        tries = attempts or self.attempts
        for attempt in range(1, tries + 1):
            await (self.pacer.wait(chat) if chat is not None else self.pacer.wait_call())
            try:
                return await self._once(method, self.base_url + path, params=_query(params or {}), body=body,
                                        seconds=seconds)
            except MaxApiError as exc:
                if not self._retry(exc, attempt, tries, method, path):
                    raise
                await self._sleep(self._pause(exc, attempt))
        raise AssertionError("unreachable")

    def _retry(self, exc: MaxApiError, attempt: int, tries: int, method: str, path: str) -> bool:
        if exc.code == NOT_READY or not exc.transient or attempt >= tries:
            return False
        pause = self._pause(exc, attempt)
        if exc.status == 429:
            if pause > self.max_retry_after:
                return False
            self.pacer.hold(pause)  # everyone waits, not only this call
        log.warning("MAX %s %s: %s %s, try %d of %d in %.1f s", method, path, exc.status, exc.code, attempt + 1,
                    tries, pause)
        return True

    def _pause(self, exc: MaxApiError, attempt: int) -> float:
        if exc.retry_after is not None:
            return exc.retry_after
        return self.retry_delay * 2 ** (attempt - 1)

    async def _until_ready(self, send: Callable[[], Awaitable[Json]]) -> Json:
        """Send again while MAX is still processing an uploaded file of the message."""
        for delay in (*self.ready_delays, None):
            try:
                return await send()
            except MaxApiError as exc:
                if exc.code != NOT_READY or delay is None:
                    raise
                log.info("MAX: an uploaded file is not processed yet, sending again in %.1f s", delay)
                await self._sleep(delay)
        raise AssertionError("unreachable")

    @staticmethod
    def _success(answer: Json) -> None:
        result = cast(SimpleQueryResult, answer)
        if not result.get("success"):
            raise MaxApiError(200, "not.success", str(result.get("message") or ""))

    # --- the bot ---------------------------------------------------------------------------------------
    async def get_me(self) -> BotInfo:
        return cast(BotInfo, await self._call("GET", "/me"))

    # --- receiving -------------------------------------------------------------------------------------
    async def get_updates(self, marker: int | None = None, *, limit: int = UPDATES_LIMIT,
                          timeout: int = 25, types: Iterable[str] | None = None) -> UpdateList:  # noqa: ASYNC109
        """Updates after ``marker`` (the one of the previous answer), waiting up to ``timeout`` s.

        Called once: the long-poll loop decides how to go on after an error."""
        if not 1 <= limit <= UPDATES_LIMIT or not 0 <= timeout <= UPDATES_TIMEOUT:
            raise ValueError(f"limit 1-{UPDATES_LIMIT} and timeout 0-{UPDATES_TIMEOUT} s are what MAX accepts")
        params = {"marker": marker, "limit": limit, "timeout": timeout, "types": list(types) if types else None}
        answer = await self._call("GET", "/updates", params=params, chat=("updates", 0), attempts=1,
                                  seconds=timeout + 15)
        return cast(UpdateList, answer)

    async def subscriptions(self) -> list[Subscription]:
        answer = await self._call("GET", "/subscriptions")
        return cast(list[Subscription], answer.get("subscriptions") or [])

    async def subscribe(self, url: str, *, secret: str | None = None,
                        update_types: Iterable[str] | None = None) -> None:
        """Deliver updates to ``url`` (HTTPS, port 443), each with ``secret`` in the
        ``X-Max-Bot-Api-Secret`` header. Long polling stops working while subscribed."""
        body: Json = {"url": url}
        if secret:
            body["secret"] = secret
        if update_types:
            body["update_types"] = list(update_types)
        self._success(await self._call("POST", "/subscriptions", body=body))

    async def unsubscribe(self, url: str) -> None:
        self._success(await self._call("DELETE", "/subscriptions", params={"url": url}))

    # --- messages --------------------------------------------------------------------------------------
    async def send_message(self, body: NewMessageBody, *, chat_id: int | None = None, user_id: int | None = None,
                           disable_link_preview: bool | None = None) -> Message:
        """A new message in a chat (``chat_id``, a dialogue too) or to a person (``user_id``)."""
        if (chat_id is None) == (user_id is None):
            raise ValueError("exactly one of chat_id and user_id")
        where = ("chat", chat_id) if chat_id is not None else ("user", user_id)
        params = {"chat_id": chat_id, "user_id": user_id, "disable_link_preview": disable_link_preview}

        async def send() -> Json:
            return await self._call("POST", "/messages", params=params, body=body, chat=cast(tuple[str, int], where))

        return cast(SendMessageResult, await self._until_ready(send))["message"]

    async def edit_message(self, mid: str, body: NewMessageBody, *, chat_id: int | None = None) -> None:
        """New content of the bot's message ``mid``; ``attachments: None`` keeps the old ones. With
        ``chat_id`` the edit waits for a slot of that chat like a new message."""
        chat = ("chat", chat_id) if chat_id is not None else None

        async def send() -> Json:
            return await self._call("PUT", "/messages", params={"message_id": mid}, body=body, chat=chat)

        self._success(await self._until_ready(send))

    async def delete_message(self, mid: str) -> None:
        self._success(await self._call("DELETE", "/messages", params={"message_id": mid}))

    async def get_message(self, mid: str) -> Message:
        return cast(Message, await self._call("GET", f"/messages/{mid}"))

    async def get_messages(self, *, chat_id: int | None = None, message_ids: Sequence[str] | None = None,
                           count: int | None = None) -> list[Message]:
        params = {"chat_id": chat_id, "message_ids": list(message_ids) if message_ids else None, "count": count}
        return cast(MessageList, await self._call("GET", "/messages", params=params))["messages"]

    async def answer_callback(self, callback_id: str, *, message: NewMessageBody | None = None,
                              notification: str | None = None, chat_id: int | None = None) -> None:
        """Answer a button press: replace the message with the button, and/or show a short notice.
        MAX takes at most 2 answers a second in a chat: with ``chat_id`` the answer waits for a
        slot of that chat, shared with its new messages."""
        if message is None and notification is None:
            raise ValueError("an answer needs a message or a notification")
        body: Json = {}
        if message is not None:
            body["message"] = message
        if notification is not None:
            body["notification"] = notification

        async def send() -> Json:
            return await self._call("POST", "/answers", params={"callback_id": callback_id}, body=body,
                                    chat=("chat", chat_id) if chat_id is not None else None)

        self._success(await self._until_ready(send))

    # --- files -----------------------------------------------------------------------------------------
    async def upload(self, kind: UploadType, filename: str, content: bytes,
                     mime: str = "application/octet-stream") -> AttachmentRequest:
        """Upload a file (``POST /uploads``, then the bytes to the URL it gives) and return the
        attachment to put into a message. The file may need a moment before MAX accepts it in a
        message: ``send_message`` waits for that."""
        for attempt in range(1, self.attempts + 1):
            endpoint = cast(UploadEndpoint, await self._call("POST", "/uploads", params={"type": kind}))
            form = aiohttp.FormData()
            form.add_field("data", content, filename=filename, content_type=mime)
            await self.pacer.wait_call()
            try:
                # The upload URL is on another host and carries its own signature: no token there.
                answer = await self._once("POST", endpoint["url"], data=form, auth=False)
            except MaxApiError as exc:
                if not self._retry(exc, attempt, self.attempts, "POST", "<upload url>"):
                    raise
                await self._sleep(self._pause(exc, attempt))
                continue
            token = self._upload_token(kind, endpoint, answer)
            return {"type": kind, "payload": {"token": token}}
        raise AssertionError("unreachable")

    @staticmethod
    def _upload_token(kind: UploadType, endpoint: UploadEndpoint, answer: Json) -> str:
        if kind in ("video", "audio") and endpoint.get("token"):
            return str(endpoint["token"])  # known before the upload
        if isinstance(answer.get("token"), str):
            return str(answer["token"])  # file
        photos = answer.get("photos")
        if isinstance(photos, dict):  # image: {"photos": {"<id>": {"token": ...}}}
            for photo in photos.values():
                if isinstance(photo, dict) and isinstance(photo.get("token"), str):
                    return str(photo["token"])
        raise MaxApiError(200, "upload.no.token", "the upload server gave no token")

    async def download(self, url: str, *, limit: int) -> bytes:
        """The content of a file a person sent (its ``payload.url``), at most ``limit`` bytes."""
        await self.pacer.wait_call()
        try:
            async with self._http().get(url, timeout=aiohttp.ClientTimeout(total=self.request_timeout * 4)) as resp:
                if resp.status != 200:
                    raise MaxApiError(resp.status, f"http.{resp.status}", "download failed")
                data = await resp.content.read(limit + 1)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise MaxApiError(0, "network", type(exc).__name__) from exc
        if len(data) > limit:
            raise MaxApiError(413, "file.too.large", f"over {limit} bytes")
        return data

    # --- chats -----------------------------------------------------------------------------------------
    async def get_chat(self, chat_id: int) -> Chat:
        return cast(Chat, await self._call("GET", f"/chats/{chat_id}"))

    async def get_membership(self, chat_id: int) -> ChatMember:
        """The bot in a group chat: whether it is an administrator and with which permissions."""
        return cast(ChatMember, await self._call("GET", f"/chats/{chat_id}/members/me"))


def reads_all_messages(member: ChatMember) -> bool:
    """A staff chat works only if the bot sees every message there (replies to cards, commands):
    MAX sends a bot the chat's messages when it is an administrator with ``read_all_messages``."""
    return bool(member.get("is_admin")) and "read_all_messages" in (member.get("permissions") or [])

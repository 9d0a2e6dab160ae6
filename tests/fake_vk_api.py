"""A fake VK API over real HTTP (aiohttp on 127.0.0.1, a random port) for tests of the VK channel.

Real ``vk_api`` talks to it: ``redirecting_session()`` gives a requests session whose adapter
sends ``https://api.vk.ru/...`` here; the long-poll URL comes from ``groups.getLongPollServer``.

It implements ``groups.getLongPollServer`` and the ``a_check`` long poll (events numbered like
VK's ``ts``, waiting up to ``wait``), ``messages.send`` (recorded with the time of arrival on
this server's clock, duplicates by ``random_id`` shown once), ``messages.sendMessageEventAnswer``
and the uploads of documents and photos. Faults are injected: ``failed`` 1/2/3, a dropped
connection, broken JSON, a stalled answer; API errors 6/9/14/29/901/902 and others.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from aiohttp import web
from requests.adapters import HTTPAdapter

API_HOST = "https://api.vk.ru"


class RedirectAdapter(HTTPAdapter):
    """Sends requests for the VK API host to the fake server instead (plain HTTP on loopback)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


@dataclass
class Sent:
    """A message the bot sent, as the person would get it."""

    id: int
    peer_id: int
    text: str
    keyboard: dict | None
    lat: float | None
    long: float | None
    attachment: str | None
    random_id: int
    at: float
    params: dict[str, str] = field(repr=False, default_factory=dict)

    def buttons(self) -> list[dict]:
        if not self.keyboard:
            return []
        return [b["action"] for row in self.keyboard.get("buttons", []) for b in row]

    def labels(self) -> list[str]:
        return [b["label"] for b in self.buttons()]


@dataclass
class Call:
    method: str
    params: dict[str, str]
    at: float


class FakeVk:
    def __init__(self, group_id: int = 77, token: str = "vk-test-token") -> None:
        self.group_id = group_id
        self.token = token
        self.base_url = ""
        self.key = "k1"
        self._keys = itertools.count(2)
        self.next_ts = 1
        self.events: list[tuple[int, dict]] = []
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.lp_requests: list[dict[str, str]] = []
        self.event_answers: list[dict[str, str]] = []
        self.uploads: dict[str, tuple[str, bytes]] = {}
        self.lp_faults: deque[Any] = deque()
        self.api_errors: dict[str, deque[int]] = defaultdict(deque)
        self.forbidden: dict[int, int] = {}
        self.drop_after_send = 0  # drop the connection after storing this many messages
        self._by_random: dict[tuple[int, int], int] = {}
        self._ids = itertools.count(1001)
        self._event_ids = itertools.count(1)
        self._cmids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # --- server
    async def start(self) -> FakeVk:
        app = web.Application()
        app.router.add_post("/method/{name}", self._method)
        app.router.add_get("/lp", self._long_poll)
        app.router.add_post("/upload/{kind}", self._upload)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        self.wake()
        if self._runner is not None:
            await self._runner.cleanup()

    def session(self) -> requests.Session:
        """A requests session for ``vk_api.VkApi``: the API host is redirected here."""
        s = requests.Session()
        s.mount(API_HOST, RedirectAdapter(self.base_url))
        return s

    def wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # --- what people do
    def _push(self, kind: str, obj: dict) -> str:
        event_id = f"ev{next(self._event_ids)}"
        self.events.append((self.next_ts, {"type": kind, "event_id": event_id, "v": "5.199", "object": obj,
                                           "group_id": self.group_id}))
        self.next_ts += 1
        self.wake()
        return event_id

    def push_message(self, from_id: int, text: str = "", *, peer_id: int | None = None, payload: Any = None,
                     attachments: list[dict] | None = None, geo: dict | None = None,
                     reply_message: dict | None = None, client_info: dict | None = None) -> str:
        peer = peer_id or from_id
        message: dict[str, Any] = {"id": next(self._ids) if peer < 2_000_000_000 else 0, "date": int(time.time()),
                                   "peer_id": peer, "from_id": from_id, "text": text,
                                   "conversation_message_id": next(self._cmids[peer]),
                                   "attachments": attachments or [], "fwd_messages": [], "important": False,
                                   "is_hidden": False, "out": 0}
        if payload is not None:
            message["payload"] = payload if isinstance(payload, str) else json.dumps(payload)
        if geo is not None:
            message["geo"] = geo
        if reply_message is not None:
            message["reply_message"] = reply_message
        info = client_info or {"button_actions": ["text", "vkpay", "open_app", "location", "open_link",
                                                  "callback", "intent_subscribe", "intent_unsubscribe"],
                               "keyboard": True, "inline_keyboard": True, "carousel": True, "lang_id": 0}
        return self._push("message_new", {"message": message, "client_info": info})

    def push_callback(self, user_id: int, payload: Any, *, peer_id: int | None = None,
                      cmid: int | None = None) -> str:
        return self._push("message_event", {"user_id": user_id, "peer_id": peer_id or user_id,
                                            "event_id": f"cb{len(self.events)}x{user_id}", "payload": payload,
                                            "conversation_message_id": cmid or 1})

    def push_other(self, kind: str, obj: dict) -> str:
        return self._push(kind, obj)

    # --- faults
    def inject(self, fault: Any) -> None:
        """The next long-poll answer (a waiting one too): {"failed": n}, "drop", "broken", ("stall", s)."""
        self.lp_faults.append(fault)
        self.wake()

    def fail_next(self, method: str, code: int, times: int = 1) -> None:
        self.api_errors[method].extend([code] * times)

    # --- what the bot did
    def sent_to(self, peer_id: int) -> list[Sent]:
        return [m for m in self.sent if m.peer_id == peer_id]

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # --- handlers
    @staticmethod
    def _error(code: int, msg: str, **more: Any) -> web.Response:
        return web.json_response({"error": {"error_code": code, "error_msg": msg, "request_params": [], **more}})

    async def _method(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.calls.append(Call(name, form, time.monotonic()))
        if form.get("access_token") != self.token:
            return self._error(5, "User authorization failed: invalid access_token (4).")
        if self.api_errors[name]:
            code = self.api_errors[name].popleft()
            extra = {"captcha_sid": "123", "captcha_img": f"{self.base_url}/captcha.php?sid=123"} if code == 14 else {}
            return self._error(code, f"injected error {code}", **extra)
        handler = getattr(self, "_m_" + name.replace(".", "_"), None)
        if handler is None:
            return self._error(3, f"Unknown method passed: {name}")
        return await handler(request, form)

    async def _m_groups_getLongPollServer(self, request: web.Request, form: dict[str, str]) -> web.StreamResponse:
        if int(form.get("group_id", 0)) != self.group_id:
            return self._error(100, "One of the parameters specified was missing or invalid: group_id")
        return web.json_response({"response": {"key": self.key, "server": f"{self.base_url}/lp",
                                               "ts": str(self.next_ts)}})

    async def _m_messages_send(self, request: web.Request, form: dict[str, str]) -> web.StreamResponse:
        peer = int(form["peer_id"])
        if peer in self.forbidden:
            code = self.forbidden[peer]
            return self._error(code, "Can't send messages for users without permission" if code == 901
                               else "Can't send messages to this user due to their privacy settings")
        random_id = int(form.get("random_id", "0"))
        known = self._by_random.get((peer, random_id)) if random_id else None
        if known is None:
            known = next(self._ids)
            keyboard = json.loads(form["keyboard"]) if form.get("keyboard") else None
            self.sent.append(Sent(known, peer, form.get("message", ""), keyboard,
                                  float(form["lat"]) if "lat" in form else None,
                                  float(form["long"]) if "long" in form else None,
                                  form.get("attachment"), random_id, time.monotonic(), form))
            if random_id:
                self._by_random[(peer, random_id)] = known
        if self.drop_after_send:
            self.drop_after_send -= 1
            return await self._drop(request)
        return web.json_response({"response": known})

    async def _m_messages_sendMessageEventAnswer(self, request: web.Request,
                                                 form: dict[str, str]) -> web.StreamResponse:
        self.event_answers.append(form)
        return web.json_response({"response": 1})

    async def _m_docs_getMessagesUploadServer(self, request: web.Request,
                                              form: dict[str, str]) -> web.StreamResponse:
        return web.json_response({"response": {"upload_url": f"{self.base_url}/upload/doc"}})

    async def _m_photos_getMessagesUploadServer(self, request: web.Request,
                                                form: dict[str, str]) -> web.StreamResponse:
        return web.json_response({"response": {"upload_url": f"{self.base_url}/upload/photo", "album_id": -3,
                                               "group_id": self.group_id}})

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        data = await request.post()
        part = data.get("file" if kind == "doc" else "photo")
        if not isinstance(part, web.FileField):
            return web.json_response({"error": "no file"})
        token = f"{kind}-{len(self.uploads) + 1}"
        self.uploads[token] = (part.filename, part.file.read())
        if kind == "doc":
            return web.json_response({"file": token})
        return web.json_response({"server": 1, "photo": json.dumps([{"token": token}]), "hash": "h"})

    async def _m_docs_save(self, request: web.Request, form: dict[str, str]) -> web.StreamResponse:
        if form.get("file") not in self.uploads:
            return self._error(100, "file is invalid")
        return web.json_response({"response": {"type": "doc", "doc": {
            "id": int(form["file"].split("-")[1]), "owner_id": -self.group_id, "title": form.get("title", ""),
            "access_key": "dk"}}})

    async def _m_photos_saveMessagesPhoto(self, request: web.Request, form: dict[str, str]) -> web.StreamResponse:
        token = json.loads(form["photo"])[0]["token"]
        return web.json_response({"response": [{"id": int(token.split("-")[1]), "owner_id": -self.group_id,
                                                "access_key": "pk"}]})

    async def _drop(self, request: web.Request) -> web.StreamResponse:
        assert request.transport is not None
        request.transport.abort()  # the client sees the connection reset, without an answer
        return web.Response()

    async def _long_poll(self, request: web.Request) -> web.StreamResponse:
        q = request.query
        self.lp_requests.append({**q, "_at": str(time.monotonic())})
        if q.get("act") != "a_check":
            return web.json_response({"failed": 4})
        ts = int(q.get("ts", "0"))
        deadline = time.monotonic() + min(float(q.get("wait", "25")), 90)
        while True:
            if self.lp_faults:
                fault = self.lp_faults.popleft()
                return await self._fault(request, fault)
            if q.get("key") != self.key:
                return web.json_response({"failed": 2})
            updates = [u for n, u in self.events if n >= ts]
            if updates:
                return web.json_response({"ts": str(self.next_ts), "updates": updates})
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return web.json_response({"ts": str(ts), "updates": []})
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                pass

    async def _fault(self, request: web.Request, fault: Any) -> web.StreamResponse:
        if fault == "drop":
            return await self._drop(request)
        if fault == "broken":
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>",
                                content_type="text/html")
        if isinstance(fault, tuple) and fault[0] == "stall":
            await asyncio.sleep(fault[1])
            return web.json_response({"ts": request.query.get("ts"), "updates": []})
        failed = fault["failed"]
        if failed == 1:
            return web.json_response({"failed": 1, "ts": str(self.next_ts)})
        self.key = f"k{next(self._keys)}"  # 2 and 3: the old key no longer works
        return web.json_response({"failed": failed})

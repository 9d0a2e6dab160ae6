"""A fake VK API over real HTTP (aiohttp on 127.0.0.1, a random port) for tests of the VK channel.

Real ``vk_api`` talks to it: ``session()`` gives a requests session whose adapter sends
``https://api.vk.ru/...`` here; the long-poll URL comes from ``groups.getLongPollServer``, the
upload URLs from ``*.getMessagesUploadServer`` and the file URLs from the attachments.

It behaves as VK's own schema (``tests/vk_schema.py``) says. A request is checked like VK checks
it: the method's parameters, their types and limits, the keyboard object and VK's keyboard limits;
a refusal is a VK error (100, 911, 912, 914, ...) and is kept in ``refused``. Every answer and
every long-poll event is validated against the schema; what fails is kept in ``problems`` (a bug
of the fake: the fixture fails the test).

It implements ``groups.getLongPollServer`` and the ``a_check`` long poll (events numbered like
VK's ``ts``, waiting up to ``wait``), ``messages.send`` (recorded with the time of arrival on
this server's clock, duplicates by ``random_id`` shown once, attachments resolved to the files
they name), ``messages.sendMessageEventAnswer``, the upload of photos and documents for messages
(upload server, save) and the download of files people sent (``client_photo``, ``client_doc``).
Faults are injected: ``failed`` 1/2/3, a dropped connection, broken JSON, a stalled answer; API
errors 6/9/14/29/901/902 and others.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import mimetypes
import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from aiohttp import web
from PIL import Image
from requests.adapters import HTTPAdapter

from tests import vk_schema

API_HOST = "https://api.vk.ru"
CHAT_START_ID = 2_000_000_000

# VK's limits that the schema does not hold (dev.vk.com: messages.send, bots' keyboards, uploads)
MAX_ROW = 5
INLINE_ROWS, INLINE_BUTTONS = 6, 10
KEYBOARD_ROWS, KEYBOARD_BUTTONS = 10, 40
MAX_LABEL = 40
MAX_PAYLOAD = 255
PHOTO_MAX_BYTES = 50 * 1024 * 1024  # photos for messages: JPG, PNG or GIF up to 50 MB,
PHOTO_MAX_SIDES = 14_000  # width + height at most 14000 px, sides at most 1:20
PHOTO_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}
DOC_MAX_BYTES = 200 * 1024 * 1024  # documents: up to 200 MB, any type but mp3 and executables
DOC_REFUSED = frozenset({"mp3", "exe", "bat", "cmd", "com", "msi", "scr", "apk"})
DOC_TYPES = {"txt": 1, "pdf": 1, "doc": 1, "docx": 1, "odt": 1, "rtf": 1, "xls": 1, "xlsx": 1, "ics": 1,
             "zip": 2, "rar": 2, "7z": 2, "gif": 3, "jpg": 4, "jpeg": 4, "png": 4, "bmp": 4,
             "ogg": 5, "wav": 5, "mp4": 6, "avi": 6, "epub": 7, "fb2": 7}  # else 8: unknown
_ATTACHMENT = re.compile(r"(photo|doc)(-?\d+)_(\d+)(?:_(\w+))?")


class RedirectAdapter(HTTPAdapter):
    """Sends requests for the VK API host to the fake server instead (plain HTTP on loopback)."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        parts = urlsplit(request.url or "")
        request.url = self.base_url + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


class VkError(Exception):
    """An API error as VK answers it."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


class Refusal(VkError):
    """An error for a request VK would not take as it is (a bug of the caller, kept in ``refused``)."""


def invalid(what: str) -> Refusal:
    return Refusal(100, f"One of the parameters specified was missing or invalid: {what}")


@dataclass
class Media:
    """A photo or document VK keeps: sent by a person, or uploaded and saved by the bot."""

    kind: str  # photo | doc
    owner_id: int
    id: int
    access_key: str
    content: bytes
    name: str  # a document's title, a photo's file name
    mime: str
    obj: dict = field(repr=False)  # as the API shows it: photos_photo, docs_doc

    @property
    def ref(self) -> str:
        return f"{self.kind}{self.owner_id}_{self.id}"

    def attachment(self) -> dict:
        """As it appears in a message's ``attachments``."""
        return {"type": self.kind, self.kind: self.obj}


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
    media: list[Media] = field(repr=False, default_factory=list)  # the files ``attachment`` names
    cmid: int = 0  # conversation_message_id: the message's number in its conversation

    def as_quoted(self, group_id: int) -> dict:
        """The message as a reply or a forward shows it (``messages_foreign_message``)."""
        return {"id": self.id if self.peer_id < CHAT_START_ID else 0, "conversation_message_id": self.cmid,
                "date": int(time.time()), "from_id": -group_id, "peer_id": self.peer_id, "text": self.text,
                "attachments": [m.attachment() for m in self.media], "fwd_messages": []}

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
    answer: Any = field(default=None, repr=False)  # the body the fake answered


@dataclass
class _Slot:
    """An upload URL handed out by ``*.getMessagesUploadServer``: one file, for one peer."""

    kind: str
    peer_id: int | None
    used: bool = False


def sample_image(width: int = 64, height: int = 48, fmt: str = "JPEG", color: str = "steelblue") -> bytes:
    """A real picture, as a person's phone would send."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, fmt)
    return out.getvalue()


def _image(content: bytes) -> Image.Image | None:
    try:
        image = Image.open(io.BytesIO(content))
        image.verify()
    except Exception:  # not a picture: VK's upload server takes no photo from it
        return None
    return Image.open(io.BytesIO(content))


class FakeVk:
    def __init__(self, group_id: int = 77, token: str = "vk-test-token") -> None:
        self.group_id = group_id
        self.token = token
        self.base_url = ""
        self.key = "k1"
        self.bot_features = True  # the community's «Возможности ботов»: keyboards need it (else 912)
        self._keys = itertools.count(2)
        self.next_ts = 1
        self.events: list[tuple[int, dict]] = []
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.lp_requests: list[dict[str, str]] = []
        self.event_answers: list[dict[str, str]] = []
        self.problems: list[str] = []  # schema violations of the fake's own answers and events
        self.refused: list[tuple[str, int, str]] = []  # requests refused like VK: method, code, message
        self.media: dict[str, Media] = {}  # "photo-77_3" -> the file
        self.files: dict[str, tuple[bytes, str]] = {}  # what /files/<token> serves: content, type
        self.downloads: list[str] = []  # paths of the files fetched
        self.file_faults: deque[int] = deque()  # HTTP statuses for the next file downloads (503, 404, ...)
        self.chunked = False  # serve files as a stream without Content-Length
        self.upload_requests: list[dict[str, Any]] = []
        self.lp_faults: deque[Any] = deque()
        self.api_errors: dict[str, deque[int]] = defaultdict(deque)
        self.forbidden: dict[int, int] = {}
        self.drop_after_send = 0  # drop the connection after storing this many messages
        self._by_random: dict[tuple[int, int], int] = {}
        self._slots: dict[str, _Slot] = {}
        self._uploaded: dict[str, tuple[str, bytes, str, str]] = {}  # token -> kind, content, name, mime
        self._ids = itertools.count(1001)
        self._media_ids = itertools.count(1)
        self._event_ids = itertools.count(1)
        self._versions = itertools.count(10_000_001)
        self._cmids: dict[int, itertools.count] = defaultdict(lambda: itertools.count(1))
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # --- server
    async def start(self) -> FakeVk:
        app = web.Application(client_max_size=DOC_MAX_BYTES + 1024 * 1024)
        app.router.add_post("/method/{name}", self._method)
        app.router.add_get("/lp", self._long_poll)
        app.router.add_post("/upload/{kind}", self._upload)
        app.router.add_get("/files/{token}", self._file)
        app.router.add_get(r"/doc{owner:-?\d+}_{id:\d+}", self._doc_link)
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
        update = {"type": kind, "event_id": event_id, "v": "5.199", "object": obj, "group_id": self.group_id}
        self.problems += [f"event {kind}: {p}" for p in vk_schema.event_problems(update)]
        self.events.append((self.next_ts, update))
        self.next_ts += 1
        self.wake()
        return event_id

    def message(self, from_id: int, text: str = "", *, peer_id: int | None = None,
                attachments: list[dict] | None = None) -> dict:
        """A message object as VK shows it (``messages_message``)."""
        peer = peer_id or from_id
        for a in attachments or []:
            self._know(a)
        return {"id": next(self._ids) if peer < CHAT_START_ID else 0, "date": int(time.time()), "peer_id": peer,
                "from_id": from_id, "text": text, "conversation_message_id": next(self._cmids[peer]),
                "version": next(self._versions), "attachments": attachments or [], "fwd_messages": [],
                "important": False, "is_hidden": False, "out": 0}

    def push_message(self, from_id: int, text: str = "", *, peer_id: int | None = None, payload: Any = None,
                     attachments: list[dict] | None = None, geo: dict | None = None,
                     reply_message: dict | None = None, fwd_messages: list[dict] | None = None,
                     client_info: dict | None = None) -> str:
        message = self.message(from_id, text, peer_id=peer_id, attachments=attachments)
        if fwd_messages:
            message["fwd_messages"] = fwd_messages
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

    # --- files people send
    def _serve(self, content: bytes, mime: str) -> str:
        token = secrets.token_hex(8)
        self.files[token] = (content, mime)
        return f"{self.base_url}/files/{token}"

    def _photo(self, owner_id: int, content: bytes, name: str) -> Media:
        """A photo kept by VK: small copies and the picture itself (the largest size)."""
        image = _image(content)
        assert image is not None and image.format in PHOTO_FORMATS, "not a photo VK would keep"
        width, height = image.size
        mime = PHOTO_FORMATS[image.format]
        sizes = []
        for kind, side in (("s", 75), ("m", 130)):
            small = image.convert("RGB")
            small.thumbnail((side, side))
            out = io.BytesIO()
            small.save(out, "JPEG")
            sizes.append({"type": kind, "url": self._serve(out.getvalue(), "image/jpeg"),
                          "width": small.width, "height": small.height})
        big = "w" if max(width, height) > 1280 else "z" if max(width, height) > 807 else "x"
        sizes.append({"type": big, "url": self._serve(content, mime), "width": width, "height": height})
        media_id, key = next(self._media_ids), secrets.token_hex(9)
        obj = {"id": media_id, "owner_id": owner_id, "album_id": -3, "date": int(time.time()), "access_key": key,
               "sizes": sizes, "text": "", "has_tags": False, "width": width, "height": height}
        return self._keep(Media("photo", owner_id, media_id, key, content, name, mime, obj))

    def _doc(self, owner_id: int, title: str, content: bytes, mime: str | None = None) -> Media:
        ext = title.rsplit(".", 1)[-1].lower() if "." in title else ""
        mime = mime or mimetypes.guess_type(title)[0] or "application/octet-stream"
        media_id, key, hash_ = next(self._media_ids), secrets.token_hex(9), secrets.token_hex(9)
        token = self._serve(content, mime).rsplit("/", 1)[1]
        obj = {"id": media_id, "owner_id": owner_id, "title": title, "size": len(content), "ext": ext,
               "url": f"{self.base_url}/doc{owner_id}_{media_id}?hash={hash_}&dl={token}&api=1&no_preview=1",
               "date": int(time.time()), "type": DOC_TYPES.get(ext, 8), "access_key": key}
        return self._keep(Media("doc", owner_id, media_id, key, content, title, mime, obj))

    def _keep(self, media: Media) -> Media:
        self.media[media.ref] = media
        return media

    def _know(self, attachment: dict) -> None:
        """An attachment written by hand into a pushed message: known, so it can be re-sent."""
        kind = attachment.get("type")
        obj = attachment.get(kind) if isinstance(kind, str) else None
        if kind in ("photo", "doc") and isinstance(obj, dict) and "id" in obj and "owner_id" in obj:
            ref = f"{kind}{obj['owner_id']}_{obj['id']}"
            self.media.setdefault(ref, Media(kind, obj["owner_id"], obj["id"], obj.get("access_key", ""), b"",
                                             obj.get("title", ""), "", obj))

    def client_photo(self, owner_id: int, content: bytes | None = None) -> dict:
        """The attachment of a photo a person sends (give it to ``push_message``)."""
        return self._photo(owner_id, content if content is not None else sample_image(), "photo.jpg").attachment()

    def client_doc(self, owner_id: int, title: str, content: bytes, mime: str | None = None) -> dict:
        """The attachment of a document a person sends."""
        return self._doc(owner_id, title, content, mime).attachment()

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

    # --- the API
    def _error(self, code: int, msg: str, form: dict[str, str] | None = None, **more: Any) -> dict:
        shown = [{"key": k, "value": v} for k, v in (form or {}).items() if k != "access_token"]
        body = {"error": {"error_code": code, "error_msg": msg, "request_params": shown, **more}}
        self.problems += [f"error {code}: {p}" for p in vk_schema.error_problems(body)]
        return body

    async def _method(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        form = {k: str(v) for k, v in (await request.post()).items()}
        call = Call(name, form, time.monotonic())
        self.calls.append(call)
        call.answer = await self._answer(name, form)
        if call.answer is _DROPPED:
            return await self._drop(request)
        return web.json_response(call.answer)

    async def _answer(self, name: str, form: dict[str, str]) -> Any:
        if form.get("access_token") != self.token:
            return self._error(5, "User authorization failed: invalid access_token (4).", form)
        if self.api_errors[name]:
            code = self.api_errors[name].popleft()
            extra = {"captcha_sid": "123", "captcha_img": f"{self.base_url}/captcha.php?sid=123"} if code == 14 else {}
            return self._error(code, f"injected error {code}", form, **extra)
        spec = vk_schema.method(name)
        handler = getattr(self, "_m_" + name.replace(".", "_"), None)
        if spec is None or handler is None:
            return self._error(3, f"Unknown method passed: {name}", form)
        try:
            result = await handler(vk_schema.typed_params(spec, form), form)
        except vk_schema.BadParameter as bad:
            error: VkError = _as_vk_error(bad)
            self.refused.append((name, error.code, error.msg))
            return self._error(error.code, error.msg, {"method": name, **form})
        except Refusal as error:
            self.refused.append((name, error.code, error.msg))
            return self._error(error.code, error.msg, {"method": name, **form})
        except VkError as error:  # the state of things, e.g. the person blocked the community
            return self._error(error.code, error.msg, {"method": name, **form})
        if result is _DROPPED:
            return result
        body = {"response": result}
        self.problems += vk_schema.response_problems(spec, body)
        return body

    async def _m_groups_getLongPollServer(self, params: dict[str, Any], form: dict[str, str]) -> Any:
        if params["group_id"] != self.group_id:
            raise invalid("group_id")
        return {"key": self.key, "server": f"{self.base_url}/lp", "ts": str(self.next_ts)}

    async def _m_messages_send(self, params: dict[str, Any], form: dict[str, str]) -> Any:
        """One message; with ``peer_ids`` (one peer here) the answer is a list with the message's
        ``conversation_message_id`` (for a chat the community's ``message_id`` is 0) or its error."""
        peer = params.get("peer_id") or params.get("user_id")
        several = params.get("peer_ids")
        if peer is None and several:
            if len(several) != 1:
                raise invalid("peer_ids: the fake sends to one peer at a time")
            try:
                sent = await self._m_messages_send({**params, "peer_id": several[0]}, form)
            except VkError as error:
                if isinstance(error, Refusal):
                    raise
                return [{"peer_id": several[0], "message_id": 0, "conversation_message_id": 0,
                         "error": {"code": error.code, "description": error.msg}}]
            if sent is _DROPPED:
                return sent
            message = next(m for m in self.sent if m.id == sent)
            return [{"peer_id": message.peer_id, "message_id": 0 if message.peer_id >= CHAT_START_ID else message.id,
                     "conversation_message_id": message.cmid}]
        if peer is None:
            raise invalid("you should specify peer_id or user_id")
        if "random_id" not in params:  # required since API 5.90
            raise invalid("random_id is a required parameter")
        if not params.get("message") and not params.get("attachment"):
            raise invalid("message is empty or invalid")
        if "keyboard" in params:
            if not self.bot_features:
                raise VkError(912, "This is a chat bot feature, change this status in settings")
            if keyboard_fault(params["keyboard"]) is not None:
                raise Refusal(911, "Keyboard format is invalid")
        if not -90 <= params.get("lat", 0) <= 90 or not -180 <= params.get("long", 0) <= 180:
            raise invalid("lat, long")
        media = [self._resolve(ref) for ref in params.get("attachment", "").split(",") if ref]
        if peer in self.forbidden:
            code = self.forbidden[peer]
            raise VkError(code, "Can't send messages for users without permission" if code == 901
                          else "Can't send messages to this user due to their privacy settings")
        random_id = params["random_id"]
        known = self._by_random.get((peer, random_id)) if random_id else None
        if known is None:
            known = next(self._ids)
            self.sent.append(Sent(known, peer, params.get("message", ""), params.get("keyboard"), params.get("lat"),
                                  params.get("long"), form.get("attachment"), random_id, time.monotonic(), form,
                                  media, next(self._cmids[peer])))
            if random_id:
                self._by_random[(peer, random_id)] = known
        if self.drop_after_send:
            self.drop_after_send -= 1
            return _DROPPED
        return known

    def _resolve(self, ref: str) -> Media:
        match = _ATTACHMENT.fullmatch(ref)
        media = self.media.get(f"{match[1]}{match[2]}_{match[3]}") if match else None
        if media is None or (match and match[4] != media.access_key and media.access_key):
            raise invalid(f"attachment {ref!r}")
        return media

    async def _m_messages_sendMessageEventAnswer(self, params: dict[str, Any], form: dict[str, str]) -> Any:
        self.event_answers.append(form)
        return 1

    # --- uploads: an upload URL, the POST of the file to it, the save
    def _slot(self, kind: str, peer_id: int | None) -> str:
        token = secrets.token_hex(8)
        self._slots[token] = _Slot(kind, peer_id)
        return f"{self.base_url}/upload/{kind}?slot={token}"

    async def _m_photos_getMessagesUploadServer(self, params: dict[str, Any], form: dict[str, str]) -> Any:
        return {"album_id": -3, "upload_url": self._slot("photo", params.get("peer_id")), "user_id": 0,
                "group_id": self.group_id}

    async def _m_docs_getMessagesUploadServer(self, params: dict[str, Any], form: dict[str, str]) -> Any:
        return {"upload_url": self._slot("doc", params.get("peer_id"))}  # a document, a voice message, graffiti

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        kind = request.match_info["kind"]
        slot = self._slots.get(request.query.get("slot", ""))
        data = await request.post()
        part = data.get("photo" if kind == "photo" else "file")
        content = part.file.read() if isinstance(part, web.FileField) else None
        filename = part.filename if isinstance(part, web.FileField) else ""
        self.upload_requests.append({"kind": kind, "fields": sorted(data), "filename": filename,
                                     "size": None if content is None else len(content)})
        if slot is None or slot.kind != kind or slot.used:
            return web.json_response({"error": "ERR_UPLOAD_BAD_URL: upload URL is unknown or used"})
        slot.used = True
        if content is None:
            return web.json_response({"error": "ERR_UPLOAD_FILE_NOT_UPLOADED: file not uploaded"})
        token = secrets.token_hex(8)
        if kind == "doc":
            ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
            if not content or len(content) > DOC_MAX_BYTES or ext in DOC_REFUSED:
                return web.json_response({"error": "ERR_UPLOAD_FILE_NOT_ALLOWED: file type or size not allowed"})
            self._uploaded[token] = ("doc", content, filename, part.content_type)  # type: ignore[union-attr]
            return web.json_response({"file": token})
        image = _image(content) if len(content) <= PHOTO_MAX_BYTES else None
        fits = image is not None and image.format in PHOTO_FORMATS and sum(image.size) <= PHOTO_MAX_SIDES \
            and max(image.size) <= 20 * min(image.size)
        photos = []
        if fits:
            self._uploaded[token] = ("photo", content, filename, "")
            photos = [{"photo": token, "sizes": [], "kid": secrets.token_hex(4)}]
        # VK answers a picture it cannot take with an empty list, not an error
        return web.json_response({"server": 839204, "photo": json.dumps(photos), "hash": _hash(token)})

    async def _m_photos_saveMessagesPhoto(self, params: dict[str, Any], form: dict[str, str]) -> Any:
        try:
            token = json.loads(params["photo"])[0]["photo"]
        except (ValueError, LookupError, TypeError) as exc:
            raise invalid("photos_list is invalid") from exc
        if token not in self._uploaded or params.get("server") != 839204 or params.get("hash") != _hash(token):
            raise Refusal(121, "Invalid hash")
        _, content, filename, _ = self._uploaded.pop(token)
        return [self._photo(-self.group_id, content, filename or "photo.jpg").obj]

    async def _m_docs_save(self, params: dict[str, Any], form: dict[str, str]) -> Any:
        uploaded = self._uploaded.pop(params["file"], None)
        if uploaded is None or uploaded[0] != "doc":
            raise invalid("file")
        _, content, filename, mime = uploaded
        return {"type": "doc", "doc": self._doc(-self.group_id, params.get("title") or filename, content, mime).obj}

    # --- downloads
    async def _file(self, request: web.Request) -> web.StreamResponse:
        self.downloads.append(request.path)
        found = self.files.get(request.match_info["token"])
        if self.file_faults:
            return web.Response(status=self.file_faults.popleft(), text="injected")
        if found is None:
            return web.Response(status=404, text="Not Found")
        content, mime = found
        if not self.chunked:
            return web.Response(body=content, content_type=mime)
        response = web.StreamResponse(headers={"Content-Type": mime})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for at in range(0, len(content), 16 * 1024):
                await response.write(content[at:at + 16 * 1024])
            await response.write_eof()
        except ConnectionResetError:  # the client stopped reading (a file over its limit)
            pass
        return response

    async def _doc_link(self, request: web.Request) -> web.StreamResponse:
        """vk.com/doc<owner>_<id>?hash=..&dl=..: the document's link redirects to its storage."""
        self.downloads.append(request.path)
        media = self.media.get(f"doc{request.match_info['owner']}_{request.match_info['id']}")
        if media is None or media.obj.get("url", "").split("?", 1)[1] != request.query_string:
            return web.Response(status=404, text="Not Found")
        raise web.HTTPFound(f"/files/{request.query['dl']}")

    # --- the long poll
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


_DROPPED = object()  # the message is stored, the answer never reaches the bot (``drop_after_send``)

def _hash(token: str) -> str:
    return f"h{token[::-1]}"


def _as_vk_error(bad: vk_schema.BadParameter) -> Refusal:
    if bad.name == "keyboard":
        return Refusal(911, "Keyboard format is invalid")
    if bad.name == "message" and "maxLength" in bad.why:
        return Refusal(914, "Message is too long")
    return invalid(f"{bad.name} ({bad.why})")


def keyboard_fault(keyboard: dict) -> str | None:
    """What breaks VK's keyboard limits (the schema has the shape, not the sizes); None if nothing."""
    inline = bool(keyboard.get("inline"))
    rows = keyboard["buttons"]
    buttons = [b for row in rows for b in row]
    if inline and keyboard.get("one_time"):
        return "one_time is not for inline keyboards"
    if len(rows) > (INLINE_ROWS if inline else KEYBOARD_ROWS) or any(len(row) > MAX_ROW for row in rows):
        return "too many rows or buttons in a row"
    if len(buttons) > (INLINE_BUTTONS if inline else KEYBOARD_BUTTONS):
        return "too many buttons"
    for b in buttons:
        action = b["action"]
        if len(action.get("label", "")) > MAX_LABEL:
            return f"label longer than {MAX_LABEL}"
        if "payload" in action:
            if len(action["payload"]) > MAX_PAYLOAD:
                return f"payload longer than {MAX_PAYLOAD}"
            try:
                json.loads(action["payload"])
            except ValueError:
                return "payload is not JSON"
        if action["type"] == "open_link" and not action["link"].startswith(("https://", "http://")):
            return "link is not a web address"
    return None

"""End to end over real HTTP: ``run_telegram`` talks to the strict fake Bot API server on 127.0.0.1
through ``TelegramAPIServer.from_base`` — long polling with offsets, webhook with the secret
header, retries of 429/5xx/timeouts, a blocked user."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import ClientSession

from bot.app import App
from bot.channels.telegram import TelegramChannel, create_bot, run_telegram
from bot.settings import Settings
from bot.web_server import serving
from handlers import texts
from handlers.domain.fields import phone_display
from handlers.models import Address, Outgoing, Reply
from storage.clients import get_client, touch_client
from tests.conftest import FakeClock
from tests.fake_telegram_api import FakeTelegramServer

ANNA, BORIS = 5001, 5002


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as server:
        yield server


def _settings(settings: Settings, tg: FakeTelegramServer, **extra: object) -> Settings:
    values = settings.model_dump()
    values.update(telegram_token=tg.api.token, telegram_api_server=tg.base_url, telegram_polling_timeout=2,
                  telegram_request_timeout=5, telegram_retry_delay=0.01)
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


class Running:
    """The channel running as ``consult-bot run`` runs it, with the retry pauses recorded, not slept."""

    def __init__(self, app: App, tg: FakeTelegramServer) -> None:
        self.app = app
        self.tg = tg
        self.sleeps: list[float] = []
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)

    async def __aenter__(self) -> Running:
        bot = create_bot(self.app.settings, sleep=self._sleep)
        self.bot = bot
        self.task = asyncio.create_task(run_telegram(self.app, self.stop, bot=bot))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)
        await self.bot.session.close()
        await self.app.close()

    async def until(self, chat: int, expected: str, act: Callable[[], Awaitable[None]] | None = None) -> str:
        """Do something and wait until the chat's last text contains ``expected``."""
        if act is not None:
            await act()
        api = self.tg.api
        try:
            await api.wait_for(lambda: bool(api.texts(chat)) and expected in api.texts(chat)[-1], within=10)
        except TimeoutError:
            raise AssertionError(f"chat {chat} never showed {expected!r}; it got {api.texts(chat)[-3:]}") from None
        return api.texts(chat)[-1]


async def _app(settings: Settings, clock: FakeClock) -> App:
    return await App.create(settings, clock=clock, migrate=False)


async def test_polling_two_people_by_buttons_and_by_typing(settings: Settings, tg: FakeTelegramServer,
                                                           clock: FakeClock) -> None:
    app = await _app(_settings(settings, tg), clock)
    awards = app.services.directory.topic("awards")
    assert awards is not None
    async with Running(app, tg) as run:
        # Anna presses buttons, Boris types; both at once.
        await tg.send_text(ANNA, "/start")
        await tg.send_text(BORIS, "добрый день")
        await run.until(ANNA, texts.MENU)
        await run.until(BORIS, texts.MENU)
        await run.until(ANNA, "Что вас интересует о наградах?", lambda: tg.press(ANNA, "Государственные награды"))
        await run.until(BORIS, "Правильно ли я понял", lambda: tg.send_text(BORIS, "как оформить наградной лист"))
        card = await run.until(ANNA, "Отдел наградной политики", lambda: tg.press(ANNA, "Наградной лист и документы"))
        answer = await run.until(BORIS, "Отдел наградной политики", lambda: tg.send_text(BORIS, "да"))
        for text in (card, answer):
            assert all(phone_display(p) in text for p in awards.phones)
            assert all(e in text for e in awards.emails)
        assert len(tg.api.messages_in(ANNA)) == 3  # welcome, the menu edited in place, the result

        # The bot confirmed what it read: every getUpdates after the first carries the next offset.
        await tg.api.wait_for(lambda: not tg.api.queue)  # all confirmed by the next offset
        offsets = [int(p.get("offset", 0)) for m, p in tg.api.calls if m == "getUpdates"]
        assert offsets[0] == 0 and offsets == sorted(offsets) and offsets[-1] == 7  # 6 updates, ids 1..6
        assert all(answer == {"text": "", "show_alert": False} for answer in tg.api.callbacks.values())
    assert [c["command"] for c in tg.api.commands["default"]][:5] == ["start", "menu", "back", "help", "cancel"]
    assert "deleteWebhook" in [m for m, _ in tg.api.calls]


async def test_webhook_with_secret_and_health(settings: Settings, tg: FakeTelegramServer, clock: FakeClock) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = await _app(_settings(settings, tg, telegram_mode="webhook", telegram_webhook_url=f"http://127.0.0.1:{port}",
                               telegram_webhook_path="/tg/hook", http_host="127.0.0.1", http_port=port,
                               telegram_webhook_secret="s3cret_Value-1"), clock)
    async with serving(app), Running(app, tg) as run:  # the bot's web server, as ``consult-bot run`` starts it
        await tg.api.wait_for(lambda: tg.api.webhook is not None)
        assert tg.api.webhook == {"url": f"http://127.0.0.1:{port}/tg/hook", "secret_token": "s3cret_Value-1",
                                  "allowed_updates": ["message", "callback_query", "my_chat_member"]}
        await run.until(ANNA, texts.MENU, lambda: tg.send_text(ANNA, "/start"))
        await run.until(ANNA, "Что вас интересует по аттестации?", lambda: tg.press(ANNA, "Аттестация"))
        await tg.api.wait_for(lambda: len(tg.webhook_answers) == 2)
        assert [status for _, status in tg.webhook_answers] == [200, 200]

        forged = tg.api.make_text(BORIS, "/start")
        assert await tg.post_update(forged, secret="guessed") == 401
        assert await tg.post_update(forged, secret="") == 401
        async with ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                health = await resp.json()
                assert resp.status == 200 and health["status"] == "ok"
                assert health["channels"]["telegram"] == {"configured": True, "connected": True}
        assert tg.api.texts(BORIS) == []  # nothing answered to the forged updates
        assert "getUpdates" not in [m for m, _ in tg.api.calls]


async def test_retries_over_http_deliver_once(settings: Settings, tg: FakeTelegramServer, clock: FakeClock) -> None:
    app = await _app(_settings(settings, tg, telegram_request_timeout=0.2), clock)
    sleeps: list[float] = []

    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    bot = create_bot(app.settings, sleep=record)
    channel = TelegramChannel(app, bot)
    tg.api.private_chat(ANNA)
    to_anna = Outgoing(Address("telegram", str(ANNA)), Reply("Ваша заявка №5 рассмотрена"))
    try:
        tg.api.fail("sendMessage", 429, retry_after=2)
        tg.api.fail("sendMessage", 500)
        assert await channel.deliver(to_anna)
        tg.api.fail("sendMessage", hang=0.4)  # longer than the request timeout
        assert await channel.deliver(to_anna)
        assert tg.api.texts(ANNA) == ["Ваша заявка №5 рассмотрена"] * 2  # each delivered once
        assert sleeps == [2.0, 0.02, 0.01]  # retry_after exactly, then the backoff

        # Blocked: 403, no retry, the client is marked unreachable, deliver says False.
        await touch_client(app.services.db, "telegram", str(ANNA), str(ANNA), clock())
        tg.api.block(ANNA)
        calls = len(tg.api.calls)
        assert await channel.deliver(to_anna) is False
        assert len(tg.api.calls) == calls + 1 and len(sleeps) == 3
        client = await get_client(app.services.db, "telegram", str(ANNA))
        assert client is not None and client.unreachable
    finally:
        await channel.close()
        await bot.session.close()
        await app.close()


async def test_strict_server_refuses_what_telegram_refuses(tg: FakeTelegramServer) -> None:
    """The fake is only useful if it is as strict as Telegram: the real error texts over HTTP."""
    tg.api.private_chat(ANNA)
    url = f"{tg.base_url}/bot{tg.api.token}"

    async def call(http: ClientSession, method: str, **params: object) -> tuple[int, str]:
        async with http.post(f"{url}/{method}", json=params) as resp:
            body = await resp.json()
            return resp.status, body.get("description", "ok")

    async with ClientSession() as http:
        button = {"text": "x", "callback_data": "d" * 65}
        assert await call(http, "sendMessage", chat_id=ANNA, text="a",
                          reply_markup={"inline_keyboard": [[button]]}) == (400, "Bad Request: BUTTON_DATA_INVALID")
        assert await call(http, "sendMessage", chat_id=ANNA, text="я" * 4097) == (
            400, "Bad Request: message is too long")
        status, why = await call(http, "sendMessage", chat_id=ANNA, text="1 < 2 <b>", parse_mode="HTML")
        assert status == 400 and why.startswith("Bad Request: can't parse entities: ")
        many = [[{"text": str(i), "callback_data": str(i)}] for i in range(101)]
        assert await call(http, "sendMessage", chat_id=ANNA, text="a", reply_markup={"inline_keyboard": many}) == (
            400, "Bad Request: reply markup is too long")
        assert await call(http, "sendMessage", chat_id=777, text="a") == (400, "Bad Request: chat not found")
        assert await call(http, "answerCallbackQuery", callback_query_id="1") == (
            400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        assert (await call(http, "getMe"))[0] == 200
        async with http.post(f"{tg.base_url}/bot1:wrong/getMe") as resp:
            assert resp.status == 401
        me = await (await http.get(f"{url}/getMe")).json()
        assert me["result"]["is_bot"] is True
    assert tg.api.make_callback(ANNA, "x.1")["callback_query"]["chat_instance"]  # aiogram requires it


async def test_webhook_mode_without_public_url_is_not_started(settings: Settings, clock: FakeClock,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    values = settings.model_dump()
    values.update(telegram_token="123:abc", telegram_mode="webhook")
    app = await _app(Settings(_env_file=None, **values), clock)  # type: ignore[call-arg]
    try:
        await asyncio.wait_for(run_telegram(app, asyncio.Event()), 5)
    finally:
        await app.close()
    assert "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL" in caplog.text


async def test_wrong_token_is_reported_and_not_retried(settings: Settings, tg: FakeTelegramServer, clock: FakeClock,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    app = await _app(_settings(settings, tg, telegram_token="42:not-the-token"), clock)
    try:
        await asyncio.wait_for(run_telegram(app, asyncio.Event()), 5)
    finally:
        await app.close()
    assert "does not accept TELEGRAM_TOKEN" in caplog.text and "telegram" not in app.channels


async def _raw_post(port: int, path: str, secret: bytes | None, body: bytes) -> int:
    """POST over a bare socket, so that the secret header can carry any bytes at all."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
            f"Content-Length: {len(body)}", "Connection: close"]
    raw = "\r\n".join(head).encode() + b"\r\n"
    if secret is not None:
        raw += b"X-Telegram-Bot-Api-Secret-Token: " + secret + b"\r\n"
    writer.write(raw + b"\r\n" + body)
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return int(status.split()[1])


async def test_webhook_answers_401_to_a_wrong_secret_of_any_bytes(settings: Settings, tg: FakeTelegramServer,
                                                                 clock: FakeClock) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret = "s3cret_Value-1"
    app = await _app(_settings(settings, tg, telegram_mode="webhook", telegram_webhook_url=f"http://127.0.0.1:{port}",
                               telegram_webhook_path="/tg/hook", http_host="127.0.0.1", http_port=port,
                               telegram_webhook_secret=secret), clock)
    async with serving(app), Running(app, tg):  # the bot's web server, as ``consult-bot run`` starts it
        await tg.api.wait_for(lambda: tg.api.webhook is not None)
        body = json.dumps(tg.api.make_text(BORIS, "/start")).encode()
        wrong = [None, b"", b"guessed", "секрет".encode(), "s3cret_Value-1é".encode(), b"\xff\xfe\xfd",
                 b"s3cret_Value-\xe9", secret.encode() + b" x", "s3cret_Value-１".encode(), b"\x80" * 64,
                 secret.encode() * 100, "😀".encode(), b"a\tb"]
        for value in wrong:
            assert await _raw_post(port, "/tg/hook", value, body) == 401, value
        # Control bytes or a header line over 8 KB are no HTTP at all: aiohttp's parser answers 400
        # before any handler runs.
        for value in (b"\x00", secret.encode() + b"\x7f", b"x" * 9000):
            assert await _raw_post(port, "/tg/hook", value, body) == 400, value[:20]
        assert tg.api.texts(BORIS) == []  # nothing answered to the forged updates
        assert await _raw_post(port, "/tg/hook", secret.encode(), body) == 200
        await tg.api.wait_for(lambda: bool(tg.api.texts(BORIS)))

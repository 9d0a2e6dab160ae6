"""Survey invitations to many clients against a local Bot API that enforces Telegram's limits.

``LimitedBotAPI`` is an HTTP server on 127.0.0.1 speaking the Bot API: it accepts at most
``rate`` messages in any second overall and one message a second per chat, and answers anything
beyond with ``429 Too Many Requests`` and ``retry_after``, as Telegram does. The bot side is the
production path: invitations scheduled with ``schedule_invitation``, sent by the scheduler's
``JobRunner`` through the outbox sender -> ``TelegramChannel.send`` on the bot of
``create_bot`` (aiogram's HTTP session, the retry middleware, the broadcast pacer).

``python -m bench.broadcast --messages 10000 --out result.json``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import time
from collections import Counter, deque
from pathlib import Path
from typing import Any

from aiohttp import web

from bench.bot import NOW, settings_for
from bench.logs import capture
from bench.mocked import BOT_USER, TOKEN, private_chat
from bench.prefill import prefill, temp_database, user_id
from bench.stats import peak_rss_mb

SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument", "sendvenue", "sendsticker", "sendvoice",
                          "sendvideo", "sendmediagroup", "copymessage", "forwardmessage"})


class LimitedBotAPI:
    """``async with LimitedBotAPI() as api:`` — ``api.base_url`` for ``TELEGRAM_API_SERVER``."""

    def __init__(self, rate: int = 30, per_chat_interval: float = 1.0) -> None:
        self.rate = rate
        self.per_chat_interval = per_chat_interval
        self.base_url = ""
        self.accepted: list[tuple[float, int]] = []  # (monotonic time, chat id) of every message delivered
        self.per_chat: Counter[int] = Counter()
        self.texts: dict[int, str] = {}
        self.refused = 0  # answers 429
        self._window: deque[float] = deque()  # times of the messages of the last second
        self._last_in_chat: dict[int, float] = {}
        self._message_ids = 0
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> LimitedBotAPI:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _wait(self, chat_id: int, now: float) -> float:
        """Seconds until a message to ``chat_id`` would be within the limits (0: it is now)."""
        while self._window and self._window[0] <= now - 1.0:
            self._window.popleft()
        wait = 0.0
        if len(self._window) >= self.rate:
            wait = self._window[0] + 1.0 - now
        last = self._last_in_chat.get(chat_id)
        if last is not None:
            wait = max(wait, last + self.per_chat_interval - now)
        return wait

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"].lower()
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.can_read_body:
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        if method == "getme":
            return web.json_response({"ok": True, "result": BOT_USER})
        if method not in SEND_METHODS:
            return web.json_response({"ok": True, "result": True})
        chat_id = int(params["chat_id"])
        now = time.monotonic()
        wait = self._wait(chat_id, now)
        if wait > 0:
            self.refused += 1
            retry_after = max(1, math.ceil(wait))
            return web.json_response({"ok": False, "error_code": 429,
                                      "description": f"Too Many Requests: retry after {retry_after}",
                                      "parameters": {"retry_after": retry_after}}, status=429)
        self._window.append(now)
        self._last_in_chat[chat_id] = now
        self.accepted.append((now, chat_id))
        self.per_chat[chat_id] += 1
        self.texts[chat_id] = str(params.get("text", ""))
        self._message_ids += 1
        return web.json_response({"ok": True, "result": {
            "message_id": self._message_ids, "date": int(time.time()), "chat": private_chat(chat_id),
            "from": BOT_USER, "text": str(params.get("text", ""))}})

    def sustained_rate(self) -> float:
        """Messages a second from the first accepted to the last."""
        if len(self.accepted) < 2:
            return 0.0
        return (len(self.accepted) - 1) / (self.accepted[-1][0] - self.accepted[0][0])

    def busiest_second(self) -> int:
        """The most messages accepted within any one second (must not exceed the limit)."""
        times = [t for t, _ in self.accepted]
        best = 0
        start = 0
        for end, t in enumerate(times):
            while times[start] <= t - 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best


async def schedule_invitations(app: Any, count: int) -> None:
    """What happens after consultations: one invitation per client who agreed to get them, due now
    (the real rules apply)."""
    from datetime import timedelta

    from handlers.personal import grant_consent
    from handlers.survey_invites import schedule_invitation

    sem = asyncio.Semaphore(8)

    async def one(n: int) -> None:
        uid = str(user_id(n))
        async with sem:
            await grant_consent(app.services, f"telegram:{uid}", "survey")
            if await schedule_invitation(app.services, "telegram", uid, uid, "consultation", timedelta(0)) is None:
                raise RuntimeError(f"client {uid} was not invited")

    await asyncio.gather(*(one(n) for n in range(count)))


async def run_broadcast(count: int, *, rate: int = 30, kind: str = "sqlite") -> dict[str, Any]:
    from bot.app import App
    from bot.channels.telegram import create_bot
    from bot.channels.telegram.channel import TelegramChannel
    from bot.scheduler import JobRunner
    from handlers import texts

    async with temp_database(kind) as url, LimitedBotAPI(rate=rate) as api:
        await prefill(url, count)
        settings = settings_for(url, telegram_token=TOKEN, telegram_api_server=api.base_url)
        app = await App.create(settings, clock=lambda: NOW, migrate=False)
        bot = create_bot(settings)
        channel = TelegramChannel(app, bot)
        app.add_channel(channel)
        try:
            began = time.perf_counter()
            await schedule_invitations(app, count)
            scheduled_in = time.perf_counter() - began
            runner = JobRunner(app)
            began = time.perf_counter()
            jobs = 0
            while (ran := await runner.run_due()) > 0:
                jobs += ran
            sent_in = time.perf_counter() - began
        finally:
            await channel.close()
            await bot.session.close()
            await app.close()
    invited = [user_id(n) for n in range(count)]
    lost = sum(1 for uid in invited if api.per_chat[uid] == 0)
    duplicated = sum(1 for uid in invited if api.per_chat[uid] > 1)
    head = texts.SURVEY_INVITE.get("consultation", "")[:30]
    wrong_text = sum(1 for uid in invited if api.per_chat[uid] and head not in api.texts.get(uid, ""))
    rate_seen = api.sustained_rate()
    return {
        "messages": count,
        "limit_per_s": rate,
        "jobs_run": jobs,
        "scheduled_in_s": scheduled_in,
        "sent_in_s": sent_in,
        "delivered": len(api.accepted),
        "lost": lost,
        "duplicated": duplicated,
        "wrong_text": wrong_text,
        "sustained_per_s": rate_seen,
        "of_limit_pct": rate_seen / rate * 100,
        "busiest_second": api.busiest_second(),
        "answered_429": api.refused,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=30, help="the fake Bot API's limit, messages a second")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--log", type=Path, help="where the bot's warnings and errors go")
    args = parser.parse_args()
    logged = capture(args.log)
    result = asyncio.run(run_broadcast(args.messages, rate=args.rate))
    result["log"] = dict(logged)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

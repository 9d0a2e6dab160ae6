"""The MAX path of the benchmark, in a process of its own that never imports aiogram:
``python -m bench.max_load --db URL --clients N --out result.json`` (the database is filled with
MAX clients already).

Each update is the JSON MAX would post to the webhook; it is parsed (``json.loads``) and handed to
the real MAX channel module (``MaxChannel.feed``: ``parse_update``, the anti-flood gate and the
admission check of the shared base, the engine with its unit of work, the outbox, rendering, the
bot's own MAX client with its pacing) over ``RecordingMaxApi`` (no network). Latency is from the
raw update to the last API call of its answer. The floor is the same raw updates parsed and
dispatched to a handler that does nothing (``json.loads`` + ``parse_update`` + an empty coroutine).

The pacing of the client (2 messages a second in a chat, 28 requests a second) keeps the clock of
the people (one second per update, as for the anti-flood gate): people answer at a human pace.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import json
import pstats
import random
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bot.channels.max.channel as channel_module
from bench.common import NOW, PacedClock, ScenarioError, settings_for
from bench.logs import capture
from bench.max_api import BOT_ID, BOT_USER, RecordingMaxApi, Shown, dialog_of
from bench.prefill import user_id
from bench.scenarios import SCENARIOS
from bench.stats import latency_summary, peak_rss_mb, rss_mb
from bot.app import App
from bot.channels.antiflood import MemoryFloodGuard
from bot.channels.max.channel import MaxChannel
from bot.channels.max.events import Me, parse_update
from bot.pacing import Pacer
from handlers import texts
from handlers.engine import Engine

ME = Me(BOT_ID, BOT_USER["username"])


def _ms() -> int:
    return int(time.time() * 1000)


async def _no_sleep(_: float) -> None:
    return None


class MaxDriver:
    """Feeds raw updates and keeps the time each took (seconds); optionally keeps them for the floor."""

    def __init__(self, channel: MaxChannel, api: RecordingMaxApi, *, record: bool = False) -> None:
        self.channel = channel
        self.api = api
        self.latencies: list[float] = []
        self.recorded: list[bytes] | None = [] if record else None
        self.before_feed: list[Callable[[], None]] = []
        self.after_feed: list[Callable[[float], None]] = []
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        return next(self._ids)

    async def feed(self, update: dict[str, Any]) -> float:
        raw = json.dumps(update, ensure_ascii=False).encode()  # what MAX posts (its side: not timed)
        for hook in self.before_feed:
            hook()
        if self.recorded is not None:
            self.recorded.append(raw)
        started = time.perf_counter()
        await self.channel.feed(json.loads(raw))
        took = time.perf_counter() - started
        self.latencies.append(took)
        for hook in self.after_feed:
            hook(took)
        return took

    def reset(self) -> None:
        self.latencies = []
        if self.recorded is not None:
            self.recorded = []


class MaxPerson:
    """One MAX user in his dialogue with the bot: the verbs of ``bench.people.Person``."""

    def __init__(self, driver: MaxDriver, uid: int, *, think: float = 0.0) -> None:
        self.driver = driver
        self.think = think
        self.user_id = uid
        self.chat = dialog_of(uid)
        self.user = {"user_id": uid, "first_name": f"Клиент{uid}", "last_name": None, "is_bot": False,
                     "last_activity_time": _ms()}
        self.view = driver.api.view(self.chat)
        self.actions = 0

    @property
    def recent(self) -> list[str]:
        return self.view.recent

    def saw(self, fragment: str) -> bool:
        return any(fragment in t for t in self.view.recent)

    @property
    def buttons(self) -> Shown | None:
        return self.view.keyboard

    def labels(self) -> list[str]:
        return self.view.keyboard.labels() if self.view.keyboard else []

    def _message(self, text: str | None = None, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        n = self.driver.next_id()
        return {"update_type": "message_created", "timestamp": _ms(), "user_locale": "ru", "message": {
            "sender": self.user, "recipient": {"chat_id": self.chat, "chat_type": "dialog", "user_id": BOT_ID},
            "timestamp": _ms(), "body": {"mid": f"mid.p{self.user_id}.{n}", "seq": n, "text": text,
                                         "attachments": attachments or []}}}

    async def _feed(self, update: dict[str, Any]) -> float:
        self.view.recent = []
        self.actions += 1
        took = await self.driver.feed(update)
        if self.think:
            await asyncio.sleep(self.think)
        return took

    async def say(self, text: str) -> float:
        return await self._feed(self._message(text))

    async def share_contact(self, phone: str) -> float:
        vcf = f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:{self.user['first_name']}\r\nTEL;TYPE=cell:{phone}\r\nEND:VCARD\r\n"
        return await self._feed(self._message(attachments=[{"type": "contact", "payload": {
            "vcf_info": vcf, "max_info": self.user}}]))

    async def press(self, label: str) -> float:
        """Press ``label`` on the last message with buttons: the ``message_callback`` MAX sends,
        with the message itself."""
        shown = self.view.keyboard
        payload = shown.payload(label) if shown else None
        if shown is None or payload is None:
            raise ScenarioError(f"user {self.user_id}: no button {label!r} in {self.labels()}; "
                                f"last text: {self.view.last_text[:120]!r}")
        callback_id = f"cb.{self.user_id}.{self.driver.next_id()}"
        self.driver.api.pressed(callback_id, self.chat, shown.mid)
        message = {"sender": BOT_USER, "recipient": {"chat_id": self.chat, "chat_type": "dialog",
                                                      "user_id": self.user_id},
                   "timestamp": _ms(), "body": {"mid": shown.mid, "seq": 1, "text": shown.text, "attachments": [
                       {"type": "inline_keyboard", "payload": {"buttons": shown.rows}}]}}
        return await self._feed({"update_type": "message_callback", "timestamp": _ms(), "user_locale": "ru",
                                 "callback": {"timestamp": _ms(), "callback_id": callback_id, "payload": payload,
                                              "user": self.user}, "message": message})


@dataclass
class MaxBotUnderTest:
    app: App
    channel: MaxChannel
    api: RecordingMaxApi

    async def close(self) -> None:
        await self.channel.close()
        await self.app.close()


async def start_max_bot(url: str, *, clock: PacedClock) -> MaxBotUnderTest:
    """What ``consult-bot run`` builds for MAX, on a client that never leaves the process. The
    database must be migrated already."""
    settings = settings_for(url, max_token="bench", max_mode="webhook", max_webhook_url="https://bench.example")
    app = await App.create(settings, clock=lambda: NOW, migrate=False)
    api = RecordingMaxApi(Pacer(settings.max_api_rps, per_chat=0.55, clock=clock, sleep=_no_sleep),
                          flood_text=texts.FLOOD,
                          trouble_texts=(texts.INTERNAL_ERROR, texts.DB_UNAVAILABLE, texts.BUSY))
    flood = MemoryFloodGuard(settings.flood_rate, settings.flood_burst, clock=clock)
    channel = MaxChannel(app, api, me=ME, flood=flood)
    app.add_channel(channel)
    gc.collect()  # as ``consult-bot run`` does after start-up (bot/runner.py)
    gc.freeze()
    return MaxBotUnderTest(app, channel, api)


def people(clients: int) -> Iterator[int]:
    """MAX ids of the people taking part: stored clients spread over the table, then new ones."""
    for k in range(clients):
        yield user_id(k * 7919 % clients) if clients % 7919 else user_id(k)
    yield from (user_id(k) for k in itertools.count(clients))


@dataclass(frozen=True)
class Sizes:
    updates_per_scenario: int
    concurrent_users: int
    concurrent_rounds: int


SIZES = {"full": Sizes(400, 200, 2), "quick": Sizes(120, 200, 1), "tiny": Sizes(10, 8, 1)}


class Run:
    def __init__(self, bot: MaxBotUnderTest, clients: int, seed: int = 7) -> None:
        self.bot = bot
        self.ids = people(clients)
        self.rng = random.Random(seed)
        self.failed: list[str] = []

    async def scenario(self, name: str, driver: MaxDriver, rng: random.Random | None = None) -> bool:
        try:
            await SCENARIOS[name](MaxPerson(driver, next(self.ids)), rng or self.rng,  # type: ignore[arg-type]
                                  self.bot.app.services.directory)
        except ScenarioError as exc:
            self.failed.append(f"{name}: {exc}")
            return False
        return True


async def measure(url: str, clients: int, sizes: Sizes, *, breakdown: bool = False,
                  profile: bool = False) -> dict[str, Any]:
    clock = PacedClock()
    bot = await start_max_bot(url, clock=clock)
    idle = rss_mb()
    run = Run(bot, clients)
    driver = MaxDriver(bot.channel, bot.api, record=True)
    driver.before_feed.append(clock.tick)
    try:
        for name in SCENARIOS:  # warm-up: first imports, compiled queries, the dictionaries
            for _ in range(2):
                await run.scenario(name, driver)
        driver.reset()
        troubles_before = bot.api.troubles
        scenarios: dict[str, Any] = {}
        every: list[float] = []
        recorded: list[bytes] = []
        profiler = cProfile.Profile() if profile else None
        if profiler is not None:
            profiler.enable()
        for name in SCENARIOS:
            driver.reset()
            completed = persons = 0
            while len(driver.latencies) < sizes.updates_per_scenario:
                persons += 1
                completed += await run.scenario(name, driver)
            scenarios[name] = {**latency_summary(driver.latencies), "people": persons, "completed": completed}
            every += driver.latencies
            recorded += driver.recorded or []
        if profiler is not None:
            profiler.disable()
        sequential = latency_summary(every)
        floor = await _floor(recorded)
        parts = await _breakdown(run, sizes, clock) if breakdown else None

        driver = MaxDriver(bot.channel, bot.api)
        driver.before_feed.append(clock.tick)
        names = list(SCENARIOS)
        done: Counter[str] = Counter()
        wall = 0.0
        cpu = time.process_time()  # this process's CPU: the machine is shared, its wall time is not ours alone
        for round_ in range(sizes.concurrent_rounds):
            mix = [names[i % len(names)] for i in range(sizes.concurrent_users)]
            began = time.perf_counter()
            results = await asyncio.gather(*(run.scenario(name, driver, random.Random(round_ * 100_000 + i))
                                             for i, name in enumerate(mix)))
            wall += time.perf_counter() - began
            done.update(name for name, ok in zip(mix, results, strict=True) if ok)
        started = sizes.concurrent_users * sizes.concurrent_rounds
        concurrent = {**latency_summary(driver.latencies, wall), "users": sizes.concurrent_users,
                      "rounds": sizes.concurrent_rounds, "people": started, "completed": sum(done.values()),
                      "completed_by_scenario": dict(done),
                      "cpu_ms_per_update": (time.process_time() - cpu) / max(1, len(driver.latencies)) * 1000}
        return {
            "clients": clients, "idle_rss_mb": idle, "peak_rss_mb": peak_rss_mb(), "scenarios": scenarios,
            "sequential": sequential, "floor": floor,
            "floor_ratio": sequential["mean_ms"] / floor["mean_ms"] if floor["mean_ms"] else 0.0,
            "breakdown_ms": parts, "concurrent": concurrent, "apologies": bot.api.troubles - troubles_before,
            "scenario_errors": run.failed[:5], "scenario_error_count": len(run.failed),
            "api_calls": dict(bot.api.calls), "aiogram_imported": "aiogram" in sys.modules,
            "profile": _top(profiler) if profiler is not None else None,
        }
    finally:
        await bot.close()


async def _floor(updates: list[bytes]) -> dict[str, float]:
    """The same raw updates, one after another: parsed and handed to a handler that does nothing."""
    async def nothing(_: Any) -> None:
        return None

    latencies = []
    for raw in updates[:20]:  # warm-up
        await nothing(parse_update(json.loads(raw), ME))
    for raw in updates:
        began = time.perf_counter()
        await nothing(parse_update(json.loads(raw), ME))
        latencies.append(time.perf_counter() - began)
    return latency_summary(latencies)


PARTS = (
    ("total", "whole update"),
    ("engine", "engine: flows, screens, state, the unit of work"),
    ("answer", "the answer: outbox delivery, rendering, the MAX client"),
    ("api", "– the recording transport (JSON out and back; not the bot's own work)"),
    ("parse", "parsing the update (json.loads is in the rest)"),
    ("rest", "the rest: json.loads, anti-flood, admission, the chat's turn, tasks"),
)


async def _breakdown(run: Run, sizes: Sizes, clock: PacedClock) -> dict[str, Any]:
    """CPU time of the loop's thread per update, split by the parts of the path (one at a time)."""
    cpu: Counter[str] = Counter()
    undo: list[Callable[[], None]] = []

    def wrap(owner: Any, name: str, key: str) -> None:
        original = getattr(owner, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return await original(*args, **kwargs)
            finally:
                cpu[key] += time.thread_time() - began

        setattr(owner, name, timed)
        undo.append(lambda: setattr(owner, name, original))

    def wrap_sync(owner: Any, name: str, key: str) -> None:
        original = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                cpu[key] += time.thread_time() - began

        setattr(owner, name, timed)
        undo.append(lambda: setattr(owner, name, original))

    wrap(Engine, "handle", "engine")
    wrap(MaxChannel, "answer", "answer")
    wrap(RecordingMaxApi, "_once", "api")
    wrap_sync(channel_module, "parse_update", "parse")
    driver = MaxDriver(run.bot.channel, run.bot.api)
    driver.before_feed.append(clock.tick)
    try:
        began = time.thread_time()
        for name in SCENARIOS:
            target = len(driver.latencies) + sizes.updates_per_scenario // 2
            while len(driver.latencies) < target:
                await run.scenario(name, driver)
        total = time.thread_time() - began
    finally:
        for step in reversed(undo):
            step()
    n = max(1, len(driver.latencies))
    parts = {"total": total, **cpu}
    parts["rest"] = total - cpu["engine"] - cpu["answer"] - cpu["parse"]
    return {"parts_ms": {k: v / n * 1000 for k, v in parts.items()}, "updates": n}


def _top(profiler: cProfile.Profile, count: int = 25) -> list[dict[str, Any]]:
    """The functions with the most CPU time of their own (one at a time, all scenarios)."""
    stats = pstats.Stats(profiler)
    rows = []
    for (path, line, func), (_, calls, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{Path(path).name}:{line}({func})", "calls": calls, "own_s": own,
                     "cumulative_s": cumulative})
    rows.sort(key=lambda r: -r["own_s"])
    return rows[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="database URL, migrated and filled")
    parser.add_argument("--clients", type=int, required=True, help="stored clients in it")
    parser.add_argument("--size", choices=tuple(SIZES), default="full")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--log", type=Path, help="where the bot's warnings and errors go")
    parser.add_argument("--breakdown", action="store_true", help="also time the parts of the path")
    parser.add_argument("--profile", action="store_true", help="also a CPU profile of the one-at-a-time pass")
    args = parser.parse_args()
    logged = capture(args.log)
    run: Callable[[], Awaitable[dict[str, Any]]] = lambda: measure(  # noqa: E731
        args.db, args.clients, SIZES[args.size], breakdown=args.breakdown, profile=args.profile)
    result = asyncio.run(run())
    result["log"] = dict(logged)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

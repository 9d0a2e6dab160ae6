"""One measurement, in a process of its own so that its memory figures are the bot's alone:
``python -m bench.load --db URL --clients N --out result.json`` (the database is filled already).

``load``: start the bot (idle memory), then each scenario by people one after another (latency),
the same updates through the floor dispatcher, then many people at once (throughput).
``flood``: people using the bot at a human pace in real time, first alone, then with one person
sending 100 messages a second; the others' latency is compared and the flooder's answers counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiogram.types import Update

from bench.bot import BotUnderTest, PacedClock, floor_dispatcher, start_bot
from bench.breakdown import Breakdown
from bench.logs import capture
from bench.people import Driver, Person, ScenarioError
from bench.prefill import user_id
from bench.scenarios import QUESTIONS, SCENARIOS
from bench.stats import latency_summary, peak_rss_mb, rss_mb


@dataclass(frozen=True)
class Sizes:
    updates_per_scenario: int  # sequential: people one after another until this many updates
    concurrent_users: int
    concurrent_rounds: int
    flood_seconds: float
    flood_users: int
    think: float = 0.6  # seconds between a person's actions in real time: under the limit of 2 a second


FULL = Sizes(updates_per_scenario=400, concurrent_users=200, concurrent_rounds=2, flood_seconds=10.0, flood_users=20)
QUICK = Sizes(updates_per_scenario=120, concurrent_users=200, concurrent_rounds=1, flood_seconds=5.0, flood_users=20)
# The smoke test: a few people; thinking 0.3 s stays within the anti-flood burst of a short conversation.
TINY = Sizes(updates_per_scenario=10, concurrent_users=8, concurrent_rounds=1, flood_seconds=0.5, flood_users=2,
             think=0.3)


def people(clients: int) -> Iterator[int]:
    """Telegram ids of the people taking part: stored clients spread over the whole table (each
    once), then new ones."""
    for k in range(clients):
        yield user_id(k * 7919 % clients) if clients % 7919 else user_id(k)
    k = clients
    while True:
        yield user_id(k)
        k += 1


class Run:
    def __init__(self, bot: BotUnderTest, clients: int, seed: int = 7) -> None:
        self.bot = bot
        self.ids = people(clients)
        self.rng = random.Random(seed)
        self.failed: list[str] = []

    def person(self, driver: Driver) -> Person:
        return Person(driver, next(self.ids))

    async def scenario(self, name: str, driver: Driver, rng: random.Random | None = None) -> bool:
        """True when the person got where the scenario leads; why not is kept in ``failed``."""
        try:
            await SCENARIOS[name](self.person(driver), rng or self.rng, self.bot.app.services.directory)
        except ScenarioError as exc:
            self.failed.append(f"{name}: {exc}")
            return False
        return True


async def measure_load(url: str, clients: int, sizes: Sizes, breakdown: bool = False) -> dict[str, Any]:
    flood_clock = PacedClock()
    bot = await start_bot(url, flood_clock=flood_clock)
    idle = rss_mb()
    run = Run(bot, clients)
    driver = Driver(bot.dispatcher, bot.bot, bot.session, record=True)
    driver.before_feed.append(flood_clock.tick)
    try:
        for name in SCENARIOS:  # warm-up: first imports, compiled queries, the dictionaries
            for _ in range(2):
                await run.scenario(name, driver)
        driver.reset()
        troubles_before = bot.session.troubles

        scenarios: dict[str, Any] = {}
        all_latencies: list[float] = []
        recorded: list[dict[str, Any]] = []
        for name in SCENARIOS:
            driver.reset()
            completed = persons = 0
            while len(driver.latencies) < sizes.updates_per_scenario:
                persons += 1
                completed += await run.scenario(name, driver)
            scenarios[name] = {**latency_summary(driver.latencies), "people": persons, "completed": completed}
            all_latencies += driver.latencies
            recorded += driver.recorded or []
        sequential = latency_summary(all_latencies)

        floor = await _floor(bot, recorded)
        parts = await _breakdown(run, sizes, flood_clock) if breakdown else None

        driver = Driver(bot.dispatcher, bot.bot, bot.session)
        driver.before_feed.append(flood_clock.tick)
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
            "clients": clients,
            "idle_rss_mb": idle,
            "peak_rss_mb": peak_rss_mb(),
            "scenarios": scenarios,
            "sequential": sequential,
            "floor": floor,
            "floor_ratio": sequential["mean_ms"] / floor["mean_ms"] if floor["mean_ms"] else 0.0,
            "breakdown_ms": parts,
            "concurrent": concurrent,
            "apologies": bot.session.troubles - troubles_before,
            "scenario_errors": run.failed[:5],
            "scenario_error_count": len(run.failed),
            "api_calls": dict(bot.session.calls),
        }
    finally:
        await bot.close()


async def _floor(bot: BotUnderTest, updates: list[dict[str, Any]]) -> dict[str, float]:
    """The same raw updates, one after another, through a dispatcher whose handlers do nothing."""
    dp = floor_dispatcher()
    latencies = []
    for raw in updates[:20]:  # warm-up
        await dp.feed_update(bot.bot, Update.model_validate(raw, context={"bot": bot.bot}))
    for raw in updates:
        began = time.perf_counter()
        await dp.feed_update(bot.bot, Update.model_validate(raw, context={"bot": bot.bot}))
        latencies.append(time.perf_counter() - began)
    return latency_summary(latencies)


async def _breakdown(run: Run, sizes: Sizes, flood_clock: PacedClock) -> dict[str, Any]:
    """Each scenario again, one person at a time, with the parts of the path timed, and the
    slowest steps (from which step to which one a person's update moved him)."""
    driver = Driver(run.bot.dispatcher, run.bot.bot, run.bot.session)
    driver.before_feed.append(flood_clock.tick)
    parts = Breakdown()
    driver.after_feed.append(parts.after_feed)
    parts.install()
    try:
        began = time.thread_time()
        for name in SCENARIOS:
            target = len(driver.latencies) + sizes.updates_per_scenario // 2
            while len(driver.latencies) < target:
                await run.scenario(name, driver)
        return {"parts_ms": parts.per_update(time.thread_time() - began, len(driver.latencies)),
                "slowest_steps": parts.slowest()}
    finally:
        parts.uninstall()


# --------------------------------------------------------------------------- anti-flood
FLOOD_INTERVAL = 0.01  # the flooder: 100 messages a second


async def measure_flood(url: str, clients: int, sizes: Sizes) -> dict[str, Any]:
    bot = await start_bot(url)  # the real anti-flood clock: wall time
    run = Run(bot, clients, seed=11)
    try:
        warm = Driver(bot.dispatcher, bot.bot, bot.session)
        for name in SCENARIOS:
            await run.scenario(name, warm)
        calm = await _flood_round(run, sizes, flooder=None)
        flooder_id = next(run.ids)
        flooded = await _flood_round(run, sizes, flooder=flooder_id)
        view = bot.session.view(flooder_id)
        sent = flooded.pop("flooder_sent")
        seconds = flooded.pop("flooder_seconds")
        calm.pop("flooder_sent")
        calm.pop("flooder_seconds")
        return {
            "others_without_flooder": calm,
            "others_with_flooder": flooded,
            "p99_change_pct": _change(calm["p99_ms"], flooded["p99_ms"]),
            "p50_change_pct": _change(calm["p50_ms"], flooded["p50_ms"]),
            "flooder": {"sent": sent, "seconds": seconds, "per_s": sent / seconds if seconds else 0.0,
                        "flood_notices": view.flood_notices,
                        "answered": view.texts - view.flood_notices},
            "limit": {"rate_per_s": bot.app.settings.flood_rate,
                      "burst": bot.app.settings.flood_burst},
        }
    finally:
        await bot.close()


def _change(before: float, after: float) -> float:
    return (after - before) / before * 100 if before else 0.0


async def _flood_round(run: Run, sizes: Sizes, flooder: int | None) -> dict[str, Any]:
    """People at a human pace for ``flood_seconds`` (each finishes the conversation he began); the
    flooder, if any, sends 100 messages a second until the last of them is done."""
    bot = run.bot
    driver = Driver(bot.dispatcher, bot.bot, bot.session)
    began = time.monotonic()
    deadline = began + sizes.flood_seconds
    names = list(SCENARIOS)
    everyone_done = asyncio.Event()

    async def normal(i: int) -> None:
        rng = random.Random(i)
        await asyncio.sleep(rng.random() * sizes.think)  # not all at the same instant
        while time.monotonic() < deadline:
            p = Person(driver, next(run.ids), think=sizes.think)
            try:
                await SCENARIOS[names[i % len(names)]](p, rng, bot.app.services.directory)
            except ScenarioError as exc:
                run.failed.append(str(exc))

    async def people() -> None:
        await asyncio.gather(*(normal(i) for i in range(sizes.flood_users)))
        everyone_done.set()

    sent = 0
    flood_seconds = 0.0

    async def flood(uid: int) -> None:
        nonlocal sent, flood_seconds
        flood_driver = Driver(bot.dispatcher, bot.bot, bot.session)
        person = Person(flood_driver, uid)
        tasks: set[asyncio.Task[float]] = set()
        started = time.monotonic()
        while not everyone_done.is_set():
            update = person._message(text=QUESTIONS[sent % len(QUESTIONS)])
            task = asyncio.create_task(flood_driver.feed(update))  # each update its own task, as polling does
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            sent += 1
            await asyncio.sleep(max(0.0, started + sent * FLOOD_INTERVAL - time.monotonic()))
        flood_seconds = time.monotonic() - started
        await asyncio.gather(*tasks)

    await asyncio.gather(people(), *([flood(flooder)] if flooder is not None else []))
    out: dict[str, Any] = latency_summary(driver.latencies, time.monotonic() - began)
    out["flooder_sent"] = sent
    out["flooder_seconds"] = flood_seconds
    return out


# --------------------------------------------------------------------------- command line
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="database URL, migrated and filled")
    parser.add_argument("--clients", type=int, required=True, help="stored clients in it")
    parser.add_argument("--mode", choices=("load", "flood"), default="load")
    parser.add_argument("--size", choices=("full", "quick", "tiny"), default="full")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--log", type=Path, help="where the bot's warnings and errors go")
    parser.add_argument("--breakdown", action="store_true", help="also time the parts of the path")
    args = parser.parse_args()
    sizes = {"full": FULL, "quick": QUICK, "tiny": TINY}[args.size]
    logged = capture(args.log)
    if args.mode == "load":
        result = asyncio.run(measure_load(args.db, args.clients, sizes, breakdown=args.breakdown))
    else:
        result = asyncio.run(measure_flood(args.db, args.clients, sizes))
    result["log"] = dict(logged)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

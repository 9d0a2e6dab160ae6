"""Where the time of an update goes: CPU time of the event-loop thread, split by the parts of the
path, measured in a separate pass (the wrappers cost a little) with people one after another.

The engine includes the state load and save and the flows' other database work; "aiogram" is
what is left of an update outside the engine and the answer (parsing the update, the dispatcher,
the middlewares, the anti-flood check)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import handlers.engine as engine_module
from bench.mocked import RecordingSession
from bot.channels.telegram.channel import TelegramChannel
from handlers.engine import Engine
from storage.db import Database

PARTS = (
    ("total", "whole update"),
    ("engine", "engine: flows, screens, state"),
    ("load_state", "– state load"),
    ("save_state", "– state save"),
    ("sessions", "– other database work of the flows"),
    ("show", "the answer: rendering and sending"),
    ("answer_query", "answering the button press"),
    ("aiogram", "aiogram: update parsing, dispatcher, middlewares"),
    ("api", "Bot API calls in all (request encoding, response parsing; within the two above)"),
)


class Breakdown:
    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()
        self.steps: dict[str, list[float]] = defaultdict(list)  # "from step → to step": update latencies
        self._undo: list[Callable[[], None]] = []
        self._from = self._to = "?"
        self._in_state = [False]  # within a state load or save (their statements are counted there)

    def after_feed(self, seconds: float) -> None:
        """Driver hook: file the update's latency under the step it moved the person from and to."""
        self.steps[f"{self._from} → {self._to}"].append(seconds)
        self._from = self._to = "?"

    def slowest(self, count: int = 6) -> list[dict[str, Any]]:
        rows = [{"step": k, "updates": len(v), "mean_ms": sum(v) / len(v) * 1000} for k, v in self.steps.items()]
        return sorted(rows, key=lambda r: -r["mean_ms"])[:count]

    def _patch(self, owner: Any, name: str, key: str,
               seen: Callable[[tuple[Any, ...], Any], None] | None = None) -> None:
        original = getattr(owner, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.thread_time()
            state = key in ("load_state", "save_state")
            self._in_state[0] = self._in_state[0] or state
            try:
                result = await original(*args, **kwargs)
            finally:
                self.cpu[key] += time.thread_time() - began
                if state:
                    self._in_state[0] = False
            if seen is not None:
                seen(args, result)
            return result

        setattr(owner, name, timed)
        self._undo.append(lambda: setattr(owner, name, original))

    def install(self) -> None:
        self._patch(engine_module, "load_state", "load_state",
                    lambda args, result: setattr(self, "_from", result.step if result else "new"))
        self._patch(engine_module, "save_state", "save_state", lambda args, result: setattr(self, "_to", args[4].step))
        self._patch(Engine, "handle", "engine")
        self._patch(TelegramChannel, "answer", "show")
        self._patch(TelegramChannel, "answer_query", "answer_query")
        self._patch(RecordingSession, "make_request", "api")
        self._patch_flow_queries()

    def _patch_flow_queries(self) -> None:
        """The flows' own database work: ORM sessions, and the prebuilt statements and transactions
        of ``Database.rows`` / ``transaction`` except those of the state load and save (counted
        above)."""
        cpu = self.cpu
        in_state = self._in_state

        def timed_context(name: str) -> None:
            original = getattr(Database, name)

            @asynccontextmanager
            async def wrapped(db: Database) -> AsyncIterator[Any]:
                began = time.thread_time()
                try:
                    async with original(db) as value:
                        yield value
                finally:
                    cpu["sessions"] += time.thread_time() - began

            setattr(Database, name, wrapped)
            self._undo.append(lambda: setattr(Database, name, original))

        timed_context("transaction")
        original_rows = Database.rows

        async def rows(db: Database, *args: Any, **kwargs: Any) -> Any:
            if in_state[0]:
                return await original_rows(db, *args, **kwargs)
            began = time.thread_time()
            try:
                return await original_rows(db, *args, **kwargs)
            finally:
                cpu["sessions"] += time.thread_time() - began

        Database.rows = rows  # type: ignore[method-assign]
        self._undo.append(lambda: setattr(Database, "rows", original_rows))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def per_update(self, total_cpu: float, updates: int) -> dict[str, float]:
        """Milliseconds of CPU per update for each part."""
        self.cpu["total"] = total_cpu
        self.cpu["aiogram"] = total_cpu - self.cpu["engine"] - self.cpu["show"] - self.cpu["answer_query"]
        return {key: self.cpu[key] / updates * 1000 for key, _ in PARTS}

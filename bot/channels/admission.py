"""Admission: a flood from many accounts slows new conversations before it slows everyone.

The per-person flood gate (``antiflood``) stops one person; a thousand fresh accounts, each
under its own limit, would still fill the event loop and make everybody wait. Here:

- while fewer than ``busy_at`` events are waiting, everybody passes;
- beyond that (the process is falling behind), people this process has known for a while
  (``established_after`` seconds) still pass, while people seen for the first time, or only
  just, share one token bucket (``rate`` events a second, ``burst`` at once): during a flood of
  fresh accounts they are told once to try again a little later and their messages are dropped,
  while established people are answered as usual;
- whoever it is, no more than ``max_in_flight`` events wait at once: beyond that the event is
  dropped with the same notice, so memory and waiting stay bounded.

The memory of who was seen when is bounded (``max_people``); forgetting someone only makes him
new again.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from bot.channels.antiflood import Verdict


class Admission:
    def __init__(self, *, rate: float, burst: int, established_after: float, max_in_flight: int, busy_at: int,
                 clock: Callable[[], float] = time.monotonic, max_people: int = 200_000) -> None:
        self.rate = rate
        self.busy_at = busy_at
        self.burst = float(burst)
        self.established_after = established_after
        self.max_in_flight = max_in_flight
        self.clock = clock
        self.max_people = max_people
        self.in_flight = 0
        self._first_seen: OrderedDict[str, float] = OrderedDict()
        self._warned: set[str] = set()
        self._tokens = self.burst
        self._stamp = clock()

    def check(self, person: str) -> Verdict:
        """Whether an event of ``person`` may be handled now (then call ``done`` when it is)."""
        now = self.clock()
        first = self._first_seen.get(person)
        if first is None:
            first = self._first_seen[person] = now
            if len(self._first_seen) > self.max_people:
                self._first_seen.popitem(last=False)
        if self.in_flight >= self.max_in_flight:
            return self._refuse(person)
        new = now - first < self.established_after
        if new and self.in_flight >= self.busy_at and not self._take(now):
            return self._refuse(person)
        self._warned.discard(person)
        self.in_flight += 1
        return Verdict.PASS

    def done(self) -> None:
        self.in_flight -= 1

    def _take(self, now: float) -> bool:
        self._tokens = min(self.burst, self._tokens + max(0.0, now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def _refuse(self, person: str) -> Verdict:
        if person in self._warned:
            return Verdict.DROP
        if len(self._warned) > self.max_people:
            self._warned.clear()
        self._warned.add(person)
        return Verdict.WARN

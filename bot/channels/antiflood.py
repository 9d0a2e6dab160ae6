"""Anti-flood: a token bucket per person (``FLOOD_RATE`` messages a second, ``FLOOD_BURST`` at once).

A person over the limit gets one polite warning per flood (not again until his bucket has refilled),
and his extra messages are dropped; other people are not slowed at all. With ``REDIS_URL`` the buckets live in Redis
and are shared by every instance of the bot; without it each process keeps its own.
"""

from __future__ import annotations

import enum
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


class Verdict(enum.Enum):
    PASS = "pass"
    WARN = "warn"  # over the limit for the first time: drop and say so once
    DROP = "drop"  # still over the limit: drop silently


class FloodGuard(Protocol):
    async def check(self, key: str) -> Verdict: ...

    async def close(self) -> None: ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float
    warned: bool = False


class MemoryFloodGuard:
    """Buckets in this process; at most ``max_keys`` people are remembered (the idlest are forgotten,
    which only gives them a full bucket again)."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def check(self, key: str) -> Verdict:
        now = self.clock()
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        self._buckets[key] = bucket  # most recently seen last
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        bucket.tokens = min(float(self.burst), bucket.tokens + max(0.0, now - bucket.stamp) * self.rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            if bucket.tokens >= self.burst - 1e-9:  # calmed down (the bucket refilled): a new flood gets a new warning
                bucket.warned = False
            bucket.tokens -= 1.0
            return Verdict.PASS
        if not bucket.warned:
            bucket.warned = True
            return Verdict.WARN
        return Verdict.DROP

    async def close(self) -> None:
        self._buckets.clear()

    def __len__(self) -> int:
        return len(self._buckets)


# The same token bucket, atomically in Redis: KEYS[1] = bucket; ARGV = rate, burst, now (seconds).
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp', 'warned')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
local warned = tonumber(state[3]) or 0
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local verdict = 0
if tokens >= 1 then
  if tokens >= burst then warned = 0 end
  tokens = tokens - 1
elseif warned == 0 then
  warned = 1
  verdict = 1
else
  verdict = 2
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now), 'warned', warned)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return verdict
"""
_VERDICTS = (Verdict.PASS, Verdict.WARN, Verdict.DROP)


class RedisFloodGuard:
    """Buckets shared by every instance through Redis. If Redis is unreachable, messages pass
    (a flood guard must never make the bot deaf) and the problem is logged."""

    def __init__(self, url: str, rate: float, burst: int, *, prefix: str = "consult-bot:flood:",
                 clock: Callable[[], float] = time.time) -> None:
        from redis.asyncio import Redis

        self.redis = Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self.clock = clock  # wall time: comparable between machines, unlike monotonic time
        self._script = self.redis.register_script(_BUCKET_SCRIPT)
        self._failing = False

    async def check(self, key: str) -> Verdict:
        try:
            code = await self._script(keys=[self.prefix + key], args=[self.rate, self.burst, self.clock()])
        except Exception as exc:
            if not self._failing:
                log.error("anti-flood: Redis unavailable, letting messages through: %s", exc)
            self._failing = True
            return Verdict.PASS
        if self._failing:
            log.warning("anti-flood: Redis is available again")
            self._failing = False
        return _VERDICTS[int(code)]

    async def close(self) -> None:
        await self.redis.aclose()


def flood_guard(rate: float, burst: int, redis_url: str | None = None,
                clock: Callable[[], float] | None = None) -> FloodGuard:
    if redis_url:
        return RedisFloodGuard(redis_url, rate, burst, **({"clock": clock} if clock else {}))
    return MemoryFloodGuard(rate, burst, **({"clock": clock} if clock else {}))

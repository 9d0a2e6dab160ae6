"""Serialising the events of one person, in one process and across instances.

In one process an asyncio lock per (database, person) is enough. Several processes share
PostgreSQL, so there the person's events are also serialised by a transaction-level advisory lock
that the event's unit of work takes first and its commit releases: two instances never interleave
the steps of the same person, so no answer is lost and no side effect (a booking, a request) is
made twice. SQLite is for one process only (several App objects in it share the process-wide
locks).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from storage.db import Database


def lock_id(key: tuple[str, str]) -> int:
    """A stable signed 64-bit id of a (channel, user) pair for pg_advisory_lock."""
    digest = hashlib.blake2b(f"{key[0]}:{key[1]}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class KeyedLocks:
    """One asyncio lock per key, dropped when nobody holds or waits for it (memory stays flat)."""

    def __init__(self) -> None:
        self._locks: dict[object, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: object) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


LOCAL = KeyedLocks()


@asynccontextmanager
async def person_lock(db: Database, key: tuple[str, str]) -> AsyncIterator[None]:
    """This process's turn for the person; across processes the unit of the event holds the
    person's advisory lock (``Database.unit(lock=lock_id(key))``)."""
    async with LOCAL.hold((db.url, key)):
        yield

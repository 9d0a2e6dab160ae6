"""Serialising the events of one person, in one process and across instances.

In one process an asyncio lock per (database, person) is enough. Several processes share
PostgreSQL, so there the person's events are also serialised with a session-level advisory lock
held while one event is processed: two instances never interleave the steps of the same person, so
no answer is lost and no side effect (a booking, a request) is made twice. SQLite is for one
process only (several App objects in it share the process-wide locks).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from storage.db import HELD, Database

log = logging.getLogger(__name__)


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
    async with LOCAL.hold((db.url, key)):
        if db.is_sqlite:
            yield
        else:
            # Each holder keeps a pooled connection for its lock and needs more for its work; with
            # too many holders they all wait for a connection none of them gives back (the benchmark
            # found it: 200 people at once, and everyone got an error after the pool timeout). Those
            # beyond ``lock_holders`` wait here holding none, so the others can always finish.
            async with db.lock_holders, _advisory(db, key):
                yield


@asynccontextmanager
async def _advisory(db: Database, key: tuple[str, str]) -> AsyncIterator[None]:
    ident = lock_id(key)
    # A session-level advisory lock needs no transaction: the connection is in autocommit, which
    # saves the BEGIN and COMMIT round trips around taking and releasing it.
    async with db.direct() as held:
        await held.value("SELECT pg_advisory_lock($1::BIGINT)", ident)
        token = HELD.set(held)
        try:
            yield
        finally:
            HELD.reset(token)
            if not held.broken:  # else the server's session, and the lock with it, are gone
                try:
                    await held.value("SELECT pg_advisory_unlock($1::BIGINT)", ident)
                except Exception as exc:  # the event itself is done: not worth an apology
                    held.discard = True  # still locked, maybe: closing the connection unlocks
                    log.warning("advisory unlock of %s:%s failed, the connection is closed instead: %s",
                                *key, exc)
                except BaseException:
                    held.discard = True
                    raise

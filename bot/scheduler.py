"""The scheduler: APScheduler wakes up every few seconds and at the daily hours; the work itself
is claimed from the database, so it survives restarts and runs once across instances.

Each job and each daily routine runs in a unit of work: what it changes, the messages it returns
(written to the outbox) and the job's own "done" commit together. The messages are delivered
after the commit; a message that cannot go now waits in the outbox, never the job. The same tick
sweeps the outbox (retries, and rows an instance claimed before it died) and, on SQLite, copies
the write-ahead log into the database file now and then (off the event loop), and after every
daily routine.
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import TYPE_CHECKING

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from handlers.engine import describe, queue
from handlers.jobs import DAILY, JOB_HANDLERS
from storage.jobs import claim_due_jobs, finish_job, retry_job, run_once

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
CHECKPOINT_EVERY = 60.0  # seconds between SQLite WAL checkpoints


class JobRunner:
    """Runs due jobs, daily routines and the outbox sweep."""

    def __init__(self, app: App, worker: str | None = None) -> None:
        self.app = app
        self.services = app.services
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.scheduler: AsyncIOScheduler | None = None

    async def run_due(self, limit: int = 200) -> int:
        """Claim and run every job that is due now, then deliver what is due in the outbox;
        returns how many jobs ran."""
        services = self.services
        now = services.clock()
        jobs = await claim_due_jobs(services.db, now, worker=self.worker, limit=limit, kinds=tuple(JOB_HANDLERS))
        for job in jobs:
            try:
                async with services.db.unit():
                    outs = await JOB_HANDLERS[job.kind](job, services)
                    queued = await queue(services, outs, bulk=True)
                    await finish_job(services.db, job.id, services.clock())
            except Exception as exc:
                delay = RETRY_DELAYS[job.attempts - 1] if job.attempts <= len(RETRY_DELAYS) else None
                log.error("job %s #%d failed (attempt %d)%s: %s", job.kind, job.id, job.attempts,
                          "" if delay else ", giving up", describe(exc))
                await retry_job(services.db, job.id, type(exc).__name__, now + delay if delay else None, now)
            else:
                await self.app.sender.deliver(queued)
        await self.sweep()
        return len(jobs)

    async def sweep(self) -> int:
        """Deliver everything due in the outbox; returns how many messages were taken."""
        total = 0
        while (taken := await self.app.sender.sweep()) > 0:
            total += taken
        return total

    async def run_daily(self, name: str) -> bool:
        """Run a daily routine unless another instance already did today."""
        routine = DAILY[name]
        services = self.services
        today = services.clock().astimezone(services.tz).date()
        async with services.db.unit():
            # The claim commits with the work: a routine that fails is tried again (next start-up
            # or tomorrow), not marked done.
            if not await run_once(services.db, f"daily:{name}:{today.isoformat()}", services.clock()):
                return False
            outs = await routine.handler(services)
            queued = await queue(services, outs, bulk=True)
        await self.app.sender.deliver(queued)
        # What a routine deleted (the retention of personal data) leaves SQLite's write-ahead log
        # now, not at the next periodic checkpoint: with secure_delete the files then hold none of it.
        await services.db.checkpoint()
        return True

    def start(self, interval_seconds: float = 5.0) -> None:
        self.scheduler = AsyncIOScheduler(timezone=self.services.tz)
        self.scheduler.add_job(self._tick, IntervalTrigger(seconds=interval_seconds), id="due-jobs",
                               max_instances=1, coalesce=True)
        for routine in DAILY.values():
            self.scheduler.add_job(self._daily, CronTrigger(hour=routine.hour, minute=routine.minute),
                                   args=[routine.name], id=f"daily-{routine.name}", max_instances=1,
                                   coalesce=True, misfire_grace_time=3600)
        if self.services.db.is_sqlite:
            self.scheduler.add_job(self._checkpoint, IntervalTrigger(seconds=CHECKPOINT_EVERY), id="checkpoint",
                                   max_instances=1, coalesce=True)
        self.scheduler.start()

    async def _tick(self) -> None:
        try:
            while await self.run_due() >= 200:
                pass
        except Exception as exc:
            log.error("scheduler tick failed; will try again: %s", describe(exc))

    async def _daily(self, name: str) -> None:
        try:
            await self.run_daily(name)
        except Exception as exc:
            log.error("daily routine %s failed: %s", name, describe(exc))

    async def _checkpoint(self) -> None:
        try:
            await self.services.db.checkpoint()
        except Exception as exc:
            log.warning("SQLite checkpoint failed; will try again: %s", describe(exc))

    def stop(self) -> None:
        if self.scheduler and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

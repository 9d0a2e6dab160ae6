"""The scheduler: APScheduler wakes up every few seconds and at the daily hours; the work itself
is claimed from the database, so it survives restarts and runs once across instances."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.pacing import bulk
from handlers.jobs import DAILY, JOB_HANDLERS
from handlers.models import Outgoing
from handlers.services import Services
from storage.jobs import claim_due_jobs, finish_job, retry_job, run_once

log = logging.getLogger(__name__)
DeliverFn = Callable[[Outgoing], Awaitable[bool]]
RETRY_DELAYS = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))


class JobRunner:
    """Runs due jobs and daily routines; ``deliver`` sends what they produce and raises when a
    message should be tried again later (``App.send_now``): the job is then retried with backoff,
    and kept as failed after the last attempt."""

    def __init__(self, services: Services, deliver: DeliverFn, worker: str | None = None) -> None:
        self.services = services
        self.deliver = deliver
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.scheduler: AsyncIOScheduler | None = None

    async def run_due(self, limit: int = 200) -> int:
        """Claim and run every job that is due now; returns how many ran."""
        now = self.services.clock()
        jobs = await claim_due_jobs(self.services.db, now, worker=self.worker, limit=limit,
                                    kinds=tuple(JOB_HANDLERS))
        for job in jobs:
            try:
                outs = await JOB_HANDLERS[job.kind](job, self.services)
                with bulk():  # nobody waits for these: paced under the messenger's limits
                    for out in outs:
                        await self.deliver(out)
            except Exception as exc:
                delay = RETRY_DELAYS[job.attempts - 1] if job.attempts <= len(RETRY_DELAYS) else None
                log.exception("job %s #%d failed (attempt %d)%s", job.kind, job.id, job.attempts,
                              "" if delay else ", giving up")
                await retry_job(self.services.db, job.id, repr(exc), now + delay if delay else None, now)
            else:
                await finish_job(self.services.db, job.id, self.services.clock())
        return len(jobs)

    async def run_daily(self, name: str) -> bool:
        """Run a daily routine unless another instance already did today."""
        routine = DAILY[name]
        today = self.services.clock().astimezone(self.services.tz).date()
        if not await run_once(self.services.db, f"daily:{name}:{today.isoformat()}", self.services.clock()):
            return False
        outs = await routine.handler(self.services)
        with bulk():
            for out in outs:
                await self.deliver(out)
        return True

    def start(self, interval_seconds: float = 5.0) -> None:
        self.scheduler = AsyncIOScheduler(timezone=self.services.tz)
        self.scheduler.add_job(self._tick, IntervalTrigger(seconds=interval_seconds), id="due-jobs",
                               max_instances=1, coalesce=True)
        for routine in DAILY.values():
            self.scheduler.add_job(self._daily, CronTrigger(hour=routine.hour, minute=routine.minute),
                                   args=[routine.name], id=f"daily-{routine.name}", max_instances=1,
                                   coalesce=True, misfire_grace_time=3600)
        self.scheduler.start()

    async def _tick(self) -> None:
        try:
            while await self.run_due() >= 200:
                pass
        except Exception:
            log.exception("scheduler tick failed; will try again")

    async def _daily(self, name: str) -> None:
        try:
            await self.run_daily(name)
        except Exception:
            log.exception("daily routine %s failed", name)

    def stop(self) -> None:
        if self.scheduler and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

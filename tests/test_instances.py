"""Several instances on one database: per-person ordering, exactly-once jobs.

Every test runs on SQLite and PostgreSQL; the two "instances" are two independent App objects
(own engine, own connection pool, own in-process locks) on the same database, as two processes
behind a load balancer would be.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from bot.app import App
from bot.channels.base import Channel, Here
from bot.scheduler import JobRunner
from handlers.engine import Context, Option, Screen, Step, step
from handlers.jobs import job_handler
from handlers.models import Address, Event, Outgoing, Reply
from handlers.services import Services
from storage.conversations import load_state
from storage.jobs import Job, pending_jobs, schedule_job
from tests.conftest import handle


@step
class CollectStep(Step):
    """A test-only step that keeps every text it gets: a lost answer would be visible."""

    name = "test.collect"

    async def screen(self, ctx: Context) -> Screen:
        return Screen(text=f"Записано: {len(ctx.data.get('log', []))}", rows=[[Option("x", "x")]],
                      text_mode="input")

    async def on_text(self, ctx: Context, text: str) -> bool:
        await asyncio.sleep(0.005)  # a flow that awaits something: room for interleaving
        ctx.data.setdefault("log", []).append(text)
        return True


async def _two_instances(settings, clock) -> tuple[App, App]:  # type: ignore[no-untyped-def]
    return (await App.create(settings, clock=clock, migrate=False),
            await App.create(settings, clock=clock, migrate=False))


async def test_concurrent_updates_of_one_person_at_two_instances_lose_nothing(settings, clock) -> None:  # type: ignore[no-untyped-def]
    a, b = await _two_instances(settings, clock)
    try:
        first = await handle(a, Event("telegram", "42", "42", text="привет"))
        assert first
        # Put the person on the collecting step, then fire 30 answers at both instances at once.
        from storage.conversations import save_state

        state = await load_state(a.services.db, "telegram", "42")
        assert state is not None
        state.step, state.params = "test.collect", {}
        await save_state(a.services.db, "telegram", "42", "42", state, clock())
        texts = [f"ответ {i}" for i in range(30)]
        results = await asyncio.gather(*(
            handle(a if i % 2 else b, Event("telegram", "42", "42", text=t)) for i, t in enumerate(texts)))
        for outs in results:
            assert outs and "Записано" in outs[-1].reply.text, "every update got its reply"
        final = await load_state(a.services.db, "telegram", "42")
        assert final is not None
        assert sorted(final.data["log"]) == sorted(texts), "no answer lost, none applied twice"
    finally:
        await a.close()
        await b.close()


SENT: Counter[int] = Counter()


class _Recording(Channel):
    """The channel "test": which instance delivered which reminder."""

    name = "test"

    def __init__(self, app: App, instance: str, log: list[tuple[str, int]]) -> None:
        super().__init__(app)
        self.instance = instance
        self.log = log

    async def send(self, address: Address, reply: Reply, *, key: str, here: Here | None = None) -> list[str]:
        self.log.append((self.instance, int(address.chat_id)))
        return [key]


@job_handler("test_ping")
async def _ping(job: Job, services: Services) -> list[Outgoing]:
    await asyncio.sleep(0)
    return [Outgoing(Address("test", str(job.payload["n"])), Reply(f"Напоминание {job.payload['n']}"))]


async def test_two_schedulers_run_500_due_reminders_exactly_once(settings, clock) -> None:  # type: ignore[no-untyped-def]
    a, b = await _two_instances(settings, clock)
    SENT.clear()
    delivered: list[tuple[str, int]] = []
    try:
        for n in range(500):
            await schedule_job(a.services.db, "test_ping", clock() - timedelta(minutes=1), {"n": n}, now=clock(),
                               key=f"ping:{n}")

        a.add_channel(_Recording(a, "a", delivered))
        b.add_channel(_Recording(b, "b", delivered))
        runners = [JobRunner(a, worker="a"), JobRunner(b, worker="b")]

        async def drain(runner: JobRunner) -> None:
            while await runner.run_due(limit=25):
                pass

        await asyncio.gather(*(drain(r) for r in runners))
        counts = Counter(n for _, n in delivered)
        assert len(counts) == 500 and set(counts.values()) == {1}, "each reminder sent exactly once"
        assert await pending_jobs(a.services.db, "test_ping") == []
    finally:
        await a.close()
        await b.close()


async def test_a_crashed_instance_leaves_its_jobs_to_the_other(settings, clock) -> None:  # type: ignore[no-untyped-def]
    from storage.jobs import claim_due_jobs

    a, b = await _two_instances(settings, clock)
    try:
        await schedule_job(a.services.db, "test_ping", clock(), {"n": 7}, now=clock(), key="ping:crash")
        claimed = await claim_due_jobs(a.services.db, clock(), worker="a", kinds=("test_ping",))
        assert len(claimed) == 1  # instance a took it ... and died before finishing
        got: list[tuple[str, int]] = []
        b.add_channel(_Recording(b, "b", got))
        runner = JobRunner(b, worker="b")
        assert await runner.run_due() == 0, "the lease of a is still valid"
        clock.advance(minutes=6)
        assert await runner.run_due() == 1, "after the lease expired b runs it"
        assert got == [("b", 7)]
    finally:
        await a.close()
        await b.close()

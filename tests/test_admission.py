"""A flood from many accounts: under pressure, new people share one bucket and are told once to try
again; people already in a conversation are answered as usual; waiting is bounded."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.channels.admission import Admission
from bot.channels.antiflood import Verdict
from bot.settings import Settings
from handlers import texts
from tests.conftest import FakeClock
from tests.requests_helpers import RecordingChannel


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_new_people_share_a_bucket_only_under_pressure() -> None:
    clock = Clock()
    gate = Admission(rate=2, burst=2, established_after=60, max_in_flight=6, busy_at=3, clock=clock)
    assert gate.check("old") is Verdict.PASS  # seen now...
    gate.done()
    clock.now += 61  # ... and known for a minute: established
    # no pressure: new people pass freely
    assert [gate.check(f"new{i}") for i in range(3)] == [Verdict.PASS] * 3
    # three wait now: new people need a token (a burst of two), then are told once and dropped
    assert [gate.check(f"fresh{i}") for i in range(3)] == [Verdict.PASS, Verdict.PASS, Verdict.WARN]
    assert gate.check("fresh2") is Verdict.DROP
    assert gate.check("old") is Verdict.PASS, "an established person is not slowed"
    assert gate.check("old") is Verdict.WARN, "but nobody passes the bound on waiting events"
    for _ in range(6):
        gate.done()
    clock.now += 1  # two new tokens a second
    assert gate.check("fresh2") is Verdict.PASS


async def test_flood_from_many_accounts_does_not_stall_a_person_in_a_conversation(
        settings: Settings, clock: FakeClock) -> None:
    values = settings.model_dump()
    values.update(busy_at=5, new_people_rate=5, new_people_burst=5, established_after=60, flood_burst=50)
    app = await App.create(Settings(_env_file=None, **values), clock=clock, migrate=False)  # type: ignore[call-arg]
    try:
        ch = RecordingChannel(app)
        ch.channel.flood = ch.channel.flood.__class__(1000, 1000)
        gate = app.admission
        await ch.send("citizen", "привет")  # a person who started a while ago
        gate._first_seen["telegram:citizen"] -= 120  # known for two minutes
        handle = app.engine.handle

        async def slow(event):  # type: ignore[no-untyped-def]
            await asyncio.sleep(0.002)  # a busy database: events pile up
            return await handle(event)

        app.engine.handle = slow  # type: ignore[method-assign]

        async def flooder(n: int) -> None:
            for _ in range(3):
                await ch.send(f"bot{n}", "привет")

        async def citizen() -> list[str]:
            answers = []
            for text in ("2", "1", "меню"):
                await asyncio.sleep(0)
                answers.append(await ch.send("citizen", text))
            return answers

        flood = asyncio.gather(*(flooder(n) for n in range(300)))
        answers = await citizen()
        await flood
        assert "Что вас интересует по аттестации?" in answers[0]
        assert all(texts.BUSY not in a for a in answers), "the person in a conversation is never refused"
        busy = [c for c in {f"bot{n}" for n in range(300)} if texts.BUSY in "\n".join(ch.chat(c))]
        assert busy, "fresh accounts were slowed"
        assert all("\n".join(ch.chat(c)).count(texts.BUSY) == 1 for c in busy), "told once each"
        assert gate.in_flight == 0
    finally:
        await app.close()

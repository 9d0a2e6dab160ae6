"""Bot API faults beyond the channel's own retries: the message is kept in the outbox, retried with
backoff by the scheduler and delivered once; if it never goes through it is kept and listed to staff
(/undelivered), never dropped silently. Real HTTP against the strict fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel, create_bot
from bot.scheduler import JobRunner
from bot.settings import Settings
from handlers.models import Address, Event, Outgoing, Reply
from storage.jobs import failed_jobs, pending_jobs
from tests.conftest import FakeClock
from tests.fake_telegram_api import FakeTelegramServer

STAFF_CHAT = -100500


@pytest.fixture
async def wired(settings: Settings, clock: FakeClock) -> AsyncIterator[tuple[App, FakeTelegramServer]]:
    async with FakeTelegramServer() as tg:
        values = settings.model_dump()
        values.update(telegram_token=tg.api.token, telegram_api_server=tg.base_url, telegram_request_timeout=1,
                      telegram_retry_delay=0.001)
        app = await App.create(Settings(_env_file=None, **values), clock=clock, migrate=False)  # type: ignore[call-arg]

        async def no_sleep(seconds: float) -> None:
            return None

        bot = create_bot(app.settings, sleep=no_sleep)
        channel = TelegramChannel(app, bot)
        app.add_channel(channel)
        tg.api.add_group(STAFF_CHAT, "Отдел кадров")
        try:
            yield app, tg
        finally:
            await channel.close()
            await bot.session.close()
            await app.close()


def _notice(n: int) -> Outgoing:
    return Outgoing(Address("telegram", str(STAFF_CHAT)), Reply(f"Новое обращение №{n}"), staff=True)


async def test_message_kept_during_an_outage_is_delivered_once_later(wired, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    app, tg = wired
    tg.api.fail("sendMessage", 500, times=50)  # far beyond the channel's own retry budget
    assert await app.deliver(_notice(1)) is True, "accepted: kept for a later try"
    assert tg.api.texts(STAFF_CHAT) == []
    assert len(await pending_jobs(app.services.db, "outbox")) == 1

    runner = JobRunner(app.services, app.send_now)
    clock.advance(seconds=31)
    tg.api.failures.clear()  # the Bot API is back
    assert await runner.run_due() == 1
    assert tg.api.texts(STAFF_CHAT) == ["Новое обращение №1"]
    clock.advance(hours=3)
    await runner.run_due()
    assert tg.api.texts(STAFF_CHAT) == ["Новое обращение №1"], "delivered exactly once"
    assert await pending_jobs(app.services.db, "outbox") == []


async def test_message_that_never_goes_through_is_kept_and_listed(wired, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    app, tg = wired
    tg.api.fail("sendMessage", 502, times=10_000)
    await app.deliver(_notice(2))
    runner = JobRunner(app.services, app.send_now)
    attempts = 0
    for _ in range(8):
        clock.advance(hours=3)
        attempts += await runner.run_due()
    assert attempts == 5, "retried with backoff, then given up"
    failed = await failed_jobs(app.services.db, "outbox")
    assert len(failed) == 1 and failed[0].payload["reply"]["text"] == "Новое обращение №2"
    assert tg.api.texts(STAFF_CHAT) == []

    # Staff see what was not delivered; a citizen may not.
    outs = await app.engine.handle(Event("console", "admin", "admin", text="/undelivered"))
    assert "Не удалось доставить сообщений: 1" in outs[0].reply.text
    assert "telegram:-100500: Новое обращение №2" in outs[0].reply.text
    outs = await app.engine.handle(Event("telegram", "77", "77", text="/undelivered"))
    assert "только сотрудникам" in outs[0].reply.text

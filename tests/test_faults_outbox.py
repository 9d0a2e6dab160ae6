"""Bot API faults beyond the channel's own retries: the message waits in the outbox, is retried with
backoff by the scheduler and delivered once; if it never goes through it is kept and listed to its
department's staff (/undelivered), never dropped silently; one refused message does not stop the
others. Real HTTP against the strict fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel, create_bot
from bot.scheduler import JobRunner
from bot.settings import Settings
from handlers.engine import queue
from handlers.models import Address, Document, Event, Outgoing, Reply
from storage.outbox import undelivered, unfinished_count
from tests.conftest import FakeClock, handle
from tests.fake_telegram_api import FakeTelegramServer

STAFF_CHAT = -100500  # personnel
OTHER_CHAT = -100600  # awards


@pytest.fixture
async def wired(settings: Settings, clock: FakeClock) -> AsyncIterator[tuple[App, FakeTelegramServer]]:
    async with FakeTelegramServer() as tg:
        values = settings.model_dump()
        values.update(telegram_token=tg.api.token, telegram_api_server=tg.base_url, telegram_request_timeout=1,
                      telegram_retry_delay=0.001, staff_chats=f"personnel={STAFF_CHAT};awards={OTHER_CHAT}")
        app = await App.create(Settings(_env_file=None, **values), clock=clock, migrate=False)  # type: ignore[call-arg]

        async def no_sleep(seconds: float) -> None:
            return None

        bot = create_bot(app.settings, sleep=no_sleep)
        channel = TelegramChannel(app, bot)
        app.add_channel(channel)
        tg.api.add_group(STAFF_CHAT, "Отдел кадров")
        tg.api.add_group(OTHER_CHAT, "Отдел наградной политики")
        try:
            yield app, tg
        finally:
            await channel.close()
            await bot.session.close()
            await app.close()


def _notice(n: int, **reply: object) -> Outgoing:
    return Outgoing(Address("telegram", str(STAFF_CHAT)), Reply(f"Новое обращение №{n}", **reply),  # type: ignore[arg-type]
                    staff=True, department="personnel")


async def _queue(app: App, *outs: Outgoing) -> None:
    """Messages committed by an event, then delivered after the commit as an event's are."""
    async with app.services.db.unit():
        queued = await queue(app.services, list(outs))
    await app.sender.deliver(queued)


async def test_message_kept_during_an_outage_is_delivered_once_later(wired, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    app, tg = wired
    tg.api.fail("sendMessage", 500, times=50)  # far beyond the channel's own retry budget
    await _queue(app, _notice(1), _notice(2))
    assert tg.api.texts(STAFF_CHAT) == []
    assert await unfinished_count(app.services.db) == 2, "both wait, the second behind the first"

    runner = JobRunner(app)
    clock.advance(seconds=31)
    tg.api.failures.clear()  # the Bot API is back
    await runner.run_due()
    assert tg.api.texts(STAFF_CHAT) == ["Новое обращение №1", "Новое обращение №2"], "in their order"
    clock.advance(hours=3)
    await runner.run_due()
    assert tg.api.texts(STAFF_CHAT) == ["Новое обращение №1", "Новое обращение №2"], "delivered exactly once"
    assert await unfinished_count(app.services.db) == 0


async def test_message_that_never_goes_through_is_kept_and_listed(wired, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    app, tg = wired
    tg.api.fail("sendMessage", 502, times=10_000)
    await _queue(app, _notice(3))
    runner = JobRunner(app)
    for _ in range(12):
        clock.advance(hours=13)
        await runner.run_due()
    sends = [name for name, _ in tg.api.calls if name == "sendMessage"]
    assert len(sends) == 8 * 5, "8 attempts with backoff (5 calls each in the channel), then given up"
    [row] = await undelivered(app.services.db, ["personnel"])
    assert row.payload["reply"]["text"] == "Новое обращение №3" and row.status == "failed"
    assert await undelivered(app.services.db, ["awards"]) == []
    assert tg.api.texts(STAFF_CHAT) == []

    # Staff of that department see what was not delivered, times in Moscow time; another department
    # sees nothing of it, and a citizen may not ask.
    tg.api.failures.clear()
    outs = await handle(app, Event("telegram", "900", str(STAFF_CHAT), text="/undelivered"))
    assert "Не удалось доставить сообщений: 1" in outs[0].reply.text
    assert "telegram, ошибка доставки: Новое обращение №3" in outs[0].reply.text
    outs = await handle(app, Event("telegram", "901", str(OTHER_CHAT), text="/undelivered"))
    assert outs[0].reply.text == "Недоставленных сообщений нет."
    outs = await handle(app, Event("telegram", "77", "77", text="/undelivered"))
    assert "только сотрудникам" in outs[0].reply.text


async def test_one_refused_message_does_not_stop_the_others(wired, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    """The document of a reply is refused (400): it is listed as failed, and the messages after it in
    the same event still arrive."""
    app, tg = wired
    tg.api.fail("sendDocument", 400)
    doc = Document("priem.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    await _queue(app, _notice(4, document=doc), _notice(5))
    assert tg.api.texts(STAFF_CHAT)[-1] == "Новое обращение №5"
    [row] = await undelivered(app.services.db, ["personnel"])
    assert row.payload["reply"]["text"] == "Новое обращение №4"
    assert await unfinished_count(app.services.db) == 0

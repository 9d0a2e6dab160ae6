"""Bulk sending paced under Telegram's limits: the scheduler's messages wait for their slot (30 a
second overall, one a second per chat), answers in a conversation never wait."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.channels.telegram import TelegramChannel, create_bot
from bot.pacing import Pacer, bulk, in_bulk
from bot.scheduler import JobRunner
from bot.settings import Settings
from handlers.models import Address, Outgoing, Reply
from handlers.personal import grant_consent
from handlers.survey_invites import schedule_invitation
from tests.conftest import FakeClock
from tests.fake_telegram_api import FakeTelegramServer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_slots_are_spaced_overall_and_per_chat() -> None:
    clock = Clock()
    pacer = Pacer(rate=4, per_chat=1.0, clock=clock)
    assert [pacer.reserve(chat) for chat in (1, 2, 3)] == [0.0, 0.25, 0.5]  # 4 a second overall
    assert pacer.reserve(1) == 1.0  # chat 1 had a message at 100.0: not before 101.0
    assert pacer.reserve(4) == 1.25  # and the others queue behind it
    clock.now += 10  # a long pause: the slots in the past are not made up for with a burst
    assert [pacer.reserve(chat) for chat in (5, 6)] == [0.0, 0.25]


def test_chats_are_forgotten_when_their_pause_is_over() -> None:
    clock = Clock()
    pacer = Pacer(rate=1000, per_chat=1.0, clock=clock, max_chats=10)
    for chat in range(10):
        pacer.reserve(chat)
    clock.now += 5
    pacer.reserve("new")
    assert len(pacer._chat_next) == 1


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        Pacer(rate=0)


async def test_bulk_marks_only_what_is_inside() -> None:
    assert not in_bulk()
    with bulk():
        assert in_bulk()
    assert not in_bulk()


async def test_scheduler_messages_are_paced_answers_are_not(settings: Settings, clock: FakeClock) -> None:
    async with FakeTelegramServer() as tg:
        values = settings.model_dump()
        values.update(telegram_token=tg.api.token, telegram_api_server=tg.base_url, telegram_broadcast_rate=2)
        app = await App.create(Settings(_env_file=None, **values), clock=clock, migrate=False)  # type: ignore[call-arg]
        pauses: list[float] = []

        async def record(seconds: float) -> None:
            pauses.append(seconds)

        bot = create_bot(app.settings, sleep=record)
        channel = TelegramChannel(app, bot)
        app.add_channel(channel)
        try:
            people = [6001, 6002, 6003, 6004]
            for uid in people:
                tg.api.private_chat(uid)
                await grant_consent(app.services, f"telegram:{uid}", "survey")
                await schedule_invitation(app.services, "telegram", str(uid), str(uid), "visit", timedelta(hours=1))
            clock.advance(hours=1)
            assert await JobRunner(app).run_due() == 4
            assert all(tg.api.texts(uid)[0].startswith("Вчера вы были у нас на личном приёме") for uid in people)
            # Four messages at 2 a second: the 2nd, 3rd and 4th wait for their slots (nothing is slept here, so
            # the waits grow by 0.5 s each, less the time the jobs themselves took).
            assert len(pauses) == 3
            assert all(k * 0.5 - 0.3 < p <= k * 0.5 for k, p in enumerate(pauses, 1)), pauses

            pauses.clear()
            for uid in people:  # outside the scheduler (answers, staff notices): at once, even to the same chats
                assert await channel.deliver(Outgoing(Address("telegram", str(uid)), Reply("Ответ без очереди")))
            assert pauses == []
            assert tg.api.texts(people[0])[-1] == "Ответ без очереди"
        finally:
            await channel.close()
            await bot.session.close()
            await app.close()

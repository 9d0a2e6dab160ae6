"""Reminders before a visit as stored jobs, driven by the fake clock: sent once, with a cancel
button that works from the old message; none after a cancellation; after downtime only what is
still useful is sent, the rest is dropped and logged."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import yaml

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.settings import Settings
from storage.jobs import pending_jobs
from tests.conftest import Dialogue, FakeClock
from tests.visits_support import Collector, book, directory_with_staff_chats, msk, press


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"directory_file": directory_with_staff_chats(tmp_path)})


def _texts(outs: list) -> list[str]:
    return [o.reply.text for o in outs]


async def test_reminders_a_day_and_two_hours_before_each_once(console: Dialogue, app: App, clock: FakeClock) -> None:
    await book(console)  # Thursday 19 March, 10:00
    jobs = Collector(app)
    assert await jobs.run_due() == []  # nothing is due yet

    clock.set(msk(2026, 3, 18, 10, 0))
    sent = await jobs.run_due()
    assert len(sent) == 1
    day_before = sent[0]
    assert day_before.address.channel == "console" and day_before.address.chat_id == "console"
    assert day_before.reply.text.startswith(
        "Напоминаю: завтра в 10:00 по московскому времени вас ждут на личном приёме.")
    assert "Отдел наградной политики" in day_before.reply.text and "Суворовский пр-кт, д. 67" in day_before.reply.text
    assert [b.label for b in day_before.reply.payload_buttons()] == ["Отменить запись"]
    assert "КЛИЕНТУ (console:console)" in console.staff_output() and "1. Отменить запись" in console.staff_output()
    assert await jobs.run_due() == []  # never twice
    assert await Collector(app, worker="restarted").run_due() == []  # not after a restart either

    clock.set(msk(2026, 3, 19, 8, 0))
    sent = await jobs.run_due()
    assert _texts(sent)[0].startswith("Напоминаю: сегодня в 10:00")

    # The cancel button of yesterday's reminder still works, with a confirmation.
    ask = await press(app, day_before.reply.payload_buttons()[0].payload or "")
    assert "Отменить запись № 1?" in ask
    done = await console.say("Да, отменить запись")
    assert "Запись № 1 на четверг, 19 марта 2026, 10:00–10:30 отменена" in done
    assert "Клиент отменил запись на личный приём № 1" in console.staff_output()


async def test_no_reminders_after_cancellation(console: Dialogue, app: App, clock: FakeClock) -> None:
    await book(console)
    assert {j.key for j in await pending_jobs(app.services.db, key_prefix="visit:1:")} == {
        "visit:1:24h", "visit:1:2h", "visit:1:after"}
    await console.say("меню")
    await console.say("Личный приём")
    await console.say("Мои записи")
    await console.say("Отменить: 19.03 10:00")
    await console.say("Да, отменить запись")
    assert await pending_jobs(app.services.db, key_prefix="visit:1:") == []
    clock.set(msk(2026, 3, 19, 9, 0))
    assert await Collector(app).run_due() == []
    assert "Напоминаю" not in console.staff_output()


async def test_cancel_button_of_a_cancelled_visit_says_so(console: Dialogue, app: App, clock: FakeClock) -> None:
    await book(console)
    clock.set(msk(2026, 3, 18, 10, 0))
    reminder = (await Collector(app).run_due())[0]
    payload = reminder.reply.payload_buttons()[0].payload or ""
    await press(app, payload)
    await console.say("Да, отменить запись")
    assert "Запись № 1 уже отменена" in await press(app, payload)


async def test_missed_reminders_after_downtime(console: Dialogue, app: App, clock: FakeClock,
                                               caplog: pytest.LogCaptureFixture) -> None:
    await book(console)
    # The bot was down from Tuesday until Thursday 8:30: both reminders are overdue.
    clock.set(msk(2026, 3, 19, 8, 30))
    with caplog.at_level(logging.WARNING, logger="handlers.visits_staff"):
        sent = await Collector(app).run_due()
    assert len(sent) == 1 and sent[0].reply.text.startswith("Напоминаю: сегодня в 10:00")
    assert "reminder visit:1:24h dropped: a later reminder is due as well" in caplog.text


async def test_reminders_of_a_visit_already_past_are_dropped(console: Dialogue, app: App, clock: FakeClock,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    await book(console)
    clock.set(msk(2026, 3, 19, 10, 5))  # the visit has begun
    with caplog.at_level(logging.WARNING, logger="handlers.visits_staff"):
        assert await Collector(app).run_due() == []
    assert "reminder visit:1:24h dropped: the visit began" in caplog.text
    assert "reminder visit:1:2h dropped: the visit began" in caplog.text
    assert await pending_jobs(app.services.db, kind="visit_reminder") == []


async def test_reminder_hours_are_configurable(settings: Settings, tmp_path: Path, clock: FakeClock) -> None:
    data = yaml.safe_load(settings.directory_file.read_text(encoding="utf-8"))
    data["booking"]["reminders_hours"] = [48, 1]
    path = tmp_path / "directory-48.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    app = await App.create(settings.model_copy(update={"directory_file": path}), clock=clock, migrate=False)
    try:
        log = io.StringIO()
        channel = ConsoleChannel(app, stdin=io.StringIO(), stdout=log, files_dir=tmp_path / "f")
        app.add_channel(channel)
        done = await book(Dialogue(channel, log), day="Пт, 20 марта")
        assert "Я напомню о приёме за 48 часов и 1 час." in done
        assert {j.key for j in await pending_jobs(app.services.db, kind="visit_reminder")} == {
            "visit:1:48h", "visit:1:1h"}
    finally:
        await app.close()


async def test_survey_invitation_after_a_visit_that_took_place(console: Dialogue, app: App, clock: FakeClock) -> None:
    await book(console)
    clock.set(msk(2026, 3, 19, 10, 31))  # the visit is over
    await Collector(app).run_due()
    invites = await pending_jobs(app.services.db, kind="survey_invite")
    assert len(invites) == 1

"""No personal data where it does not belong: /undelivered shows a department its own messages only;
in a Telegram group that is not a staff chat the bot neither shows nor asks for a name or a phone
(the person goes on in his private dialogue, where the same conversation waits); the logs, at
DEBUG and through a database outage, never hold a person's name, phone, e-mail or text."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from bot.app import App
from bot.scheduler import JobRunner
from bot.settings import Settings
from handlers import texts
from tests.conftest import FakeClock
from tests.pd_support import CLIENT, NAME, PHONE, STAFF, TEXT, book_visit, live_a_little, traces
from tests.requests_helpers import OTHER_CHAT, STAFF_CHAT, RecordingChannel, staff_settings, write_request
from tests.telegram_harness import TelegramHarness
from tests.test_faults_db import CuttableProxy

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner


def leaked(text: str) -> list[str]:
    return [what for what, value in traces().items() if value in text]


async def test_undelivered_shows_a_department_its_own_messages_only(tg: RecordingChannel, staff_app: App) -> None:
    tg.unreachable.add(STAFF_CHAT)  # the personnel department's chat refuses the bot: the card is given up
    await write_request(tg, CLIENT)
    answer = await tg.send(STAFF, "/undelivered", chat_id=OTHER_CHAT)  # the awards department asks
    assert answer == texts.UNDELIVERED_NONE
    assert not any(leaked(t) for t in tg.chat(OTHER_CHAT))
    tg.unreachable.clear()
    await tg.send(STAFF, "/undelivered", chat_id=STAFF_CHAT)  # its own department sees it
    assert tg.last(STAFF_CHAT).startswith("Не удалось доставить сообщений: 1")
    assert "Обращение №1" in tg.last(STAFF_CHAT)


GROUP = -100777
USER = 7001


async def test_the_visit_flow_in_a_telegram_group_moves_to_the_private_dialogue(app: App) -> None:
    h = TelegramHarness(app)
    # booked before, privately: the bot knows his name and phone, and has his consent for visits
    await h.send_text(USER, "/start")
    await h.press(USER, "Личный приём")
    await h.press(USER, "Государственные награды")
    await h.press(USER, "Пт, 20 марта")
    await h.press(USER, "Утро (9:00–12:00)")
    await h.press(USER, "10:00")
    await h.press(USER, "Согласен(на)")
    await h.send_text(USER, NAME)
    await h.share_contact(USER, PHONE)
    await h.press(USER, "Записаться")
    assert "Вы записаны на личный приём" in "\n".join(h.messages(USER))

    # now in a group chat
    await h.send_to_chat(GROUP, USER, "/start")
    await h.press(USER, "Личный приём", chat_id=GROUP)
    await h.press(USER, "Государственные награды", chat_id=GROUP)
    await h.press(USER, "Чт, 19 марта", chat_id=GROUP)
    await h.press(USER, "Утро (9:00–12:00)", chat_id=GROUP)
    await h.press(USER, "10:00", chat_id=GROUP)  # the name would be asked next
    assert h.last_text(GROUP) == texts.PRIVATE_ONLY
    private = h.api.last_with_buttons(GROUP).button(texts.BTN_PRIVATE)
    assert private["url"] == "https://t.me/consult_test_bot?start=continue"
    await h.send_to_chat(GROUP, USER, "@consult_test_bot Иванов Иван Иванович")  # typed there anyway
    assert h.last_text(GROUP) == texts.PRIVATE_ONLY
    shown = "\n".join(h.messages(GROUP)) + "\n".join(b for m in h.sent(GROUP) for b in m.labels)
    assert not leaked(shown) and "Оставить" not in shown, shown

    # the link opens the private dialogue: the conversation goes on where it stopped
    await h.send_text(USER, "/start continue")
    assert texts.CONTINUED in h.messages(USER)[-2:]
    assert f"Оставить: {NAME}" in h.last_buttons(USER)
    await h.press(USER, f"Оставить: {NAME}")
    await h.press(USER, f"Оставить: {PHONE}")
    assert f"На чьё имя: {NAME}" in h.last_text(USER) and "четверг, 19 марта 2026, 10:00" in h.last_text(USER)
    await h.press(USER, "Записаться")
    assert any(t.startswith("Вы записаны на личный приём") and "19 марта" in t for t in h.messages(USER))
    assert not leaked("\n".join(h.messages(GROUP)))


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger at DEBUG, as a deployment with LOG_LEVEL=DEBUG writes them."""
    caplog.set_level(logging.DEBUG)
    yield caplog


async def test_no_personal_data_in_the_logs_at_debug(tg: RecordingChannel, runner: JobRunner, staff_app: App,
                                                      clock: FakeClock, all_logs: pytest.LogCaptureFixture) -> None:
    await live_a_little(tg, runner, clock)
    await tg.send(CLIENT, "/forget")
    await tg.send(CLIENT, "Да, удалить")
    assert logging.getLogger().getEffectiveLevel() == logging.DEBUG and all_logs.records
    assert not leaked(all_logs.text), [r.getMessage() for r in all_logs.records if leaked(r.getMessage())]


async def test_no_personal_data_in_the_logs_through_a_database_outage(
        pg_url: str | None, settings: Settings, clock: FakeClock, all_logs: pytest.LogCaptureFixture) -> None:
    """The fault tests' outage with a person in the middle of a booking and a request: the errors
    are logged without the SQL parameters or anything he wrote."""
    if pg_url is None or not settings.database_url.startswith("postgresql"):
        pytest.skip("the outage is staged on PostgreSQL (a proxy that can be cut)")
    real = make_url(pg_url)
    proxy = CuttableProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    url = real.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = await App.create(staff_settings(settings, database_url=url), clock=clock, migrate=False)
    tg = RecordingChannel(app)
    runner = JobRunner(app, worker="test")
    try:
        await book_visit(tg)
        await tg.send(CLIENT, "Написать в отдел")
        await tg.send(CLIENT, TEXT)
        await tg.send(CLIENT, "Готово")
        await tg.send(CLIENT, "Согласен(на)")
        await proxy.cut()
        for text in (NAME, "+7 911 000-11-22", f"{TEXT} Срочно, {NAME}, тел. {PHONE}"):
            answer = await asyncio.wait_for(tg.send(CLIENT, text), 30)
            assert "временные технические неполадки" in answer
        await asyncio.wait_for(tg.send(STAFF, "/requests", chat_id=STAFF_CHAT), 30)
        await asyncio.wait_for(runner._tick(), 30)  # the scheduler's tick: it logs the failure and goes on
        assert any(r.levelno >= logging.ERROR for r in all_logs.records)
        assert not leaked(all_logs.text), [r.getMessage() for r in all_logs.records if leaked(r.getMessage())]
    finally:
        await app.close()
        await proxy.cut()

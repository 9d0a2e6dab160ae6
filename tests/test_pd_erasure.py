"""Nothing of a person is kept past its term, and nothing at all after /forget: a person books a
visit, writes a request, answers the survey; then either the clock moves past every term and the
daily clean-up runs, or he types /forget while a staff card about him still waits in the outbox.
Afterwards neither the raw SQLite files (the database and its write-ahead log, byte by byte) nor
any PostgreSQL table holds his name, phone, e-mail or the texts he wrote."""

from __future__ import annotations

from bot.app import App
from bot.scheduler import JobRunner
from handlers import texts
from storage.clients import get_client
from storage.consents import consent_records
from storage.outbox import unfinished_count
from storage.requests import count_requests, get_request
from storage.survey import responses_between
from tests.conftest import DEFAULT_NOW, FakeClock
from tests.pd_support import (
    CLIENT,
    EMAIL,
    SECOND_TEXT,
    STAFF,
    leftovers,
    live_a_little,
    sqlite_files,
)
from tests.requests_helpers import OTHER_CHAT, STAFF_CHAT, RecordingChannel, write_request

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner


async def test_every_term_passes_and_the_daily_clean_up_leaves_nothing_of_him(
        tg: RecordingChannel, runner: JobRunner, staff_app: App, clock: FakeClock) -> None:
    await live_a_little(tg, runner, clock)
    assert await leftovers(staff_app), "the scenario left no traces to look for: the test would prove nothing"

    clock.advance(days=200)  # past the visit, the answer's copy given up, drafts idle: not a year yet
    await runner.run_due()
    assert await runner.run_daily("personal_data_retention")
    assert await get_request(staff_app.services.db, 1) is not None  # a year after closing, not before
    assert await get_client(staff_app.services.db, "telegram", CLIENT) is None  # contacts: nothing open, 30 days
    still = await leftovers(staff_app)
    assert "request text" in still  # the request and the visit keep their data for their term

    clock.advance(days=200)  # past a year after the visit and the answer
    await runner.run_due()
    assert await runner.run_daily("personal_data_retention")
    assert await leftovers(staff_app) == {}
    if staff_app.services.db.is_sqlite:  # the clean-up checkpointed: the log holds no old pages
        assert {p.name for p in sqlite_files(staff_app)} >= {"bot.db"}
        assert all(p.stat().st_size == 0 for p in sqlite_files(staff_app) if p.name.endswith("-wal"))
    db = staff_app.services.db
    assert await count_requests(db) == 0
    # what names nobody is kept: the anonymous survey response
    assert len(await responses_between(db, "appendix1", DEFAULT_NOW.date(), clock().date())) == 1


async def test_forget_leaves_nothing_of_him_though_a_staff_card_waits_in_the_outbox(
        tg: RecordingChannel, runner: JobRunner, staff_app: App, clock: FakeClock) -> None:
    db = staff_app.services.db
    await live_a_little(tg, runner, clock)
    visit_notice = tg.message_id(OTHER_CHAT, "Новая запись на личный приём")
    card = tg.message_id(STAFF_CHAT, "Обращение №1")
    tg.down.add(STAFF_CHAT)  # the department's chat cannot be reached: the next card waits
    assert "Обращение №2 принято" in await write_request(tg, CLIENT, SECOND_TEXT)
    assert await unfinished_count(db) >= 1
    assert "request text" in await leftovers(staff_app) and "second text" in await leftovers(staff_app)

    assert "Удалить ваши данные?" in await tg.send(CLIENT, "/forget")
    assert "ваши данные удалены" in await tg.send(CLIENT, "Да, удалить")

    assert await leftovers(staff_app) == {}  # right away: no daily clean-up needed
    # the cards already posted about him now say his data was deleted, without buttons
    assert (OTHER_CHAT, visit_notice) in tg.edited and (STAFF_CHAT, card) not in tg.edited  # that chat is down
    assert tg.last(OTHER_CHAT).startswith(texts.ST_PD_FORGOTTEN.split(":")[0])
    edited = dict(tg.sent)[visit_notice]
    assert edited.reply.text == texts.PD_CARD_ERASED and edited.reply.buttons == []
    # the department whose chat was down gets the card edited and the news when it is back
    tg.down.clear()
    clock.advance(minutes=5)
    await runner.run_due()
    assert (STAFF_CHAT, card) in tg.edited
    assert dict(tg.sent)[card].reply.text == texts.PD_CARD_ERASED
    assert any("Клиент попросил удалить свои данные" in t and "обращения №1, №2" in t for t in tg.chat(STAFF_CHAT))
    assert not any(SECOND_TEXT in t or EMAIL in t for t in tg.chat(STAFF_CHAT)), "the waiting card never went"
    assert await leftovers(staff_app) == {}
    # the consents ended; their records keep a keyed hash, no user id
    from handlers.personal import consent_hash

    records = await consent_records(db, consent_hash(staff_app.services, f"telegram:{CLIENT}"))
    assert {r.purpose for r in records} == {"visit", "request", "email", "survey"}
    assert all(r.person is None and r.ended_by == "forgotten" for r in records)
    assert await tg.send(STAFF, "/request 2", chat_id=STAFF_CHAT)  # the request is there, anonymised
    assert "отозвано" in tg.last(STAFF_CHAT)

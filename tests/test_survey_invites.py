"""Invitations to the survey: after a result card, sent by the scheduler within the sending hours,
at most one per period, "do not ask me again", one response per invitation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.scheduler import JobRunner
from bot.settings import Settings
from handlers.engine import action_payload
from handlers.personal import grant_consent
from handlers.survey_invites import forget_invitations, invitation_delay, invitation_receipt, schedule_invitation
from storage.clients import get_client, mark_unreachable, touch_client
from storage.jobs import pending_jobs
from storage.survey import client_invitations, receipt_date, responses_between, save_response
from tests.conftest import Dialogue, FakeClock
from tests.survey_helpers import custom_survey_file, press
from tests.visits_support import Collector

DAY = date(2026, 3, 17)
# The people of these tests agreed to get invitations (a consent of its own, purpose "survey").
AGREED = ("console", "u1", "u2", "c", "gone", "owner", "stranger", "old", "u9")


@pytest.fixture(autouse=True)
async def agreed_to_invitations(app: App) -> None:
    for user in AGREED:
        await grant_consent(app.services, f"console:{user}", "survey")


async def _result_card(console: Dialogue) -> str:
    await console.say("привет")
    await console.say("как попасть в кадровый резерв?")
    await console.say("да")
    answer = await console.say("1")
    assert "+7 (812) 539-46-66" in answer
    return answer


async def _answer_all(console: Dialogue, last: str = "Ленинградская область") -> str:
    answer = ""
    for text in ("1", "1 2", "1", "1", "4", "ответ", "ответ", "5", last):
        answer = await console.say(text)
    return answer


async def test_invitation_after_a_result_card_is_sent_later_and_answered_once(
        app: App, console: Dialogue, clock: FakeClock) -> None:
    runner = JobRunner(app)
    await _result_card(console)
    jobs = await pending_jobs(app.services.db, kind="survey_invite")
    assert len(jobs) == 1
    assert jobs[0].due_at == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)  # 12:00 MSK: two hours after the card

    await _result_card(console)  # the same day again: still one invitation
    assert len(await pending_jobs(app.services.db, kind="survey_invite")) == 1

    clock.advance(hours=1, minutes=59)
    assert await runner.run_due() == 0
    assert "Пройти опрос" not in console.staff_output()
    clock.advance(minutes=1)
    assert await runner.run_due() == 1
    sent = console.staff_output()
    assert "КЛИЕНТУ (console:console)" in sent
    assert "Недавно вы обращались ко мне с вопросом." in sent and "Опрос анонимный" in sent
    assert "1. Пройти опрос" in sent and "2. Больше не предлагать" in sent

    [inv] = await client_invitations(app.services.db, "console", "console")
    assert inv.status == "sent"
    answer = await press(app, action_payload("svy", inv.token))
    assert "Опрос анонимный" in answer and "1. Начать опрос" in answer and "Больше не предлагать" in answer
    await console.say("Начать опрос")
    answer = await _answer_all(console)
    assert answer.startswith("Опрос завершён.")
    [stored] = await responses_between(app.services.db, "appendix1", DAY, DAY)
    assert stored.source == "consultation"
    assert await receipt_date(app.services.db, invitation_receipt(app.services, inv.token)) == DAY

    # answered: the invitation, which names him, is deleted; its receipt (a keyed hash) remains
    assert await client_invitations(app.services.db, "console", "console") == []
    # the duplicate attempt: the same invitation again, and the menu
    answer = await press(app, action_payload("svy", inv.token))
    assert "Вы уже проходили этот опрос" in answer and "Начать опрос" not in answer
    answer = await console.say("меню")
    answer = await console.say("Оценить качество")
    assert "Вы уже проходили этот опрос" in answer
    assert len(await responses_between(app.services.db, "appendix1", DAY, DAY)) == 1

    # a consultation the next days within the period: no new invitation
    clock.advance(days=1)
    await _result_card(console)
    assert await pending_jobs(app.services.db, kind="survey_invite") == []
    # after the period a new one
    clock.advance(days=30)
    await _result_card(console)
    assert len(await pending_jobs(app.services.db, kind="survey_invite")) == 1


async def test_menu_response_uses_the_open_invitation(app: App, console: Dialogue, clock: FakeClock) -> None:
    """A client invited who opens the survey from the menu answers the invitation: one response."""
    await schedule_invitation(app.services, "console", "console", "console", "request", timedelta(hours=1))
    clock.advance(hours=1)
    assert await JobRunner(app).run_due() == 1
    assert "Недавно вы получили ответ на своё обращение." in console.staff_output()
    [inv] = await client_invitations(app.services.db, "console", "console")
    await console.say("Оценить качество")
    await console.say("Начать опрос")
    assert (await _answer_all(console)).startswith("Опрос завершён.")
    [stored] = await responses_between(app.services.db, "appendix1", DAY, DAY)
    assert stored.source == "request"
    assert await receipt_date(app.services.db, invitation_receipt(app.services, inv.token)) == DAY
    answer = await press(app, action_payload("svy", inv.token))
    assert "Вы уже проходили этот опрос" in answer


async def test_a_concurrent_second_submission_is_refused(app: App, console: Dialogue, clock: FakeClock) -> None:
    await schedule_invitation(app.services, "console", "console", "console", "visit", timedelta(hours=1))
    clock.advance(hours=1)
    await JobRunner(app).run_due()
    [inv] = await client_invitations(app.services.db, "console", "console")
    await press(app, action_payload("svy", inv.token))
    await console.say("Начать опрос")
    for text in ("1", "1 2", "1", "1", "4", "ответ", "ответ", "5"):
        await console.say(text)
    # meanwhile the same invitation was answered elsewhere (another instance, a double click)
    assert await save_response(app.services.db, "appendix1", {"q1": "Да"}, source="visit", on=DAY,
                               once_hashes=(invitation_receipt(app.services, inv.token),))
    answer = await console.say("Москва")
    assert "повторно они не сохранены" in answer
    assert len(await responses_between(app.services.db, "appendix1", DAY, DAY)) == 1


async def test_invitations_wait_for_the_sending_hours(app: App, clock: FakeClock) -> None:
    clock.set(datetime(2026, 3, 17, 16, 30, tzinfo=UTC))  # 19:30 MSK
    assert await schedule_invitation(app.services, "console", "u1", "u1", "consultation", timedelta(hours=2))
    [job] = await pending_jobs(app.services.db, kind="survey_invite")
    assert job.due_at == datetime(2026, 3, 18, 7, 0, tzinfo=UTC)  # 10:00 MSK the next morning
    clock.set(datetime(2026, 3, 17, 22, 0, tzinfo=UTC))  # 01:00 MSK
    assert await schedule_invitation(app.services, "console", "u2", "u2", "visit", timedelta(hours=1))
    jobs = await pending_jobs(app.services.db, kind="survey_invite")
    assert [j.due_at for j in jobs] == [datetime(2026, 3, 18, 7, 0, tzinfo=UTC)] * 2


async def test_do_not_ask_again(app: App, console: Dialogue, clock: FakeClock) -> None:
    runner = JobRunner(app)
    assert await schedule_invitation(app.services, "console", "console", "console", "visit", timedelta(days=1))
    clock.advance(days=1)
    assert await runner.run_due() == 1
    [inv] = await client_invitations(app.services.db, "console", "console")
    answer = await press(app, action_payload("svyno", inv.token))
    assert "больше не буду предлагать опросы" in answer
    clock.advance(days=60)
    assert await schedule_invitation(app.services, "console", "console", "console", "visit", timedelta(0)) is None
    await _result_card(console)
    assert await pending_jobs(app.services.db, kind="survey_invite") == []
    # the survey itself stays available from the menu
    await console.say("меню")
    answer = await console.say("Оценить качество")
    assert "1. Начать опрос" in answer


async def test_opt_out_from_the_intro_cancels_a_waiting_invitation(app: App, console: Dialogue,
                                                                   clock: FakeClock) -> None:
    runner = JobRunner(app)
    await schedule_invitation(app.services, "console", "console", "console", "request", timedelta(hours=1))
    clock.advance(hours=1)
    await runner.run_due()
    [inv] = await client_invitations(app.services.db, "console", "console")
    await press(app, action_payload("svy", inv.token))
    answer = await console.say("Больше не предлагать")
    assert "больше не буду предлагать опросы" in answer and "1. Конкурсы и кадровый резерв" in answer
    clock.advance(days=40)
    assert await schedule_invitation(app.services, "console", "console", "console", "visit", timedelta(0)) is None


async def test_the_period_and_delays_come_from_survey_yaml(settings: Settings, clock: FakeClock,
                                                           tmp_path: Path) -> None:
    survey_file = custom_survey_file(tmp_path, period_days=3, delay_minutes={"consultation": 15})
    app = await App.create(settings.model_copy(update={"survey_file": survey_file}), clock=clock, migrate=False)
    try:
        runner = JobRunner(app)
        assert invitation_delay(app.services, "consultation") == timedelta(minutes=15)
        assert await schedule_invitation(app.services, "console", "c", "c", "consultation", timedelta(minutes=15))
        clock.advance(minutes=15)
        outs = Collector(app).sent
        assert await runner.run_due() == 1
        assert "Недавно вы обращались ко мне с вопросом." in outs[0].reply.text
        assert "4 вопросов" in outs[0].reply.text  # the short survey is the one invited to
        clock.advance(days=2, hours=23)
        assert await schedule_invitation(app.services, "console", "c", "c", "visit", timedelta(0)) is None
        clock.advance(hours=1)
        assert await schedule_invitation(app.services, "console", "c", "c", "visit", timedelta(0))
    finally:
        await app.close()


async def test_rules_are_checked_again_when_sending(app: App, console: Dialogue, clock: FakeClock) -> None:
    runner = JobRunner(app)
    assert await schedule_invitation(app.services, "console", "console", "console", "visit", timedelta(hours=3))
    assert await schedule_invitation(app.services, "console", "console", "console", "request",
                                     timedelta(hours=1)) is None  # one is already waiting
    # before it goes out the client answers from the menu
    await console.say("Оценить качество")
    await console.say("Начать опрос")
    assert (await _answer_all(console)).startswith("Опрос завершён.")
    clock.advance(hours=3)
    assert await runner.run_due() == 0  # cancelled when he answered
    assert "Пройти опрос" not in console.staff_output()

    # a client who became unreachable is not invited
    await touch_client(app.services.db, "console", "gone", "gone", clock())
    await schedule_invitation(app.services, "console", "gone", "gone", "visit", timedelta(hours=1))
    await mark_unreachable(app.services.db, "console", "gone")
    clock.advance(hours=1)
    assert await runner.run_due() == 1
    [inv] = await client_invitations(app.services.db, "console", "gone")
    assert inv.status == "skipped"
    assert "console:gone" not in console.staff_output()


async def test_someone_elses_invitation_does_not_work(app: App, clock: FakeClock) -> None:
    await schedule_invitation(app.services, "console", "owner", "owner", "visit", timedelta(hours=1))
    clock.advance(hours=1)
    await JobRunner(app).run_due()
    [inv] = await client_invitations(app.services.db, "console", "owner")
    answer = await press(app, action_payload("svy", inv.token), user="stranger")
    assert "предназначено другому человеку" in answer
    answer = await press(app, action_payload("svyno", inv.token), user="stranger")
    assert "больше не буду предлагать опросы" in answer  # it is the stranger who is not asked again
    assert await schedule_invitation(app.services, "console", "stranger", "stranger", "visit", timedelta(0)) is None
    answer = await press(app, action_payload("svy", inv.token), user="owner")
    assert "1. Начать опрос" in answer and "Больше не предлагать" in answer


async def test_old_invitations_are_erased_and_their_buttons_still_lead_to_the_survey(
        app: App, clock: FakeClock) -> None:
    runner = JobRunner(app)
    await schedule_invitation(app.services, "console", "old", "old", "visit", timedelta(hours=1))
    clock.advance(hours=1)
    await runner.run_due()
    [inv] = await client_invitations(app.services.db, "console", "old")
    clock.advance(days=37)
    assert await runner.run_daily("personal_data_retention")
    assert len(await client_invitations(app.services.db, "console", "old")) == 1  # still needed: 30 + 7 days
    clock.advance(days=1, hours=1)
    assert await runner.run_daily("personal_data_retention")
    assert await client_invitations(app.services.db, "console", "old") == []
    answer = await press(app, action_payload("svy", inv.token), user="old")
    assert "1. Начать опрос" in answer and "Больше не предлагать" not in answer


async def test_expired_invitation_falls_back_to_the_menu_rules(app: App, console: Dialogue,
                                                               clock: FakeClock) -> None:
    await schedule_invitation(app.services, "console", "console", "console", "visit", timedelta(hours=1))
    clock.advance(hours=1)
    await JobRunner(app).run_due()
    [inv] = await client_invitations(app.services.db, "console", "console")
    clock.advance(days=8)  # valid 7 days
    answer = await press(app, action_payload("svy", inv.token))
    assert "Больше не предлагать" not in answer and "1. Начать опрос" in answer
    await console.say("Начать опрос")
    await _answer_all(console)
    [stored] = await responses_between(app.services.db, "appendix1", DAY, DAY + timedelta(days=8))
    assert stored.source == "menu"


async def test_forget_erases_invitations(app: App, clock: FakeClock) -> None:
    await touch_client(app.services.db, "console", "u9", "u9", clock())
    await schedule_invitation(app.services, "console", "u9", "u9", "visit", timedelta(hours=1))
    client = await get_client(app.services.db, "console", "u9")
    assert client is not None
    await forget_invitations(app.services, client)
    assert await client_invitations(app.services.db, "console", "u9") == []
    assert await pending_jobs(app.services.db, kind="survey_invite") == []

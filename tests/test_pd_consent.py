"""A consent for each purpose: its own step and text naming the operator, the purpose, the data, the
term and how to withdraw; recorded with purpose, version, channel and time; a visit's consent
does not cover a request, nor a request's an e-mail copy; a new wording asks again; «Мои данные»
withdraws one purpose and stops what was done for it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.scheduler import JobRunner
from handlers import texts
from handlers.personal import grant_consent
from handlers.survey_invites import schedule_invitation
from storage.clients import get_client
from storage.consents import consents_in_force
from storage.requests import get_request
from storage.visits import bookings_of
from tests.conftest import DEFAULT_NOW, FakeClock
from tests.pd_support import CLIENT, EMAIL, NAME, PHONE, TEXT, book_visit
from tests.requests_helpers import OTHER_CHAT, STAFF_CHAT, RecordingChannel, write_request

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner


async def test_a_visits_consent_does_not_cover_a_request_nor_an_e_mail_copy(
        tg: RecordingChannel, staff_app: App) -> None:
    await book_visit(tg)
    await tg.send(CLIENT, "меню")
    await tg.send(CLIENT, "Написать в отдел")
    await tg.send(CLIENT, TEXT)
    asked = await tg.send(CLIENT, "Готово")
    # a request is another purpose: asked again, with its own text, before anything is stored
    assert asked.startswith("Согласие на обработку персональных данных: письменное обращение")
    assert "Оператор: Администрация Губернатора и Правительства Ленинградской области, 191311, " \
           "г. Санкт-Петербург, Суворовский пр-кт, д. 67." in asked
    assert "Цель: рассмотреть ваше обращение" in asked
    assert "Данные: имя (или фамилия, имя, отчество), номер телефона, текст обращения" in asked
    assert "видят их только сотрудники отдела" in asked
    assert "хранится 1 год после его закрытия" in asked
    assert "Электронную почту для этого не собираем" in asked
    assert "/mydata" in asked and "/forget" in asked
    assert asked.endswith("1. Согласен(на)\n  2. Не согласен(на)\n  3. Назад\n  4. Главное меню")
    name = await tg.send(CLIENT, "Согласен(на)")
    assert f"Оставить: {NAME}" in name  # given for the visit, his to reuse now that he agreed
    await tg.send(CLIENT, f"Оставить: {NAME}")
    await tg.send(CLIENT, f"Оставить: {PHONE}")
    asked = await tg.send(CLIENT, "Копию на эл. почту")
    assert asked.startswith("Согласие на обработку персональных данных: копия ответа на электронную почту")
    assert "Данные: адрес электронной почты." in asked
    assert "Хорошо, без этого." in await tg.send(CLIENT, "Не согласен(на)")
    assert "Ответ придёт сюда" in tg.last(CLIENT)  # back to the choice of the channel
    await tg.send(CLIENT, "Копию на эл. почту")
    await tg.send(CLIENT, "Согласен(на)")
    await tg.send(CLIENT, EMAIL)
    assert "Обращение №1 принято" in await tg.send(CLIENT, "Отправить")

    records = await consents_in_force(staff_app.services.db, f"telegram:{CLIENT}")
    assert [(c.purpose, c.version, c.channel, c.given_at) for c in records] == [
        ("visit", "1", "telegram", DEFAULT_NOW), ("survey", "1", "telegram", DEFAULT_NOW),
        ("request", "1", "telegram", DEFAULT_NOW), ("email", "1", "telegram", DEFAULT_NOW)]


async def test_without_the_consent_nothing_is_asked_or_stored(tg: RecordingChannel, staff_app: App) -> None:
    await tg.send(CLIENT, "привет")
    await tg.send(CLIENT, "Написать в отдел")
    await tg.send(CLIENT, TEXT)
    await tg.send(CLIENT, "Готово")
    answer = await tg.send(CLIENT, "Не согласен(на)")
    assert "Без согласия я не могу сохранить ваши данные" in answer and "Как к вам обращаться" not in answer
    assert await consents_in_force(staff_app.services.db, f"telegram:{CLIENT}") == []
    assert await get_request(staff_app.services.db, 1) is None


async def test_a_new_wording_asks_again(tg: RecordingChannel, staff_app: App,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    await write_request(tg, CLIENT)
    monkeypatch.setitem(texts.CONSENT_VERSIONS, "request", "2")  # the lawyer changed the text in substance
    await tg.send(CLIENT, "меню")
    await tg.send(CLIENT, "Написать в отдел")
    await tg.send(CLIENT, TEXT)
    assert "Согласие на обработку персональных данных: письменное обращение" in await tg.send(CLIENT, "Готово")
    await tg.send(CLIENT, "Согласен(на)")
    # the earlier one ended when the new one was given
    [request] = [c for c in await consents_in_force(staff_app.services.db, f"telegram:{CLIENT}")
                 if c.purpose == "request"]
    assert request.version == "2"


async def test_survey_invitations_only_with_their_consent(staff_app: App, clock: FakeClock) -> None:
    services = staff_app.services
    assert await schedule_invitation(services, "telegram", "7001", "7001", "consultation", timedelta(0)) is None
    await grant_consent(services, "telegram:7001", "survey")
    assert await schedule_invitation(services, "telegram", "7001", "7001", "consultation", timedelta(0))


async def test_my_data_withdraws_one_purpose_and_stops_it(tg: RecordingChannel, runner: JobRunner,
                                                           staff_app: App, clock: FakeClock) -> None:
    db = staff_app.services.db
    await book_visit(tg)
    await write_request(tg, CLIENT, extra="2", email=EMAIL)
    screen = await tg.send(CLIENT, "/mydata")
    assert "Ваши согласия на обработку персональных данных:" in screen
    assert "• запись на личный приём — с 17.03.2026 (редакция 1)" in screen
    assert "• копия ответа на эл. почту — с 17.03.2026 (редакция 1)" in screen
    assert "Отозвать: копия ответа на эл. почту" in screen and "Удалить все мои данные" in screen

    ask = await tg.send(CLIENT, "Отозвать: копия ответа на эл. почту")
    assert "Адрес будет удалён, копий больше не будет" in ask
    done = await tg.send(CLIENT, "Да, отозвать")
    assert "Согласие отозвано: копия ответа на эл. почту" in done
    assert "копия ответа на эл. почту" not in done.split("Ваши согласия")[-1]  # the list shown again
    rq = await get_request(db, 1)
    assert rq is not None and (rq.extra_channel, rq.extra_address) == (None, None)
    client = await get_client(db, "telegram", CLIENT)
    assert client is not None and client.email is None and client.name == NAME  # the rest stays
    assert tg.last(STAFF_CHAT) == texts.ST_PD_EMAIL_WITHDRAWN.format(number=1)

    await tg.send(CLIENT, "Отозвать: запись на личный приём")
    assert "Согласие отозвано: запись на личный приём" in await tg.send(CLIENT, "Да, отозвать")
    assert await bookings_of(db, "telegram", CLIENT, clock()) == []  # the booking is gone, staff learn
    await runner.run_due()
    assert tg.last(OTHER_CHAT).startswith("Запись на личный приём № 1 отменена")
    assert [c.purpose for c in await consents_in_force(db, f"telegram:{CLIENT}")] == ["survey", "request"]

"""Written requests in the console: a citizen writes to the department, a staff admin (a second
console, ``console:admin``) answers, and the answer reaches the citizen."""

from __future__ import annotations

import io

import pytest

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.scheduler import JobRunner
from storage.requests import audit_trail, get_request, request_messages
from tests.conftest import Dialogue


@pytest.fixture
def admin(app: App) -> ConsoleChannel:
    return ConsoleChannel(app, stdin=io.StringIO(), stdout=io.StringIO(), user_id="admin")


@pytest.fixture
def jobs(app: App) -> JobRunner:
    return JobRunner(app, worker="test")


async def _write_from_result_card(console: Dialogue) -> str:
    await console.say("привет")
    answer = await console.say("как получить справку о стаже с места работы")
    assert "Правильно ли я понял" in answer
    answer = await console.say("да")
    assert "Справки с места службы" in answer and "Написать в отдел" in answer
    answer = await console.say("Написать в отдел")
    assert "Напишите обращение по теме «Иные кадровые вопросы»" in answer
    answer = await console.say("Здравствуйте. Мне нужна справка о стаже государственной службы.")
    assert "Получено сообщений: 1, файлов: 0" in answer and "1. Готово" in answer
    answer = await console.say("Справка нужна для оформления пенсии за выслугу лет.")
    assert "Получено сообщений: 2" in answer
    answer = await console.say("Готово")
    assert "Согласие на обработку персональных данных: письменное обращение" in answer
    assert "Вы согласны на обработку персональных данных для рассмотрения обращения?" in answer
    await console.say("Согласен(на)")
    await console.say("Анна Петрова")
    answer = await console.say("8 (921) 555-44-33")
    assert "Ответ придёт сюда, в этот чат" in answer
    assert "Копию на эл. почту" in answer and "Перезвоните мне" in answer
    answer = await console.say("Перезвоните мне")
    assert "Согласие на обработку персональных данных: звонок по обращению" in answer  # another purpose
    answer = await console.say("Согласен(на)")
    assert "Тема: Иные кадровые вопросы" in answer
    assert "Контакт: Анна Петрова, +79215554433" in answer
    assert "в этот чат и звонок на +79215554433" in answer
    assert "Мне нужна справка о стаже" in answer and "для оформления пенсии" in answer
    return await console.say("Отправить")


async def test_request_from_result_card_gets_number_topic_and_due_date(console: Dialogue) -> None:
    answer = await _write_from_result_card(console)
    assert "Обращение №1 принято и передано специалистам" in answer
    assert "Тема: Иные кадровые вопросы." in answer
    assert "не позднее 16.04.2026" in answer  # 17.03 + 30 days
    assert "перезвонит вам по номеру +79215554433" in answer
    # the chat message is no registered appeal: the official route is named, with its link
    assert "Сообщение в чате не считается официальным обращением по закону № 59-ФЗ" in answer
    assert "портале Госуслуг: https://www.gosuslugi.ru/feedback" in answer
    assert "ст. 12" not in answer
    # invitations to the survey are asked for once, on their own, and may be declined
    assert "Можно прислать вам приглашение оценить качество консультации?" in answer
    answer = await console.say("Не согласен(на)")
    assert "приглашений в анкету не будет" in answer
    assert "1. Конкурсы и кадровый резерв" in answer  # back in the main menu
    staff = console.staff_output()
    assert "СОТРУДНИКАМ (staff:personnel)" in staff  # no staff chat configured: the demo prints it
    assert "Обращение №1 · принято" in staff
    assert "Потребность: Получить справку, копию документа" in staff
    assert "Срочность: признаков нет" in staff
    assert "Срок ответа: до 16.04.2026 (осталось дней: 30)" in staff
    assert "перезвонить по телефону +79215554433" in staff
    assert "Мне нужна справка о стаже государственной службы." in staff


async def test_staff_answer_reaches_the_client_and_my_requests_shows_it(
        console: Dialogue, admin: ConsoleChannel, jobs: JobRunner, app: App) -> None:
    await _write_from_result_card(console)
    answer = await admin.send_line("/requests")
    assert "№1 · до 16.04.2026 (осталось дней: 30) · Иные кадровые вопросы · принято" in answer
    answer = await admin.send_line("/take 1")
    assert "Обращение №1 в работе у" in answer
    answer = await console.say("Мои обращения")
    assert "№1 от 17.03.2026 · Иные кадровые вопросы · в работе · ответ до 16.04.2026" in answer

    answer = await admin.send_line("/answer 1 Справка готова, её можно получить в кабинете 210 с 10 до 17 часов.")
    assert "Ответ по обращению №1 принят и отправляется клиенту (консоль)" in answer
    assert await jobs.run_due() == 0  # nothing waits: the answer went out when the staff event committed
    staff = console.staff_output()
    assert "КЛИЕНТУ (console:console)" in staff
    assert "Ответ на ваше обращение №1 (тема «Иные кадровые вопросы»)" in staff
    assert "Справка готова, её можно получить в кабинете 210" in staff
    assert "Отдел кадров Управления" in staff
    # the call back the client asked for becomes a task for staff
    assert "Задача: перезвонить клиенту по обращению №1" in staff and "Анна Петрова, +79215554433" in staff

    answer = await console.say("Мои обращения")
    assert "№1 от 17.03.2026 · Иные кадровые вопросы · дан ответ" in answer
    answer = await console.say("1")
    assert "Статус: дан ответ" in answer
    assert "Ответ (17.03.2026):\nСправка готова" in answer
    assert "Дополнить обращение" not in answer  # answered: nothing to add
    messages = await request_messages(app.services.db, 1)
    assert messages[-1].kind == "answer" and messages[-1].delivered is True
    actions = [e.action for e in await audit_trail(app.services.db, 1)]
    assert actions == ["registered", "status", "assignee_id", "answer", "status", "delivered"]


async def test_clarifying_question_and_the_clients_reply(
        console: Dialogue, admin: ConsoleChannel, jobs: JobRunner, app: App) -> None:
    await _write_from_result_card(console)
    answer = await admin.send_line("/clarify 1 За какой период нужна справка и для какой организации?")
    assert "Вопрос по обращению №1 отправляется клиенту" in answer
    await jobs.run_due()
    assert "Специалисту нужно уточнение по вашему обращению №1" in console.staff_output()
    answer = await console.say("Мои обращения")
    assert "нужно уточнение" in answer
    answer = await console.say("1")
    assert "Вопрос специалиста (17.03.2026):\nЗа какой период нужна справка" in answer
    answer = await console.say("Ответить на вопрос")
    assert "Вопрос специалиста по обращению №1:\nЗа какой период" in answer
    answer = await console.say("С 2015 по 2025 год, для Социального фонда.")
    assert "Получено сообщений: 1" in answer
    answer = await console.say("Отправить")
    assert "Ваш ответ по обращению №1 передан специалистам" in answer
    assert "Статус: принято" in answer  # back from "clarification asked"
    assert "Ответ клиента на уточнение по обращению №1:\n┃ С 2015 по 2025 год" in console.staff_output()
    rq = await get_request(app.services.db, 1)
    assert rq is not None and rq.status == "received"


async def test_a_request_without_a_topic_asks_for_one_and_the_topic_can_be_changed(console: Dialogue) -> None:
    await console.say("привет")
    await console.say("Написать в отдел")
    answer = await console.say("Добрый день, прошу разобраться с моей ситуацией, подробности по телефону.")
    answer = await console.say("Готово")
    assert "К какой теме относится обращение?" in answer
    await console.say("Аттестация")
    await console.say("Согласен(на)")
    await console.say("Иван")
    await console.say("+79110000000")
    answer = await console.say("Только в этот чат")
    assert "Тема: Аттестация" in answer and "Ответ: в этот чат\n" in answer
    answer = await console.say("Изменить тему")
    answer = await console.say("Государственные награды")
    assert "Тема: Государственные награды" in answer
    answer = await console.say("Отправить")
    assert "Тема: Государственные награды." in answer
    assert "СОТРУДНИКАМ (staff:awards)" in console.staff_output()


async def test_too_short_request_and_cancel(console: Dialogue) -> None:
    await console.say("Написать в отдел")
    answer = await console.say("Готово")  # nothing written yet
    assert "Опишите, пожалуйста, вопрос подробнее" in answer
    answer = await console.say("Отпуск")
    assert "Получено сообщений: 1" in answer
    answer = await console.say("Готово")
    assert "Опишите, пожалуйста, вопрос подробнее" in answer
    answer = await console.say("Начать заново")
    assert "Хорошо, начнём заново" in answer and "Напишите обращение" in answer
    await console.say("Хочу узнать, как получить копию приказа о переводе.")
    await console.say("Готово")
    await console.say("Согласен(на)")
    await console.say("Иван")
    await console.say("+79110000000")
    await console.say("Только в этот чат")
    answer = await console.say("Не отправлять")
    assert "Обращение не отправлено" in answer
    assert console.staff_output() == ""


async def test_non_staff_cannot_use_staff_commands(console: Dialogue, caplog: pytest.LogCaptureFixture) -> None:
    await _write_from_result_card(console)
    for command in ("/answer 1 Ваш вопрос решён", "/requests", "/close 1", "/deadline 1 20.03.2026"):
        answer = await console.say(command)
        assert "доступна только сотрудникам" in answer
    assert "refused staff command /answer from console:console" in caplog.text
    assert "Ваш вопрос решён" not in console.staff_output()


async def test_html_and_braces_in_client_text_are_shown_as_typed(console: Dialogue, admin: ConsoleChannel) -> None:
    await console.say("Написать в отдел")
    evil = "<b>Срочно</b> <a href='http://evil.example'>ссылка</a> {number} %s ${x} справка о стаже"
    await console.say(evil)
    await console.say("Готово")
    await console.say("Согласен(на)")
    await console.say("Иван")
    await console.say("+79110000000")
    await console.say("Только в этот чат")
    answer = await console.say("Отправить")
    assert "Обращение №1 принято" in answer
    assert evil in console.staff_output()
    assert evil in await admin.send_line("/request 1")


async def test_an_answered_request_brings_a_survey_invitation(
        console: Dialogue, admin: ConsoleChannel, jobs: JobRunner, app: App, clock) -> None:  # type: ignore[no-untyped-def]
    from storage.jobs import pending_jobs

    await console.say("привет")
    await console.say("Написать в отдел")  # from the menu: no result card, so no invitation yet
    await console.say("Прошу выдать копию приказа о назначении на должность.")
    await console.say("Готово")
    await console.say("Согласен(на)")
    await console.say("Анна Петрова")
    await console.say("8 (921) 555-44-33")
    await console.say("1")  # the answer comes to this chat only
    answer = await console.say("Отправить")
    assert "принято" in answer
    assert "Можно прислать вам приглашение оценить качество консультации?" in answer
    await console.say("Согласен(на)")  # invitations are a purpose of their own
    assert await pending_jobs(app.services.db, "survey_invite") == []

    await admin.send_line("/answer 1 Копия приказа готова, её можно получить в кабинете 210.")
    await jobs.run_due()
    assert "Копия приказа готова" in console.staff_output()
    assert len(await pending_jobs(app.services.db, "survey_invite")) == 1
    clock.advance(hours=1, minutes=1)
    await jobs.run_due()
    assert "Недавно вы получили ответ на своё обращение." in console.staff_output()
    assert "Пройти опрос" in console.staff_output()


async def test_a_request_beginning_with_proshu_is_not_a_visit(console: Dialogue) -> None:
    """«Прошу…» used to be corrected to «посетить» and tagged "Записаться на личный приём"."""
    await console.say("привет")
    answer = await console.say("Написать в отдел")
    answer = await console.say("Прошу выдать справку с места работы для банка.")
    assert "Получено сообщений: 1" in answer
    answer = await console.say("Готово")
    await console.say("Согласен(на)")
    await console.say("Анна Петрова")
    answer = await console.say("8 (921) 555-44-33")
    answer = await console.say("1")  # the answer comes to this chat
    assert "Тема: Иные кадровые вопросы" in answer
    answer = await console.say("Отправить")
    assert "Обращение №1 принято" in answer
    staff = console.staff_output()
    assert "Потребность: Получить справку, копию документа" in staff
    assert "Записаться на личный приём" not in staff

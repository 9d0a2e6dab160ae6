"""Scheduled work of written requests: the e-mail copy of an answer (a local SMTP server started by
the test), deadline alerts in the department chat, the one-year retention and /forget."""

from __future__ import annotations

import email
from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.channels.email import EmailChannel
from bot.delivery import RETRY_DELAYS
from bot.scheduler import JobRunner
from bot.settings import Settings
from handlers.models import Attachment
from storage.clients import get_client
from storage.conversations import load_state
from storage.outbox import unfinished_count
from storage.requests import audit_trail, count_message_files, count_requests, get_request, request_messages
from storage.sent import find_tag
from tests.conftest import FakeClock
from tests.mail_support import Inbox, free_port
from tests.requests_helpers import (
    HEAD,
    STAFF_CHAT,
    RecordingChannel,
    staff_settings,
    write_request,
)

pytest_plugins = ["tests.requests_fixtures", "tests.mail_fixtures"]  # staff_app, tg, runner; smtp_server

CLIENT = "5001"
STAFF = "9001"


@pytest.fixture
async def mail_app(settings: Settings, clock: FakeClock, smtp_server: tuple[Inbox, int]) -> AsyncIterator[App]:
    _, port = smtp_server
    app = await App.create(staff_settings(settings, smtp_host="127.0.0.1", smtp_port=port,
                                          smtp_from="consult@lenreg.example"), clock=clock, migrate=False)
    app.add_channel(EmailChannel(app))
    yield app
    await app.close()


async def test_answer_is_copied_by_email(mail_app: App, smtp_server: tuple[Inbox, int]) -> None:
    inbox, _ = smtp_server
    tg = RecordingChannel(mail_app)
    runner = JobRunner(mail_app, worker="test")
    answer = await write_request(tg, CLIENT, extra="Копию на эл. почту", email="Petr.Sidorov@example.ru")
    assert "Копию ответа пришлём на petr.sidorov@example.ru" in answer
    assert "копия на эл. почту petr.sidorov@example.ru" in tg.last(STAFF_CHAT)
    answer = await tg.send(STAFF, "/answer 1 Справка готова. <b>Заберите</b> её в каб. 210.", chat_id=STAFF_CHAT)
    assert "Копия уйдёт на электронную почту клиента" in answer and "petr.sidorov" not in answer
    assert await runner.run_due() == 0  # both went out when the staff event committed
    assert "Справка готова." in tg.last(CLIENT)
    assert len(inbox.letters) == 1
    envelope, letter = inbox.letters[0]
    assert envelope.mail_from == "consult@lenreg.example" and envelope.rcpt_tos == ["petr.sidorov@example.ru"]
    assert str(email.header.make_header(email.header.decode_header(letter["Subject"]))) == "Ответ на обращение №1"
    assert letter.get_content_type() == "text/plain"  # nothing in it is read as markup
    body = letter.get_payload(decode=True).decode("utf-8")
    assert body.startswith("Здравствуйте, Пётр Сидоров!")
    assert "Справка готова. <b>Заберите</b> её в каб. 210." in body
    assert "Это копия ответа, отправленного вам в Telegram" in body
    assert "emailed" in [e.action for e in await audit_trail(mail_app.services.db, 1)]


async def test_staff_files_go_with_the_email_copy(mail_app: App, smtp_server: tuple[Inbox, int]) -> None:
    inbox, _ = smtp_server
    tg = RecordingChannel(mail_app, files={"BQAD-scan": b"%PDF-1.4 scan"})
    await write_request(tg, CLIENT, extra="Копию на эл. почту", email="p@example.ru")
    scan = (Attachment("document", file_id="BQAD-scan", filename="справка.pdf", mime="application/pdf"),)
    await tg.send(STAFF, "/answer 1 Справка во вложении.", chat_id=STAFF_CHAT, attachments=scan)
    assert [f.file_id for f in tg.outgoing(CLIENT)[-1].reply.files] == ["BQAD-scan"]  # re-sent by its id
    [(_, letter)] = inbox.letters
    [attached] = list(letter.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type(), attached.get_payload(decode=True)) == (
        "справка.pdf", "application/pdf", b"%PDF-1.4 scan")


async def test_failing_mail_server_is_retried_then_staff_and_client_are_told(
        tg: RecordingChannel, runner: JobRunner, staff_app: App, clock: FakeClock) -> None:
    staff_app.settings.smtp_host = "127.0.0.1"
    staff_app.settings.smtp_port = free_port()  # nobody listens there
    staff_app.add_channel(EmailChannel(staff_app))
    await write_request(tg, CLIENT, extra="Копию на эл. почту", email="p@example.ru")
    await tg.send(STAFF, "/answer 1 Справка готова.", chat_id=STAFF_CHAT)
    assert "Справка готова." in tg.last(CLIENT), "the answer itself is not held up by the copy"
    for pause in RETRY_DELAYS:  # the outbox's retry pauses
        assert "отправить не удалось" not in tg.last(STAFF_CHAT)
        clock.advance(seconds=pause.total_seconds())
        await runner.run_due()  # (the survey invitation after the answer also falls due meanwhile)
    assert await unfinished_count(staff_app.services.db) == 0, "given up after the last retry"
    assert ("Копию ответа по обращению №1 на p@example.ru отправить не удалось: письмо не удалось доставить."
            in tg.chat(STAFF_CHAT))
    assert any("Копию ответа по обращению №1 на p@example.ru отправить не удалось" in m for m in tg.chat(CLIENT))
    assert "email_failed" in [e.action for e in await audit_trail(staff_app.services.db, 1)]


async def test_deadline_alerts_in_the_department_chat(tg: RecordingChannel, runner: JobRunner,
                                                      clock: FakeClock) -> None:
    await write_request(tg, CLIENT)  # Tue 17.03, due Thu 16.04
    clock.advance(days=5)
    await write_request(tg, "5002")  # Sun 22.03, due Tue 21.04
    clock.set(clock.now.replace(month=4, day=13, hour=6))  # Mon 13.04, 09:00 MSK
    assert await runner.run_daily("requests_deadlines")
    assert tg.last(STAFF_CHAT) == ("Сроки ответов на обращения, 13.04.2026:\nСрок в ближайшие 3 дня: №1\n"
                                   "Список: /requests")
    clock.advance(days=3)  # Thu 16.04
    await runner.run_daily("requests_deadlines")
    assert "Срок сегодня: №1" in tg.last(STAFF_CHAT)
    clock.advance(days=2)  # Saturday: nobody at work, no alert
    sent = len(tg.chat(STAFF_CHAT))
    await runner.run_daily("requests_deadlines")
    assert len(tg.chat(STAFF_CHAT)) == sent
    clock.advance(days=2)  # Mon 20.04
    await runner.run_daily("requests_deadlines")
    assert "Просрочены: №1\nСрок в ближайшие 3 дня: №2" in tg.last(STAFF_CHAT)
    answer = await tg.send(STAFF, "/requests", chat_id=STAFF_CHAT)
    lines = answer.splitlines()
    assert lines[0] == "Открытые обращения (2), сначала просроченные:"
    assert lines[1].startswith("№1 · до 16.04.2026 (просрочено на 4 дн.)")
    assert lines[2].startswith("№2 · до 21.04.2026 (осталось дней: 1)")
    await tg.send(STAFF, "/close 1", chat_id=STAFF_CHAT)
    clock.advance(days=1)
    await runner.run_daily("requests_deadlines")
    assert "№1" not in tg.last(STAFF_CHAT) and "Срок сегодня: №2" in tg.last(STAFF_CHAT)


async def test_requests_are_deleted_a_year_after_closing(tg: RecordingChannel, runner: JobRunner, staff_app: App,
                                                         clock: FakeClock) -> None:
    db = staff_app.services.db
    await write_request(tg, CLIENT, files=(Attachment("photo", file_id="AgAD-1"),))
    card_id = tg.message_id(STAFF_CHAT, "Обращение №1")
    await tg.send(STAFF, "Справка готова.", chat_id=STAFF_CHAT, reply_to=card_id)
    await runner.run_due()
    clock.advance(days=200)
    await write_request(tg, "5002")
    await tg.send(STAFF, "/close 2", chat_id=STAFF_CHAT)
    await write_request(tg, "5003")  # still open: never deleted
    assert await count_message_files(db) == 1

    clock.advance(days=165)  # 365 days after the first answer: not yet a year (2027 is no leap year)
    await runner.run_daily("personal_data_retention")
    assert await count_requests(db) == 3
    clock.advance(days=1)
    await runner.run_daily("personal_data_retention")
    assert await get_request(db, 1) is None and await count_requests(db) == 2
    assert await request_messages(db, 1) == [] and await count_message_files(db) == 0
    assert await find_tag(db, "telegram", STAFF_CHAT, card_id) is None
    answer = await tg.send(CLIENT, "Мои обращения")
    assert "У вас пока нет обращений" in answer
    clock.advance(days=200)
    await runner.run_daily("personal_data_retention")
    assert await get_request(db, 2) is None and await get_request(db, 3) is not None


async def test_forget_anonymises_requests_and_tells_staff(tg: RecordingChannel, runner: JobRunner,
                                                          staff_app: App) -> None:
    db = staff_app.services.db
    await write_request(tg, CLIENT, files=(Attachment("document", file_id="BQAD", filename="скан.pdf"),),
                        extra="Копию на эл. почту", email="p@example.ru")
    await tg.send(STAFF, "/answer 1 Справка готова.", chat_id=STAFF_CHAT)
    await runner.run_due()
    await tg.send(CLIENT, "Написать в отдел")
    await tg.send(CLIENT, "Прошу также копию приказа о переводе на другую должность.")
    await tg.send(CLIENT, "Готово")
    await tg.send(CLIENT, "1")
    await tg.send(CLIENT, "1")
    await tg.send(CLIENT, "Только в этот чат")
    await tg.send(CLIENT, "Отправить")
    await tg.send(CLIENT, "Написать в отдел")
    await tg.send(CLIENT, "Черновик, который ещё не отправлен")

    answer = await tg.send(CLIENT, "/forget")
    assert "Удалить ваши данные?" in answer and "Неотвеченные обращения будут отозваны" in answer
    answer = await tg.send(CLIENT, "Нет, оставить")
    assert "ничего не удаляю" in answer
    await tg.send(CLIENT, "Удалить мои данные")  # the menu item
    answer = await tg.send(CLIENT, "Да, удалить")
    assert "ваши данные удалены" in answer

    assert await get_client(db, "telegram", CLIENT) is None  # name, phone and e-mail with it
    state = await load_state(db, "telegram", CLIENT)
    assert state is not None and state.data == {} and state.stack == []
    for number, status in ((1, "answered"), (2, "withdrawn")):
        rq = await get_request(db, number)
        assert rq is not None and rq.status == status and rq.anonymised_at is not None
        assert (rq.user_id, rq.contact_name, rq.contact_phone, rq.extra_address) == (None,) * 4
        assert rq.topic == "personnel" and rq.created_at and rq.due_at  # registration data stay (59-FZ)
        assert all(m.text is None and m.files == [] for m in await request_messages(db, number))
    await runner.run_due()
    assert tg.last(STAFF_CHAT) == "Клиент удалил свои данные: обращение №2 отозвано, текст и контакты стёрты."
    answer = await tg.send(STAFF, "/request 1", chat_id=STAFF_CHAT)
    assert "Клиент удалил свои данные: текст и контакты стёрты." in answer and "Справка" not in answer
    answer = await tg.send(STAFF, "/answer 2 Ответ", chat_id=STAFF_CHAT)
    assert "уже не в работе (отозвано)" in answer
    answer = await tg.send(CLIENT, "Мои обращения")
    assert "У вас пока нет обращений" in answer
    answer = await tg.send(CLIENT, "Написать в отдел")
    assert "Получено сообщений" not in answer  # the draft is gone too


async def test_deadline_change_is_audited_with_who_and_when(tg: RecordingChannel, staff_app: App) -> None:
    await write_request(tg, CLIENT)
    await tg.send(HEAD, "/extend 1 15", chat_id=STAFF_CHAT, user_name="Начальник отдела")
    trail = await audit_trail(staff_app.services.db, 1)
    entry = next(e for e in trail if e.action == "due_at")
    assert entry.actor == f"telegram:{HEAD}" and entry.actor_name == "Начальник отдела"
    assert entry.old is not None and entry.new is not None and entry.new > entry.old
    assert entry.at == staff_app.services.clock()

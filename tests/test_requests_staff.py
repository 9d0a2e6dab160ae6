"""The staff's side of written requests in a department's staff chat: the card and its buttons,
answering by replying to the card, clarifying questions, urgency and deadlines set by the head,
moving a request to another department, files, permissions and undelivered answers."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.channels.telegram.render import html_chunks
from bot.scheduler import JobRunner
from handlers.engine import action_payload
from handlers.models import Attachment
from storage.requests import audit_trail, get_request, request_messages
from tests.conftest import FakeClock
from tests.requests_helpers import (
    HEAD,
    OTHER_CHAT,
    REQUEST_TEXT,
    STAFF_CHAT,
    RecordingChannel,
    write_request,
)

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner

CLIENT = "5001"
STAFF = "9001"  # a member of the personnel staff chat


async def test_card_in_staff_chat_and_reply_to_it_reaches_the_client(tg: RecordingChannel, runner: JobRunner,
                                                                     staff_app: App) -> None:
    answer = await write_request(tg, CLIENT)
    assert "Обращение №1 принято" in answer
    card = tg.last(STAFF_CHAT)
    assert card.startswith("Обращение №1 · принято")
    assert "Тема: Иные кадровые вопросы" in card and "Потребность: Получить справку, копию документа" in card
    assert "Канал ответа: Telegram" in card and "Контакт: Пётр Сидоров, +79110001122" in card
    assert REQUEST_TEXT in card
    for label in ("Взять в работу", "Уточнить у клиента", "Срочное", "Не срочное", "Изменить тему",
                  "Изменить потребность", "Сократить срок", "Продлить срок", "Закрыть"):
        assert label in card
    card_id = tg.message_id(STAFF_CHAT, "Обращение №1 · принято")

    # staff talk among themselves: the bot keeps quiet and shows no citizen menu in the group
    assert await tg.send(STAFF, "Коллеги, кто возьмёт?", chat_id=STAFF_CHAT) == ""
    answer = await tg.send(STAFF, "Справка готова, заберите в каб. 210.", chat_id=STAFF_CHAT, reply_to=card_id,
                           user_name="Мария Кадрова")
    assert answer == "Ответ по обращению №1 принят и отправляется клиенту (Telegram)."
    assert await runner.run_due() == 0  # nothing waits: the answer went out when the staff event committed
    to_client = tg.last(CLIENT)
    assert to_client.startswith("Ответ на ваше обращение №1 (тема «Иные кадровые вопросы»):")
    assert "Справка готова, заберите в каб. 210." in to_client and "Отдел кадров Управления" in to_client
    rq = await get_request(staff_app.services.db, 1)
    assert rq is not None and rq.status == "answered" and rq.closed_at is not None
    trail = await audit_trail(staff_app.services.db, 1)
    assert any(e.action == "status" and e.new == "answered" and e.actor == f"telegram:{STAFF}"
               and e.actor_name == "Мария Кадрова" for e in trail)
    assert any(e.action == "delivered" for e in trail)


async def test_buttons_take_urgent_and_the_heads_shortened_deadline(tg: RecordingChannel, runner: JobRunner,
                                                                    staff_app: App) -> None:
    await write_request(tg, CLIENT, "Срочно нужна справка о стаже, завтра сдавать документы в банк.")
    card = tg.last(STAFF_CHAT)
    assert "Срочность: возможно срочное — слова «срочно»; срок в тексте «завтра» (18.03.2026)" in card
    buttons = tg.buttons(STAFF_CHAT)
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=buttons["Взять в работу"], user_name="Мария")
    assert "Обращение №1 · в работе" in answer and "Исполнитель: Мария" in answer
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=buttons["Сократить срок"])
    assert "Сокращённый и продлённый сроки устанавливает руководитель отдела" in answer
    answer = await tg.send(HEAD, chat_id=STAFF_CHAT, payload=buttons["Сократить срок"])
    assert "сначала отметьте обращение №1 как срочное" in answer
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=buttons["Срочное"])
    assert "Срочность: срочное (подтверждено)" in answer
    assert "Сокращённый срок устанавливает руководитель отдела" in answer
    answer = await tg.send(HEAD, chat_id=STAFF_CHAT, payload=buttons["Сократить срок"], user_name="Начальник")
    assert "через сколько рабочих дней?" in answer
    answer = await tg.send(HEAD, chat_id=STAFF_CHAT, payload=tg.buttons(STAFF_CHAT)["1 дн."])
    assert "Срок ответа: до 18.03.2026 (осталось дней: 1), сокращённый" in answer
    assert "Срок ответа на обращение №1: до 18.03.2026. Клиенту сообщено." in answer
    await runner.run_due()
    assert "Ваше обращение №1 признано срочным: ответ будет дан не позднее 18.03.2026." in tg.last(CLIENT)
    trail = [(e.action, e.old, e.new, e.actor) for e in await audit_trail(staff_app.services.db, 1)]
    assert ("urgent", None, "True", f"telegram:{STAFF}") in trail
    assert ("deadline_kind", "standard", "shortened", f"telegram:{HEAD}") in trail
    answer = await tg.send(STAFF, "/requests", chat_id=STAFF_CHAT)
    assert "№1 · до 18.03.2026 (осталось дней: 1) · Иные кадровые вопросы · срочное · в работе · Мария" in answer


async def test_extension_once_with_a_notice_to_the_client(tg: RecordingChannel, runner: JobRunner) -> None:
    await write_request(tg, CLIENT)
    answer = await tg.send(STAFF, "/extend 1 30", chat_id=STAFF_CHAT)
    assert "устанавливает руководитель отдела" in answer
    answer = await tg.send(HEAD, "/extend 1 31", chat_id=STAFF_CHAT)
    assert "Укажите число дней от 1 до 30" in answer
    answer = await tg.send(HEAD, "/extend 1 30", chat_id=STAFF_CHAT)
    assert "Срок ответа на обращение №1: до 16.05.2026" in answer
    await runner.run_due()
    assert "Срок ответа на обращение №1 продлён до 16.05.2026" in tg.last(CLIENT)
    answer = await tg.send(HEAD, "/extend 1 10", chat_id=STAFF_CHAT)
    assert "уже продлевался: продлить можно только один раз" in answer
    answer = await tg.send(HEAD, "/request 1", chat_id=STAFF_CHAT)
    assert "Срок ответа: до 16.05.2026 (осталось дней: 60), продлён" in answer


async def test_reclassify_need_and_topic_moves_the_request(tg: RecordingChannel, staff_app: App) -> None:
    await write_request(tg, CLIENT)
    buttons = tg.buttons(STAFF_CHAT)
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=buttons["Изменить потребность"])
    assert "выберите типовую потребность" in answer
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=tg.buttons(STAFF_CHAT)["Жалоба, несогласие с решением"])
    assert "Потребность: Жалоба, несогласие с решением" in answer
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=buttons["Изменить тему"])
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=tg.buttons(STAFF_CHAT)["Государственные награды"])
    assert "Обращение №1 передано в отдел: Отдел наградной политики" in answer
    assert "Обращение №1 передано вам из другого отдела." in tg.chat(OTHER_CHAT)[0]
    moved = tg.last(OTHER_CHAT)
    assert moved.startswith("Обращение №1 · принято") and "Тема: Государственные награды" in moved
    rq = await get_request(staff_app.services.db, 1)
    assert rq is not None and (rq.topic, rq.department, rq.need) == ("awards", "awards", "complaint")
    # the old department no longer acts on it
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=buttons["Закрыть"])
    assert "Обращение №1 относится к другому отделу." in answer
    actions = {e.action for e in await audit_trail(staff_app.services.db, 1)}
    assert {"need", "topic", "department"} <= actions


async def test_clarify_by_button_and_the_clients_reply_comes_back_tagged(tg: RecordingChannel, runner: JobRunner,
                                                                         staff_app: App) -> None:
    await write_request(tg, CLIENT)
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload=tg.buttons(STAFF_CHAT)["Уточнить у клиента"])
    assert "ответьте на это сообщение (Reply) вопросом клиенту" in answer
    prompt = tg.message_id(STAFF_CHAT, "вопросом клиенту")
    answer = await tg.send(STAFF, "Для какой организации нужна справка?", chat_id=STAFF_CHAT, reply_to=prompt)
    assert "Вопрос по обращению №1 отправляется клиенту" in answer
    await runner.run_due()
    assert "Специалисту нужно уточнение по вашему обращению №1:\n\nДля какой организации нужна справка?" in tg.last(
        CLIENT)
    answer = await tg.send(CLIENT, payload=tg.buttons(CLIENT)["Ответить"])
    assert "Вопрос специалиста по обращению №1:\nДля какой организации нужна справка?" in answer
    photo = Attachment("photo", file_id="AgAD-photo-1")
    await tg.send(CLIENT, "Для Сбербанка, вот их запрос.", attachments=(photo,))
    answer = await tg.send(CLIENT, "Отправить")
    assert "Ваш ответ по обращению №1 передан специалистам" in answer
    relay = tg.outgoing(STAFF_CHAT)[-1]
    assert relay.reply.text.startswith("Ответ клиента на уточнение по обращению №1:\nДля Сбербанка")
    assert relay.reply.tag == "request:1" and [f.file_id for f in relay.reply.files] == ["AgAD-photo-1"]
    # replying to the client's answer answers the same request
    relay_id = tg.message_id(STAFF_CHAT, "Ответ клиента на уточнение")
    answer = await tg.send(STAFF, "Спасибо, справка для банка будет готова в четверг.", chat_id=STAFF_CHAT,
                           reply_to=relay_id)
    assert "Ответ по обращению №1 принят" in answer
    await runner.run_due()
    assert "справка для банка будет готова в четверг" in tg.last(CLIENT)


async def test_files_of_the_client_are_forwarded_with_the_card(tg: RecordingChannel, staff_app: App) -> None:
    files = (Attachment("photo", file_id="AgAD-1"), Attachment("document", file_id="BQAD-2", filename="запрос.pdf"))
    await write_request(tg, CLIENT, files=files)
    card = tg.outgoing(STAFF_CHAT)[-1].reply
    assert [f.file_id for f in card.files] == ["AgAD-1", "BQAD-2"]
    assert "Вложения (2): фото — переслан ниже; запрос.pdf — переслан ниже" in card.text
    # a VK client's files are fetched from VK and uploaded to Telegram; one VK no longer gives is noted
    vk = RecordingChannel(staff_app, name="vk", files={"photo42_1": b"\xff\xd8\xffjpeg"})
    await write_request(vk, "42", files=(Attachment("photo", "photo42_1", mime="image/jpeg"),
                                         Attachment("document", "doc42_2", filename="заявление.pdf")))
    card = tg.outgoing(STAFF_CHAT)[-1].reply
    assert card.text.startswith("Обращение №2") and card.files == ()
    assert "Вложения (2): фото — переслан ниже; заявление.pdf — переслан ниже" in card.text
    assert [(d.content, d.mime) for d in card.uploads] == [(b"\xff\xd8\xffjpeg", "image/jpeg")]
    assert card.text.endswith("\n\nФайл «заявление.pdf» (ВКонтакте) не удалось получить.")
    assert "Канал ответа: ВКонтакте" in card.text
    # too many files and stickers are refused politely
    await tg.send("5002", "Написать в отдел")
    answer = await tg.send("5002", attachments=(Attachment("sticker", file_id="CAAD"),))
    assert "Стикеры и геометки к обращению не прикладываются" in answer
    answer = await tg.send("5002", attachments=tuple(Attachment("photo", file_id=f"p{i}") for i in range(12)))
    assert "Можно приложить не больше 10 файлов" in answer and "файлов: 10" in answer


async def test_staff_files_go_to_clients_of_every_channel(tg: RecordingChannel, runner: JobRunner,
                                                          staff_app: App) -> None:
    vk = RecordingChannel(staff_app, name="vk")
    await write_request(tg, CLIENT)
    await write_request(vk, "42")
    tg.files["BQAD-scan"] = b"%PDF-1.4 scan"
    scan = (Attachment("document", file_id="BQAD-scan", filename="справка.pdf", mime="application/pdf"),)
    answer = await tg.send(STAFF, "/answer 1 Справка во вложении.", chat_id=STAFF_CHAT, attachments=scan)
    assert answer == "Ответ по обращению №1 принят и отправляется клиенту (Telegram)."
    answer = await tg.send(STAFF, "/answer 2 Справка во вложении.", chat_id=STAFF_CHAT, attachments=scan)
    assert answer == "Ответ по обращению №2 принят и отправляется клиенту (ВКонтакте)."
    await runner.run_due()
    assert [f.file_id for f in tg.outgoing(CLIENT)[-1].reply.files] == ["BQAD-scan"]  # re-sent by its id
    to_vk = vk.outgoing("42")[-1].reply  # fetched from Telegram, uploaded to VK
    assert "Справка во вложении." in to_vk.text and to_vk.files == ()
    assert [(d.filename, d.content) for d in to_vk.uploads] == [("справка.pdf", b"%PDF-1.4 scan")]


async def test_unreachable_client_staff_are_told(tg: RecordingChannel, runner: JobRunner, staff_app: App) -> None:
    await write_request(tg, CLIENT)
    tg.unreachable.add(CLIENT)  # the client blocked the bot
    card_id = tg.message_id(STAFF_CHAT, "Обращение №1")
    await tg.send(STAFF, "Ваша справка готова.", chat_id=STAFF_CHAT, reply_to=card_id)
    await runner.run_due()
    note = tg.last(STAFF_CHAT)
    assert note.startswith("Сообщение по обращению №1 не доставлено клиенту: Telegram сообщает, что клиент недоступен")
    assert "Свяжитесь с клиентом: Пётр Сидоров, +79110001122." in note
    messages = await request_messages(staff_app.services.db, 1)
    assert messages[-1].kind == "answer" and messages[-1].delivered is False
    assert "not_delivered" in [e.action for e in await audit_trail(staff_app.services.db, 1)]
    # a reply to the "not delivered" note is still an answer to the same request
    assert tg.outgoing(STAFF_CHAT)[-1].reply.tag == "request:1"


async def test_non_staff_pressing_staff_buttons_is_refused_and_logged(
        tg: RecordingChannel, staff_app: App, caplog: pytest.LogCaptureFixture) -> None:
    await write_request(tg, CLIENT)
    for payload in (action_payload("rq_take", 1), action_payload("rq_close", 1), action_payload("rq_urgent", "1:1"),
                    action_payload("rq_topic", "1:awards"), action_payload("rq_ext", "1:30")):
        answer = await tg.send("6666", payload=payload)
        assert "доступна только сотрудникам" in answer
    answer = await tg.send("6666", "/answer 1 Всё решено")
    assert "доступна только сотрудникам" in answer
    assert "refused a staff action on request '1' from telegram:6666" in caplog.text
    rq = await get_request(staff_app.services.db, 1)
    assert rq is not None and (rq.status, rq.urgent, rq.topic, rq.extended) == ("received", None, "personnel", False)
    assert [e.action for e in await audit_trail(staff_app.services.db, 1)] == ["registered"]
    # the awards chat cannot act on a personnel request either
    answer = await tg.send("8001", chat_id=OTHER_CHAT, payload=action_payload("rq_take", 1))
    assert "Обращение №1 относится к другому отделу." in answer
    # a client cannot open another client's request
    answer = await tg.send("6666", payload=action_payload("rq_view", 1))
    assert "Обращение не найдено" in answer


async def test_client_adds_to_an_open_request(tg: RecordingChannel) -> None:
    await write_request(tg, CLIENT)
    await tg.send(CLIENT, "Мои обращения")
    answer = await tg.send(CLIENT, "1")
    assert "Статус: принято" in answer and "Ответ — не позднее 16.04.2026" in answer
    answer = await tg.send(CLIENT, "Дополнить обращение")
    assert "Напишите, что добавить к обращению №1" in answer
    await tg.send(CLIENT, "Забыл указать: справка нужна за 2020–2025 годы.")
    answer = await tg.send(CLIENT, "Отправить")
    assert "Дополнение к обращению №1 передано специалистам" in answer
    assert "Вы дополнили (17.03.2026):\nЗабыл указать" in answer
    assert tg.last(STAFF_CHAT).startswith("Клиент дополнил обращение №1:\nЗабыл указать")
    answer = await tg.send(STAFF, "/request 1", chat_id=STAFF_CHAT)
    assert "Дополнение клиента (17.03.2026 10:00):\nЗабыл указать" in answer


async def test_repeated_requests_are_flagged_possibly_urgent(tg: RecordingChannel, clock: FakeClock) -> None:
    await write_request(tg, CLIENT)
    clock.advance(days=3)
    await tg.send(CLIENT, "Написать в отдел")
    await tg.send(CLIENT, "Повторно прошу выдать справку о стаже работы, ответа так и нет.")
    await tg.send(CLIENT, "Готово")
    await tg.send(CLIENT, "1")  # keep the saved name
    await tg.send(CLIENT, "1")  # keep the saved phone
    await tg.send(CLIENT, "Только в этот чат")
    answer = await tg.send(CLIENT, "Отправить")
    assert "Обращение №2 принято" in answer and "может быть срочным" in answer
    assert "повторное обращение по теме (1 за 30 дней)" in tg.last(STAFF_CHAT)


def test_client_markup_is_escaped_for_telegram() -> None:
    from handlers.models import Reply

    chunks = html_chunks(Reply(text="Текст: <b>жирный</b> & <a href='x'>ссылка</a>"))
    assert "&lt;b&gt;жирный&lt;/b&gt; &amp; &lt;a href=" in chunks[0]
    assert "<b>" not in chunks[0]

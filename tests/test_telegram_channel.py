"""The Telegram adapter itself: what updates become, how replies are drawn, groups and staff chats,
anti-flood, errors, retries and blocked users — through the dispatcher and the recording session."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from bot.app import App
from bot.channels.base import TransientSendError
from handlers import texts
from handlers.engine import CHAT_ROUTERS, COMMANDS, Context, Handled
from handlers.models import (
    Address,
    Attachment,
    Button,
    Contact,
    Document,
    Event,
    Outgoing,
    Reply,
    Venue,
)
from storage.clients import get_client, touch_client
from storage.sent import find_tag
from tests.telegram_harness import TelegramHarness

USER = 1001
OTHER = 1002
STAFF_CHAT = -1001234567890
GROUP = -1009876543210
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def events() -> Iterator[list[Event]]:
    """Every event the engine gets (a chat router that looks and lets it pass)."""
    seen: list[Event] = []

    async def look(ctx: Context) -> bool:
        seen.append(ctx.event)
        return False

    CHAT_ROUTERS.insert(0, look)
    yield seen
    CHAT_ROUTERS.remove(look)


def _out(chat: int | str, reply: Reply, thread: int | None = None) -> Outgoing:
    return Outgoing(Address("telegram", str(chat), thread_id=thread), reply)


# ---------------------------------------------------------------------------- updates -> events
async def test_updates_become_core_events(app: App, events: list[Event]) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    ev = events[-1]
    assert (ev.channel, ev.user_id, ev.chat_id, ev.text) == ("telegram", str(USER), str(USER), "/start")
    assert ev.message_id is not None and ev.user_name == f"Тест{USER}"

    await h.press(USER, "Аттестация")
    ev = events[-1]
    assert ev.payload is not None and ev.text is None
    assert ev.payload == h.calls_of("sendMessage")[1].reply_markup.inline_keyboard[1][0].callback_data
    assert ev.message_id == str(h.sent(USER)[-1].message_id)

    await h.share_contact(USER, "79111234567")
    assert events[-1].contact == Contact(phone="+79111234567", name=f"Тест{USER}")

    await h.send_sticker(USER)
    assert [a.kind for a in events[-1].attachments] == ["sticker"]
    await h.send_photo(USER, caption="вот фото")
    ev = events[-1]
    assert ev.text == "вот фото" and ev.attachments[0].kind == "photo"
    assert ev.attachments[0].file_id in h.api.files and ev.attachments[0].size == 128000  # the largest size
    await h.send_document(USER, "справка.pdf")
    assert events[-1].attachments == (Attachment("document", events[-1].attachments[0].file_id, "справка.pdf",
                                                 "application/pdf", 12345),)
    await h.send_voice(USER)
    assert events[-1].attachments[0].kind == "voice"


async def test_staff_chat_passes_everything_and_replies_name_the_bot_message(app: App, events: list[Event]) -> None:
    app.services.staff_chats[("telegram", str(STAFF_CHAT), None)] = "awards"
    h = TelegramHarness(app)
    await h.channel.deliver(_out(STAFF_CHAT, Reply("Новая заявка №17", tag="request:17")))
    card = h.sent(STAFF_CHAT)[-1]
    assert await find_tag(app.services.db, "telegram", str(STAFF_CHAT), str(card.message_id)) == "request:17"

    await h.send_to_chat(STAFF_CHAT, 3001, "беру в работу")  # not addressed to the bot, still passed
    assert events[-1].chat_id == str(STAFF_CHAT) and events[-1].user_id == "3001"
    assert events[-1].text == "беру в работу" and events[-1].reply_to is None
    await h.send_to_chat(STAFF_CHAT, 3001, "Ответ: документы готовы", reply_to_message_id=card.message_id)
    assert events[-1].reply_to == str(card.message_id)
    await h.feed(h.api.make_service(3005, STAFF_CHAT))  # someone joined: not a message for the engine
    assert events[-1].user_id == "3001"


async def test_group_chat_reacts_only_when_addressed(app: App, events: list[Event]) -> None:
    h = TelegramHarness(app)
    h.api.add_group(GROUP, "Обсуждение")
    for text in ("всем привет", "кто знает про аттестацию?", "/start@other_bot", "/weather"):
        await h.send_to_chat(GROUP, 2001, text)
    assert events == [] and not h.calls_of("sendMessage")

    await h.send_to_chat(GROUP, 2001, "@consult_test_bot аттестация")
    assert events[-1].text == "аттестация" and events[-1].chat_id == str(GROUP)
    assert "Что вас интересует по аттестации?" in h.last_text(GROUP)
    await h.press(2001, "Когда моя аттестация", chat_id=GROUP)
    assert "+7 (812) 539-46-67" in h.last_text(GROUP)
    bot_message = h.sent(GROUP)[-1].message_id
    await h.send_to_chat(GROUP, 2001, "меню", reply_to_message_id=bot_message)
    assert events[-1].reply_to == str(bot_message) and h.last_text(GROUP) == texts.MENU
    await h.send_to_chat(GROUP, 2001, "/help@consult_test_bot")
    assert h.messages(GROUP)[-2] == texts.HELP
    await h.send_to_chat(GROUP, 2001, "/help")  # a plain command the bot knows
    assert len(events) == 5

    # A member's menu is his: another member pressing it gets a message of his own.
    await h.send_to_chat(GROUP, 2001, "/menu@consult_test_bot")
    menu = h.sent(GROUP)[-1]
    await h.press(2002, "Аттестация", chat_id=GROUP)
    assert h.sent(GROUP)[-2].text == menu.text == texts.MENU
    assert "Что вас интересует по аттестации?" in h.last_text(GROUP)


# ---------------------------------------------------------------------------- rendering
async def test_texts_are_escaped_and_long_ones_split(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    evil = "Иванов <script>alert(1)</script> & Co <b>жирный?</b> &amp;"
    assert await h.channel.deliver(_out(USER, Reply(evil, title="<i>Заявка</i> №1")))
    msg = h.sent(USER)[-1]
    assert msg.text == f"<i>Заявка</i> №1\n{evil}"  # shown literally, nothing injected
    assert msg.html.startswith("<b>&lt;i&gt;Заявка&lt;/i&gt; №1</b>\n")

    paragraph = "Очень длинный ответ про наградной лист, в котором много слов и подробностей. " * 13
    long_text = "\n\n".join([paragraph] * 10)  # about 10,000 characters
    buttons = [[Button(texts.BTN_MENU, payload="g.menu")]]
    assert await h.channel.deliver(_out(USER, Reply(long_text, title="Подробно", buttons=buttons)))
    parts = h.sent(USER)[-3:]
    assert [len(p.text) <= 4096 for p in parts] == [True] * 3 and parts[0].text.startswith("Подробно\n")
    assert " ".join(p.text for p in parts).split() == ["Подробно", *long_text.split()]  # nothing lost
    assert [p.labels for p in parts] == [[], [], [texts.BTN_MENU]]  # buttons under the last part


async def test_files_pictures_and_venues_through_the_same_reply(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    reply = Reply("Вы записаны на приём 18 марта в 10:00.",
                  document=Document("priem.ics", ics, "text/calendar", caption="Добавьте в календарь"),
                  image=Document("chart.png", PNG, "image/png"),
                  venue=Venue(59.942, 30.3905, "Личный приём", "Суворовский пр-кт, д. 67"),
                  buttons=[[Button("Отменить запись", payload="a.vcancel.5")]])
    assert await h.channel.deliver(_out(USER, reply))
    text, photo, doc, venue = h.sent(USER)[-4:]
    assert text.text == "Вы записаны на приём 18 марта в 10:00."
    assert (photo.kind, photo.filename, photo.content) == ("photo", "chart.png", PNG)
    assert (doc.kind, doc.filename, doc.content, doc.text) == ("document", "priem.ics", ics, "Добавьте в календарь")
    assert venue.venue["location"] == {"latitude": 59.942, "longitude": 30.3905}
    assert venue.labels == ["Отменить запись"] and not (text.inline or photo.inline or doc.inline)


async def test_link_buttons_and_callback_data_limits(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    reply = Reply("Где узнать", buttons=[[Button("Сайт", url="https://lenobl.ru")], [Button("Дальше", payload="x.1")]])
    assert await h.channel.deliver(_out(USER, reply))
    assert h.sent(USER)[-1].inline == [[{"text": "Сайт", "url": "https://lenobl.ru"}],
                                       [{"text": "Дальше", "callback_data": "x.1"}]]
    with pytest.raises(AssertionError, match="is a link"):
        await h.press(USER, "Сайт")

    sent = len(h.sent(USER))
    too_long = Reply("x", buttons=[[Button("Кнопка", payload="a." + "y" * 63)]])
    assert await h.channel.deliver(_out(USER, too_long)) is False
    too_many = Reply("x", buttons=[[Button(str(i), payload=f"p.{i}")] for i in range(101)])
    assert await h.channel.deliver(_out(USER, too_many)) is False
    assert len(h.sent(USER)) == sent  # nothing half-sent


@pytest.mark.skipif(not hasattr(Reply(""), "files"), reason="Reply.files is not in this tree")
async def test_files_a_person_sent_are_forwarded_by_id(app: App, events: list[Event]) -> None:
    h = TelegramHarness(app)
    await h.send_photo(USER, caption="скан")
    await h.send_document(USER, "анкета.pdf")
    photo, doc = events[-2].attachments[0], events[-1].attachments[0]
    app.services.staff_chats[("telegram", str(STAFF_CHAT), None)] = "awards"
    h.api.add_group(STAFF_CHAT, forum=True)
    bogus = Attachment("photo", "photo-file-999999-unknown")
    reply = Reply("Заявка №3 с файлами", buttons=[[Button("Взять", payload="a.rq_take.3")]],
                  files=(photo, doc, bogus))  # type: ignore[call-arg]
    assert await h.channel.deliver(_out(STAFF_CHAT, reply))
    card, p, d = h.sent(STAFF_CHAT)[-3:]
    assert card.labels == ["Взять"] and (p.kind, p.file_id) == ("photo", photo.file_id)
    assert (d.kind, d.file_id) == ("document", doc.file_id)  # the unknown file id is skipped, not fatal


async def test_staff_message_goes_to_the_forum_topic(app: App, caplog: pytest.LogCaptureFixture) -> None:
    h = TelegramHarness(app)
    h.api.add_group(STAFF_CHAT, forum=True)
    h.api.add_group(GROUP)
    assert await h.channel.deliver(_out(STAFF_CHAT, Reply("В тему «Заявки»"), thread=7))
    assert h.sent(STAFF_CHAT)[-1].thread_id == 7
    with caplog.at_level(logging.ERROR):
        assert await h.channel.deliver(_out(GROUP, Reply("Тема не найдена — в общий чат"), thread=7))
    assert h.sent(GROUP)[-1].thread_id is None and "topic 7 not found" in caplog.text


async def test_command_menu_is_set(app: App) -> None:
    app.services.staff_chats[("telegram", str(STAFF_CHAT), None)] = "awards"
    h = TelegramHarness(app)
    await h.start()
    public = [c["command"] for c in h.api.commands["default"]]
    assert public[:5] == ["start", "menu", "back", "help", "cancel"]
    assert all(c["description"] for c in h.api.commands["default"])
    staff_only = [n.lstrip("/") for n, c in COMMANDS.items() if c.staff]
    assert not set(staff_only) & set(public)
    if staff_only:
        in_staff_chat = [c["command"] for c in h.api.commands[f"chat:{STAFF_CHAT}"]]
        assert set(staff_only) <= set(in_staff_chat) and public[:5] == in_staff_chat[:5]


# ---------------------------------------------------------------------------- flood and errors
async def test_one_flooding_person_is_warned_once_and_others_are_not_slowed(app: App) -> None:
    h = TelegramHarness(app, pace=0)
    await h.send_text(USER, "/start")
    for _ in range(15):
        await h.send_text(USER, "аттестация")
    assert h.messages(USER).count(texts.FLOOD) == 1
    answered = len(h.messages(USER))
    await h.send_text(OTHER, "/start")  # the same instant: another person is served at once
    assert h.last_text(OTHER) == texts.MENU
    for _ in range(3):
        await h.press(USER, texts.BTN_MENU)
    assert len(h.messages(USER)) == answered  # dropped, but every press answered (silently now)
    assert [c.text for c in h.calls_of("answerCallbackQuery")[-3:]] == [None, None, None]
    h.now += 10  # a few seconds later he is heard again
    await h.send_text(USER, "/menu")
    assert h.last_text(USER) == texts.MENU

    # Flooding with buttons: the notice comes on the button, not as one more message.
    shown = len(h.messages(OTHER))
    for _ in range(10):
        label = texts.BTN_MENU if h.last_buttons(OTHER)[-1] == texts.BTN_MENU else "Аттестация"
        await h.press(OTHER, label)
    notices = [c.text for c in h.calls_of("answerCallbackQuery") if c.text]
    assert notices == [texts.FLOOD] and texts.FLOOD not in h.messages(OTHER)
    assert len(h.messages(OTHER)) == shown + 8  # a full burst (ten seconds passed), then the notice


async def test_failures_are_logged_and_apologised_for(app: App, caplog: pytest.LogCaptureFixture,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")

    async def broken(event: Event) -> Handled:  # e.g. a flow made a button Telegram refuses
        return Handled(screen=[_out(event.chat_id, Reply("x", buttons=[[Button("Кнопка", payload="p" * 65)]]))])

    monkeypatch.setattr(app.engine, "handle", broken)
    with caplog.at_level(logging.ERROR):
        await h.send_text(USER, "аттестация")
        await h.press(USER, texts.BTN_MENU)  # on the apology
    assert h.messages(USER)[-2:] == [texts.INTERNAL_ERROR, texts.INTERNAL_ERROR]
    assert h.last_buttons(USER) == [texts.BTN_MENU]
    assert caplog.text.count("telegram: an answer in chat 1001 could not be shown: telegram: callback data") == 2
    assert all(answer != {} for answer in h.api.callbacks.values())  # the press was answered anyway


# ---------------------------------------------------------------------------- sending
async def test_429_and_5xx_are_retried_and_delivered_once(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    h.api.fail("sendMessage", 429, retry_after=3)
    assert await h.channel.deliver(_out(USER, Reply("после паузы")))
    h.api.fail("sendMessage", 500, times=2)
    assert await h.channel.deliver(_out(USER, Reply("после двух ошибок")))
    h.api.fail("sendMessage", hang=1)
    assert await h.channel.deliver(_out(USER, Reply("после обрыва связи")))
    assert h.messages(USER)[-3:] == ["после паузы", "после двух ошибок", "после обрыва связи"]
    assert h.sleeps == [3.0, 0.5, 1.0, 0.5]  # retry_after exactly, then a growing backoff

    # Beyond the retry budget the channel says "try later" (App.deliver then keeps it in the outbox).
    h.api.fail("sendMessage", 502, times=10)
    with pytest.raises(TransientSendError):
        await h.channel.deliver(_out(USER, Reply("не дойдёт")))
    assert "не дойдёт" not in h.messages(USER) and len(h.sleeps) == 8  # 5 calls in all, then it gives up
    h.api.failures.clear()
    h.api.fail("sendMessage", 429, retry_after=3600)  # a flood ban is not waited out
    with pytest.raises(TransientSendError):
        await h.channel.deliver(_out(USER, Reply("бан")))
    assert len(h.sleeps) == 8


async def test_blocked_user_is_marked_unreachable_without_retries(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await touch_client(app.services.db, "telegram", str(USER), str(USER), app.services.clock())
    h.api.block(USER)
    calls = len(h.calls_of("sendMessage"))
    assert await h.channel.deliver(_out(USER, Reply("Ваша заявка рассмотрена"))) is False
    assert len(h.calls_of("sendMessage")) == calls + 1 and h.sleeps == []
    client = await get_client(app.services.db, "telegram", str(USER))
    assert client is not None and client.unreachable
    assert await h.channel.deliver(_out(404404, Reply("никому"))) is False  # a chat that does not exist

    # Telegram also tells the bot when a person blocks or unblocks it.
    await h.block(USER, blocked=False)
    client = await get_client(app.services.db, "telegram", str(USER))
    assert client is not None and not client.unreachable
    await h.block(USER)
    client = await get_client(app.services.db, "telegram", str(USER))
    assert client is not None and client.unreachable


async def test_typing_is_shown_while_a_slow_answer_is_prepared(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    h = TelegramHarness(app)
    handle = app.engine.handle

    async def slow(event: Event) -> list[Outgoing]:
        await asyncio.sleep(0.1)  # e.g. the database is busy
        return await handle(event)

    await h.send_text(USER, "/start")
    assert not h.calls_of("sendChatAction")  # a quick answer needs no "typing…"
    monkeypatch.setattr(app.engine, "handle", slow)
    h.channel.typing_after = 0.01
    await h.send_text(USER, "аттестация")
    names = [c.__api_method__ for c in h.calls]
    assert names[-2:] == ["sendChatAction", "sendMessage"] and h.calls[-2].action == "typing"

"""The foundation's conversations in Telegram, through aiogram's dispatcher and a recording session:
every topic from /start to the right phones by buttons and by typing, navigation, stale buttons,
things the bot does not expect, the phone request keyboard — asserted on what the person sees."""

from __future__ import annotations

from aiogram.methods import EditMessageText, SendVenue

from bot.app import App
from handlers import texts
from handlers.domain.directory import Topic
from handlers.domain.fields import phone_display
from storage.clients import get_client, touch_client
from storage.conversations import load_state, save_state
from tests.directory_walk import leaf_path
from tests.telegram_harness import TelegramHarness

USER = 1001




def _assert_contacts(text: str, topic: Topic, app: App) -> None:
    assert app.services.directory.department(topic.department).name in text
    for phone in topic.phones:
        assert phone_display(phone) in text  # "+7 (812) ..." : Telegram makes it a tap-to-call link
    for email in topic.emails:
        assert email in text
    assert "Сейчас открыто до 18:00" in text  # Tuesday 10:00 in Moscow


async def test_every_topic_by_buttons(app: App) -> None:
    h = TelegramHarness(app)
    for n, topic in enumerate(app.services.directory.topics):
        user = USER + n
        await h.send_text(user, "/start")
        assert h.messages(user)[0].startswith("Здравствуйте!")
        assert h.last_buttons(user)[:6] == [t.short for t in app.services.directory.topics]
        await h.press(user, topic.short)
        # A navigation screen replaces the menu in place: no new message, the menu message is edited.
        assert len(h.sent(user)) == 2
        assert h.sent(user)[-1].text == f"{topic.short}\n{topic.root.question}"
        assert h.sent(user)[-1].html.startswith(f"<b>{topic.short}</b>\n")  # the title in bold
        for node in leaf_path(topic.root):
            await h.press(user, node.label)
        result = h.sent(user)[-1]
        assert result.kind == "text" and len(h.sent(user)) == 3  # the result is a new message
        assert node.answer.split()[0] in result.text
        _assert_contacts(result.text, topic, app)
        assert h.last_buttons(user)[-2:] == [texts.BTN_BACK, texts.BTN_MENU]
    presses = sum(len(leaf_path(t.root)) + 1 for t in app.services.directory.topics)
    assert len(h.calls_of("answerCallbackQuery")) == presses  # every press answered
    assert all(answer == {"text": "", "show_alert": False} for answer in h.api.callbacks.values())


async def test_every_topic_by_typing(app: App) -> None:
    h = TelegramHarness(app)
    for n, topic in enumerate(app.services.directory.topics):
        user = USER + n
        await h.send_text(user, "здравствуйте")
        assert "Здравствуйте!" in h.messages(user)[0]
        await h.send_text(user, topic.short.lower())
        assert topic.root.question in h.last_text(user)
        for node in leaf_path(topic.root):
            await h.send_text(user, node.label)
        _assert_contacts(h.last_text(user), topic, app)
    assert not h.calls_of("answerCallbackQuery")


async def test_typed_numbers_and_free_question(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await h.send_text(USER, "2")
    assert "Что вас интересует по аттестации?" in h.last_text(USER)
    await h.send_text(USER, "1")
    assert "+7 (812) 539-46-67" in h.last_text(USER)

    await h.send_text(USER, "наградной лист на папу")
    assert "Правильно ли я понял" in h.last_text(USER)
    assert h.last_buttons(USER)[:2] == [texts.BTN_CONFIRM_YES, texts.BTN_CONFIRM_NO]
    await h.press(USER, texts.BTN_CONFIRM_YES)
    assert "Отдел наградной политики" in h.last_text(USER) and "+7 (812) 539-46-84" in h.last_text(USER)

    await h.send_text(USER, "как получить налоговый вычет?")
    assert "Федеральная налоговая служба" in h.last_text(USER)


async def test_back_menu_and_cancel(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await h.press(USER, "Конкурсы и кадровый резерв")
    await h.press(USER, "Кадровый резерв")
    assert "Что вы хотите узнать о кадровом резерве?" in h.last_text(USER)
    await h.press(USER, texts.BTN_BACK)
    assert "Что именно вас интересует по конкурсам" in h.last_text(USER)
    await h.press(USER, texts.BTN_MENU)
    assert texts.MENU in h.last_text(USER)
    assert len(h.sent(USER)) == 2  # all of it in the one menu message, edited in place

    await h.press(USER, "Аттестация")
    await h.send_text(USER, "назад")
    assert texts.MENU in h.last_text(USER)
    await h.send_text(USER, "Аттестация")
    await h.send_text(USER, "отмена")
    assert h.messages(USER)[-2:] == [texts.CANCELLED, texts.MENU]
    await h.send_text(USER, "/cancel")
    assert h.messages(USER)[-2] == texts.NOTHING_TO_CANCEL
    await h.send_text(USER, "/help")
    assert h.messages(USER)[-2] == texts.HELP
    await h.send_text(USER, "/menu")
    assert h.last_text(USER) == texts.MENU


async def test_result_card_stays_when_leaving_it(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await h.press(USER, "Профессиональное развитие")
    await h.press(USER, "Курсы и повышение квалификации")
    card = h.sent(USER)[-1]
    await h.press(USER, texts.BTN_OTHER_QUESTION)
    assert h.sent(USER)[-2].text == card.text  # the contacts stay readable
    assert h.last_text(USER) == texts.MENU and h.sent(USER)[-1].message_id > card.message_id


async def test_stale_button_is_answered_and_leads_somewhere(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    menu = h.sent(USER)[-1]
    await h.press(USER, "Аттестация")
    await h.press(USER, "Когда моя аттестация")
    # The menu message now shows the attestation screen; a press on its old "Аттестация" button:
    menu_call = next(c for c in h.calls_of("sendMessage") if c.reply_markup)
    stale = next(b.callback_data for row in menu_call.reply_markup.inline_keyboard for b in row
                 if b.text == "Аттестация")
    before = len(h.calls_of("answerCallbackQuery"))
    await h.press_data(USER, stale, message_id=menu.message_id)
    assert len(h.calls_of("answerCallbackQuery")) == before + 1
    assert texts.STALE_BUTTON in h.messages(USER)
    assert h.last_buttons(USER)  # and what can be done now

    # A press on a message Telegram no longer shows (older than 48 hours): answered, new message.
    await h.press_data(USER, "g.menu", message_id=9999)
    assert h.last_text(USER) == texts.MENU
    assert len(h.calls_of("answerCallbackQuery")) == before + 2


async def test_sticker_photo_and_voice_are_not_understood_politely(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await h.send_sticker(USER)
    assert h.messages(USER)[-2] == texts.ONLY_TEXT
    await h.send_voice(USER)
    assert h.messages(USER)[-2] == texts.ONLY_TEXT
    await h.send_photo(USER, caption="аттестация")  # a caption is read like text
    assert "Что вас интересует по аттестации?" in h.last_text(USER)


async def test_ten_thousand_characters_are_refused_politely(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await h.send_text(USER, "вопрос " * 1430)  # 10,010 characters
    assert texts.TOO_LONG.format(n=10009, limit=1000) in h.messages(USER)


async def test_contacts_screen_sends_the_place_as_a_venue(app: App) -> None:
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    await h.press(USER, texts.BTN_CONTACTS)
    text, venue = h.sent(USER)[-2:]
    assert "Личный приём: г. Санкт-Петербург, Суворовский пр-кт, д. 67" in text.text
    assert venue.kind == "venue"
    assert venue.venue == {"location": {"latitude": 59.942, "longitude": 30.3905}, "title": "Личный приём",
                           "address": "г. Санкт-Петербург, Суворовский пр-кт, д. 67"}
    # buttons under the map: a link to it, then the topics
    assert venue.labels[:7] == [texts.BTN_MAP, *(t.short for t in app.services.directory.topics)]
    assert venue.button(texts.BTN_MAP)["url"] == "https://yandex.ru/maps/?pt=30.390500,59.942000&z=17&l=map"
    assert text.inline is None
    await h.press(USER, "Государственные награды")
    assert "+7 (812) 539-46-84" in h.last_text(USER)
    assert isinstance(h.calls_of("sendVenue")[0], SendVenue)


async def test_phone_is_asked_with_a_share_button_which_goes_away(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    db = app.services.db
    await touch_client(db, "telegram", str(USER), str(USER), clock())
    state = await load_state(db, "telegram", str(USER))
    assert state is not None
    state.step, state.params = "personal.name", {}
    state.data["_pd"] = {"then": "menu", "params": {}, "purpose": "проверить", "need_phone": True}
    await save_state(db, "telegram", str(USER), str(USER), state, clock())

    await h.send_text(USER, "Иван Петров")
    question, hint = h.sent(USER)[-2:]
    assert question.text == texts.ASK_PHONE and question.labels == [texts.BTN_BACK, texts.BTN_MENU]
    assert hint.text == texts.TG_SHARE_PHONE_HINT
    assert hint.keyboard["keyboard"] == [[{"text": texts.TG_SHARE_PHONE, "request_contact": True}]]
    assert hint.keyboard["one_time_keyboard"] is True

    await h.share_contact(USER, "79111234567")
    client = await get_client(db, "telegram", str(USER))
    assert client is not None and client.phone == "+79111234567" and client.name == "Иван Петров"
    after = h.sent(USER)[-1]
    assert after.text == texts.MENU
    assert after.keyboard == {"remove_keyboard": True}  # the share button is gone
    assert after.labels[:6] == [t.short for t in app.services.directory.topics]  # and the menu buttons are there
    assert h.calls_of("editMessageReplyMarkup")


async def test_phone_can_be_typed_and_back_removes_the_keyboard(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    h = TelegramHarness(app)
    await h.send_text(USER, "/start")
    db = app.services.db
    await touch_client(db, "telegram", str(USER), str(USER), clock())
    state = await load_state(db, "telegram", str(USER))
    assert state is not None
    state.step = "personal.name"
    state.data["_pd"] = {"then": "menu", "params": {}, "purpose": "проверить", "need_phone": True}
    await save_state(db, "telegram", str(USER), str(USER), state, clock())
    await h.send_text(USER, "Анна")
    await h.send_text(USER, "12")
    assert h.messages(USER)[-3] == texts.BAD_PHONE  # then the question and the hint again
    await h.press(USER, texts.BTN_BACK)
    back = h.sent(USER)[-1]
    assert back.text == texts.ASK_NAME and back.keyboard == {"remove_keyboard": True}
    assert not any(isinstance(c, EditMessageText) for c in h.calls[-3:])  # not edited: a new message

"""The MAX client against the fake MAX API over HTTP: every call, uploads with files not processed
yet, retries of 429/5xx/network failures, and what is never retried."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.channels.max.api import MaxApi, MaxApiError, reads_all_messages
from tests.fake_max_api import FakeMax

pytest_plugins = ["tests.max_fixtures"]  # fake_max, max_api, make_api

MakeApi = Callable[..., MaxApi]

KEYBOARD = {"type": "inline_keyboard", "payload": {"buttons": [[{"type": "callback", "text": "Да", "payload": "y"},
                                                                 {"type": "callback", "text": "Нет", "payload": "n"}]]}}


async def test_the_bot_learns_who_it_is(max_api: MaxApi) -> None:
    me = await max_api.get_me()
    assert (me["username"], me["is_bot"]) == ("consult_bot", True)


async def test_a_message_with_buttons_reaches_the_dialogue(fake_max: FakeMax, max_api: MaxApi) -> None:
    chat = fake_max.dialog(7)
    message = await max_api.send_message({"text": "<b>Запись</b> на приём", "format": "html",
                                          "attachments": [KEYBOARD]}, chat_id=chat)
    [sent] = fake_max.sent_to(chat)
    assert (sent.text, sent.labels) == ("Запись на приём", ["Да", "Нет"])
    assert message["body"]["mid"] == sent.mid
    assert fake_max.calls_to("POST", "/messages")[0].query == {"chat_id": str(chat)}


async def test_a_message_to_a_person_by_user_id(fake_max: FakeMax, max_api: MaxApi) -> None:
    chat = fake_max.dialog(8)
    await max_api.send_message({"text": "Здравствуйте"}, user_id=8)
    assert [m.text for m in fake_max.sent_to(chat)] == ["Здравствуйте"]
    with pytest.raises(ValueError):
        await max_api.send_message({"text": "?"}, chat_id=chat, user_id=8)


async def test_a_screen_is_edited_in_place_and_its_keyboard_kept_or_removed(fake_max: FakeMax,
                                                                           max_api: MaxApi) -> None:
    chat = fake_max.dialog(7)
    shown = await max_api.send_message({"text": "Выберите тему", "attachments": [KEYBOARD]}, chat_id=chat)
    mid = shown["body"]["mid"]
    await max_api.edit_message(mid, {"text": "Выберите вопрос", "attachments": None})
    [sent] = fake_max.sent_to(chat)
    assert (sent.text, sent.labels, sent.edits) == ("Выберите вопрос", ["Да", "Нет"], 1)
    await max_api.edit_message(mid, {"text": "Готово", "attachments": []})
    assert (sent.text, sent.labels) == ("Готово", [])
    await max_api.delete_message(mid)
    assert fake_max.sent_to(chat) == []


async def test_messages_are_read_back(fake_max: FakeMax, max_api: MaxApi) -> None:
    chat = fake_max.dialog(7)
    mid = fake_max.write(7, "вопрос")
    assert (await max_api.get_message(mid))["body"]["text"] == "вопрос"
    assert [m["body"]["mid"] for m in await max_api.get_messages(message_ids=[mid])] == [mid]
    assert [m["body"]["text"] for m in await max_api.get_messages(chat_id=chat)] == ["вопрос"]


async def test_a_button_press_is_answered_and_an_unknown_one_refused(fake_max: FakeMax, max_api: MaxApi) -> None:
    chat = fake_max.dialog(7)
    mid = (await max_api.send_message({"text": "Подтвердить?", "attachments": [KEYBOARD]}, chat_id=chat))["body"]["mid"]
    callback = fake_max.press(7, mid, "y")
    await max_api.answer_callback(callback, message={"text": "Подтверждено", "attachments": []},
                                  notification="Готово")
    assert fake_max.answers == [(callback, {"message": {"text": "Подтверждено", "attachments": []},
                                            "notification": "Готово"})]
    assert fake_max.sent_to(chat)[0].text == "Подтверждено"  # the message with the button changed
    with pytest.raises(MaxApiError) as refused:
        await max_api.answer_callback("cb.forged", notification="?")
    assert (refused.value.status, refused.value.transient) == (404, False)
    assert len(fake_max.calls_to("POST", "/answers")) == 2  # a refusal is not retried


async def test_an_uploaded_file_is_sent_once_processed_under_its_own_name(fake_max: FakeMax,
                                                                          max_api: MaxApi) -> None:
    fake_max.not_ready_for = 1.0  # MAX processes a file for a while after the upload
    chat = fake_max.dialog(7)
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    attachment = await max_api.upload("file", "priem.ics", ics, "text/calendar")
    began = time.monotonic()
    await max_api.send_message({"text": "Запись в календарь", "attachments": [attachment]}, chat_id=chat)
    waited = time.monotonic() - began
    [sent] = fake_max.sent_to(chat)
    [file] = sent.of_type("file")
    assert file["filename"] == "priem.ics"  # not "priem.ics.ics"
    assert fake_max.files[file["payload"]["token"]].content == ics
    refused = [c for c in fake_max.calls_to("POST", "/messages") if c.status == 400]
    assert len(refused) >= 2 and waited >= 0.7  # attachment.not.ready, then again after growing pauses
    assert "Authorization" not in str(fake_max.calls)  # the token never went to the upload host


async def test_an_image_upload_gives_the_token_of_its_photo(fake_max: FakeMax, max_api: MaxApi) -> None:
    chat = fake_max.dialog(7)
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    attachment = await max_api.upload("image", "map.png", png, "image/png")
    assert attachment["type"] == "image" and attachment["payload"]["token"].startswith("tok.image")
    await max_api.send_message({"attachments": [attachment]}, chat_id=chat)
    assert fake_max.sent_to(chat)[0].of_type("image")[0]["payload"]["token"] == attachment["payload"]["token"]


async def test_a_file_never_processed_is_a_transient_failure(fake_max: FakeMax, make_api: MakeApi) -> None:
    fake_max.not_ready_for = 60
    api = make_api(ready_delays=(0.05, 0.05))
    attachment = await api.upload("file", "a.pdf", b"%PDF-1.4", "application/pdf")
    with pytest.raises(MaxApiError) as failed:
        await api.send_message({"attachments": [attachment]}, chat_id=fake_max.dialog(7))
    assert (failed.value.code, failed.value.transient) == ("attachment.not.ready", True)
    assert len(fake_max.calls_to("POST", "/messages")) == 3


async def test_server_errors_are_retried_and_the_message_sent_once(fake_max: FakeMax, max_api: MaxApi) -> None:
    chat = fake_max.dialog(7)
    fake_max.fail("POST", "/messages", 502, times=2)
    await max_api.send_message({"text": "Ваш запрос принят"}, chat_id=chat)
    assert [c.status for c in fake_max.calls_to("POST", "/messages")] == [502, 502, 200]
    assert [m.text for m in fake_max.sent_to(chat)] == ["Ваш запрос принят"]


async def test_a_429_is_waited_out_as_long_as_max_asks(fake_max: FakeMax, max_api: MaxApi) -> None:
    chat = fake_max.dialog(7)
    fake_max.fail("POST", "/messages", 429, retry_after=0.6)
    began = time.monotonic()
    await max_api.send_message({"text": "Ответ"}, chat_id=chat)
    assert time.monotonic() - began >= 0.6
    assert [c.status for c in fake_max.calls_to("POST", "/messages")] == [429, 200]


async def test_what_is_left_after_every_try_is_raised_as_transient(fake_max: FakeMax, make_api: MakeApi) -> None:
    fake_max.fail("POST", "/messages", 503, times=5)
    with pytest.raises(MaxApiError) as failed:
        await make_api(attempts=3).send_message({"text": "?"}, chat_id=fake_max.dialog(7))
    assert (failed.value.status, failed.value.transient) == (503, True)
    assert len(fake_max.calls_to("POST", "/messages")) == 3
    assert fake_max.sent == []


async def test_a_wrong_token_is_not_retried(fake_max: FakeMax, make_api: MakeApi) -> None:
    with pytest.raises(MaxApiError) as refused:
        await make_api(token="stolen").get_me()
    assert (refused.value.status, refused.value.code, refused.value.transient) == (401, "verify.token", False)
    assert len(fake_max.calls_to("GET", "/me")) == 1


async def test_no_answer_at_all_is_a_transient_failure(make_api: MakeApi) -> None:
    with pytest.raises(MaxApiError) as failed:
        await make_api(base_url="http://127.0.0.1:9", attempts=2).get_me()  # nothing listens there
    assert (failed.value.status, failed.value.transient) == (0, True)


async def test_a_stalled_answer_times_out(fake_max: FakeMax, make_api: MakeApi) -> None:
    fake_max.fail("GET", "/me", 500, delay=2)
    with pytest.raises(MaxApiError) as failed:
        await make_api(attempts=1, request_timeout=0.3).get_me()
    assert failed.value.status == 0


async def test_long_polls_ask_only_what_max_accepts(max_api: MaxApi) -> None:
    with pytest.raises(ValueError):
        await max_api.get_updates(limit=1000)  # the description allows it; MAX refuses it since May 2026
    with pytest.raises(ValueError):
        await max_api.get_updates(timeout=90)
    assert await max_api.get_updates(timeout=0) == {"updates": [], "marker": None}


async def test_webhook_subscriptions_are_listed_added_and_removed(fake_max: FakeMax, max_api: MaxApi) -> None:
    await max_api.subscribe("https://bot.lenreg.ru/max/webhook", secret="s3cret-value", update_types=["bot_started"])
    assert [s["url"] for s in await max_api.subscriptions()] == ["https://bot.lenreg.ru/max/webhook"]
    with pytest.raises(MaxApiError):
        await max_api.subscribe("http://bot.lenreg.ru/max/webhook")  # MAX delivers over HTTPS only
    await max_api.unsubscribe("https://bot.lenreg.ru/max/webhook")
    assert await max_api.subscriptions() == []
    with pytest.raises(MaxApiError) as missing:
        await max_api.unsubscribe("https://bot.lenreg.ru/max/webhook")
    assert missing.value.code == "not.success"


async def test_a_staff_chat_tells_whether_the_bot_reads_all_messages(fake_max: FakeMax, max_api: MaxApi) -> None:
    ready = fake_max.group("Награды — сотрудники", admin=True, read_all=True)
    deaf = fake_max.group("Кадры — сотрудники", admin=True, read_all=False)
    member = fake_max.group("Общий чат", admin=False)
    assert (await max_api.get_chat(ready))["title"] == "Награды — сотрудники"
    assert reads_all_messages(await max_api.get_membership(ready))
    assert not reads_all_messages(await max_api.get_membership(deaf))
    assert not reads_all_messages(await max_api.get_membership(member))
    with pytest.raises(MaxApiError) as unknown:
        await max_api.get_chat(-1)
    assert unknown.value.status == 404


async def test_a_file_a_person_sent_is_downloaded_within_a_limit(fake_max: FakeMax, max_api: MaxApi) -> None:
    fake_max.send_file(7, "spravka.pdf", b"%PDF-1.4 " + b"x" * 100)
    token, url = next(iter(fake_max.files.values())).token, ""
    for _, update in fake_max.updates:
        url = update["message"]["body"]["attachments"][0]["payload"]["url"]
    assert token in url
    assert await max_api.download(url, limit=1000) == b"%PDF-1.4 " + b"x" * 100
    with pytest.raises(MaxApiError) as large:
        await max_api.download(url, limit=10)
    assert large.value.code == "file.too.large"

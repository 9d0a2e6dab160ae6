"""The fake VK API speaks the API as VK's own schema (5.199) describes it: its answers and long-poll
events are valid, and it refuses what VK refuses, with VK's errors. (Every VK test checks the
same afterwards: the ``fake_vk`` fixture fails a test whose fake answered outside the schema or
had to refuse a request of the bot.)"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from urllib.parse import urljoin

import pytest

from bot.channels.vk.api_pool import VkCaller, VkCallError
from bot.channels.vk.files import upload
from bot.channels.vk.render import ClientCaps, render
from handlers.models import Button, Document, Reply
from tests import vk_schema
from tests.fake_vk_api import API_HOST, FakeVk, keyboard_fault, sample_image
from tests.vk_harness import VkBot, fast_config

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot

KEYBOARD = "messages/objects.json#/definitions/messages_keyboard"


@pytest.fixture
async def caller(fake_vk: FakeVk) -> AsyncIterator[VkCaller]:
    c = VkCaller(fast_config(fake_vk), fake_vk.session)
    yield c
    c.close()


def test_the_copy_of_the_schema_is_whole() -> None:
    """Every definition the tests use, and all it refers to, resolves within the copy."""
    roots = ["callback/objects.json#/definitions/callback_base", "base/objects.json#/definitions/base_error",
             *vk_schema.EVENT_OBJECTS.values()]
    for name in ("messages.send", "messages.sendMessageEventAnswer", "groups.getLongPollServer",
                 "docs.getMessagesUploadServer", "docs.save", "photos.getMessagesUploadServer",
                 "photos.saveMessagesPhoto"):
        method = vk_schema.method(name)
        assert method is not None, name
        roots += method.responses
        roots += [p["$ref"].removeprefix("../") for p in method.parameters.values() if "$ref" in p]
    resolver = vk_schema.registry().resolver()
    seen: set[str] = set()
    todo = [vk_schema.BASE + ref for ref in roots]
    while todo:
        uri = todo.pop()
        if uri in seen:
            continue
        seen.add(uri)
        resolved = resolver.lookup(uri)  # raises if the file or the definition is missing
        file = uri.split("#")[0]
        for ref in re.findall(r'"\$ref": "([^"]+)"', json.dumps(resolved.contents)):
            todo.append(urljoin(file, ref))
    assert len(seen) > 100
    used = {uri.removeprefix(vk_schema.BASE).split("#")[0] for uri in seen}
    methods = {"messages/methods.json", "docs/methods.json", "photos/methods.json", "groups/methods.json"}
    assert used | methods == set(vk_schema.schema_files())  # and nothing more is copied


GAP_EXAMPLES = {  # what VK really sends or takes, which the unpatched schema rejects
    "no message_event type": ("callback/objects.json#/definitions/callback_base",
                              {"type": "message_event", "group_id": 77, "event_id": "e1", "v": "5.199"}),
    "payload typed as a string": ("callback/objects.json#/definitions/callback_message_event",
                                  {"user_id": 5, "peer_id": 5, "event_id": "x", "payload": {"p": "g.menu"}}),
    "no secondary colour": (KEYBOARD, {"one_time": False, "inline": True, "buttons": [[{
        "action": {"type": "callback", "label": "Назад", "payload": '{"p":"g.back"}'}, "color": "secondary"}]]}),
    "no typing state": ("callback/objects.json#/definitions/callback_message_typing_state",
                        {"state": "typing", "from_id": 5, "to_id": -77}),
    "inner_type required": ("base/objects.json#/definitions/base_error",
                            {"error_code": 5, "error_msg": "User authorization failed", "request_params": []}),
}


@pytest.mark.parametrize("gap", vk_schema.GAPS, ids=lambda g: g.why)
def test_each_gap_is_still_wrong_in_the_schema(gap: vk_schema.Gap) -> None:
    ref, instance = GAP_EXAMPLES[gap.why]
    assert vk_schema.problems(instance, ref, patched=False) != []  # else the patch is no longer needed
    assert vk_schema.problems(instance, ref) == []


async def test_upload_answers_are_valid(fake_vk: FakeVk, caller: VkCaller) -> None:
    """docs.save, photos.getMessagesUploadServer and photos.saveMessagesPhoto used to answer bodies
    the schema rejects (no date, ext, size, type, user_id, album_id, has_tags)."""
    await upload(caller, 5, Document("справка.pdf", b"%PDF-1.4 test", "application/pdf"))
    await upload(caller, 5, Document("скан.jpg", sample_image(), "image/jpeg"), "photo")
    for method in ("docs.getMessagesUploadServer", "docs.save", "photos.getMessagesUploadServer",
                   "photos.saveMessagesPhoto"):
        [call] = fake_vk.calls_of(method)
        spec = vk_schema.method(method)
        assert spec is not None and "response" in call.answer
        assert vk_schema.response_problems(spec, call.answer) == []


async def test_long_poll_events_are_valid(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    user = vk_bot.user(505)
    await user.say("привет")
    await user.press("Аттестация")
    await user.say("", attachments=[fake_vk.client_photo(505), fake_vk.client_doc(505, "резюме.docx", b"PK\x03\x04")])
    await user.say("", geo={"type": "point", "coordinates": {"latitude": 59.9, "longitude": 30.3}})
    await vk_bot.handled(fake_vk.push_message(505, "[club77|@consult] привет", peer_id=2_000_000_001))
    kinds = [update["type"] for _, update in fake_vk.events]
    assert kinds.count("message_new") == 4 and "message_event" in kinds
    for _, update in fake_vk.events:
        assert vk_schema.event_problems(update) == []
        if update["type"] == "message_new":
            assert isinstance(update["object"]["message"]["version"], int)


@pytest.mark.parametrize("keyboard", [
    "{not json",
    json.dumps({"one_time": False}),  # no buttons
    json.dumps({"one_time": False, "buttons": [[{"action": {"type": "button", "label": "x"}}]]}),
    json.dumps({"one_time": False, "buttons": [[{"action": {"type": "callback", "label": "x"}, "color": "blue"}]]}),
    json.dumps({"one_time": False, "inline": True, "buttons": [[{"action": {"type": "callback", "label": str(i)}}]
                                                               for i in range(7)]}),  # 7 rows inline
    json.dumps({"one_time": False, "inline": True, "buttons": [
        [{"action": {"type": "callback", "label": f"{r}{i}"}} for i in range(4)] for r in range(3)]}),  # 12 buttons
    json.dumps({"one_time": False, "buttons": [[{"action": {"type": "text", "label": str(i)}} for i in range(6)]]}),
    json.dumps({"one_time": False, "buttons": [[{"action": {"type": "text", "label": "я" * 41}}]]}),
    json.dumps({"one_time": False, "buttons": [[{"action": {"type": "callback", "label": "x",
                                                            "payload": json.dumps({"p": "y" * 250})}}]]}),
    json.dumps({"one_time": False, "buttons": [[{"action": {"type": "callback", "label": "x", "payload": "{p"}}]]}),
    json.dumps({"one_time": False, "buttons": [[{"action": {"type": "open_link", "label": "x", "link": "tel:1"}}]]}),
], ids=["not-json", "no-buttons", "unknown-action", "colour", "7-rows", "12-buttons", "6-in-a-row", "label-41",
        "payload-256", "payload-not-json", "link-not-web"])
async def test_a_malformed_keyboard_gets_vk_error_911(fake_vk: FakeVk, keyboard: str) -> None:
    response = await asyncio.to_thread(fake_vk.session().post, f"{API_HOST}/method/messages.send", data={
        "access_token": fake_vk.token, "v": "5.199", "peer_id": 5, "random_id": 1, "message": "x",
        "keyboard": keyboard}, timeout=5)
    assert response.status_code == 200  # VK answers errors in JSON, never with a bare HTTP 500
    error = response.json()["error"]
    assert (error["error_code"], error["error_msg"]) == (911, "Keyboard format is invalid")
    assert {"key": "method", "value": "messages.send"} in error["request_params"]
    assert fake_vk.sent == [] and fake_vk.refused == [("messages.send", 911, "Keyboard format is invalid")]
    fake_vk.refused.clear()


async def test_messages_send_is_checked_like_vk(fake_vk: FakeVk, caller: VkCaller) -> None:
    async def code(**params: object) -> int | None:
        try:
            await caller.call("messages.send", {"peer_id": 5, "random_id": 7, **params})
        except VkCallError as exc:
            return exc.code
        return None

    assert await code(message="я" * 9000) is None  # dev.vk.com and the schema: up to 9000 characters
    assert await code(message="я" * 9001) == 914
    assert await code(message="") == 100  # no text and no attachment
    assert await code(message="x", peer_id="пять") == 100
    assert await code(message="x", lat=91, long=30) == 100
    assert await code(message="x", attachment="photo5_999999_key") == 100  # no such photo
    assert await code(message="x", forward=json.dumps({"peer_id": "chat"})) == 100
    fake_vk.bot_features = False  # keyboards are a feature of bots, switched on in the community
    keyboard = json.dumps({"one_time": False, "inline": True, "buttons": []})
    assert await code(message="x", keyboard=keyboard) == 912
    response = await asyncio.to_thread(fake_vk.session().post, f"{API_HOST}/method/messages.send", data={
        "access_token": fake_vk.token, "v": "5.199", "peer_id": 5, "message": "x"}, timeout=5)
    assert response.json()["error"]["error_code"] == 100  # random_id is required since 5.90
    assert [c for _, c, _ in fake_vk.refused] == [914, 100, 100, 100, 100, 100, 100]
    fake_vk.refused.clear()
    assert [m.text for m in fake_vk.sent] == ["я" * 9000]


def test_keyboards_the_bot_draws_fit_vk() -> None:
    options = [Button(f"Вариант ответа номер {i} с очень длинным названием (с пояснением)", payload=f"o.{i}")
               for i in range(12)]
    nav = [Button("Назад", payload="g.back"), Button("Главное меню", payload="g.menu")]
    links = [Button("Сайт", url="https://lenobl.ru"), Button("Написать", url="https://vk.me/club77"),
             Button("Позвонить", url="tel:+78125394666")]
    replies = [Reply("меню", buttons=[[b] for b in options[:n]] + [nav]) for n in (1, 4, 8, 9, 12)]
    replies += [Reply("ссылки", buttons=[links, nav]), Reply("в ряд", buttons=[options[:7]]),
                Reply("много ссылок", buttons=[[Button(str(i), url=f"https://lenobl.ru/{i}")] for i in range(11)])]
    drawn = 0
    for reply in replies:
        for caps in (ClientCaps(), ClientCaps(inline=False), ClientCaps(callback=False)):
            for message in render(reply, caps):
                if message.keyboard:
                    keyboard = json.loads(message.keyboard)
                    assert vk_schema.problems(keyboard, KEYBOARD) == [], reply.text
                    assert keyboard_fault(keyboard) is None, reply.text
                    drawn += 1
    assert drawn == len(replies) - 1  # one each where the app can show one; 11 links all go into the text

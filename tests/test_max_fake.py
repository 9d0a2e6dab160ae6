"""The fake MAX API refuses what MAX refuses and answers as MAX's description says, over real HTTP."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests import max_schema
from tests.fake_max_api import FakeMax

pytest_plugins = ["tests.max_fixtures"]  # fake_max


async def _raw(fake: FakeMax, method: str, path: str, *, headers: dict[str, str] | None = None,
               params: dict[str, str] | None = None, body: object = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s, s.request(method, fake.base_url + path, headers=headers,
                                                       params=params, json=body) as r:
        return r.status, await r.json()


async def test_a_call_without_the_authorization_header_is_refused(fake_max: FakeMax) -> None:
    status, body = await _raw(fake_max, "GET", "/me", params={"access_token": fake_max.token})
    assert (status, body["code"]) == (401, "verify.token")  # the token in the query is no longer taken
    status, body = await _raw(fake_max, "GET", "/me", headers={"Authorization": "wrong"})
    assert (status, body["code"]) == (401, "verify.token")
    status, body = await _raw(fake_max, "GET", "/me", headers={"Authorization": fake_max.token})
    assert status == 200 and body["username"] == "consult_bot"
    # the description agrees: the first call had no token where MAX wants it
    assert any("Security" in v for v in fake_max.violations)
    fake_max.violations.clear()


@pytest.mark.parametrize(("body", "code"), [
    ({"text": "я" * 4001}, "errors.text.too.long"),
    ({"text": "x", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [
        [{"type": "callback", "text": str(i), "payload": str(i)} for i in range(8)]]}}]}, "errors.keyboard.row"),
    ({"text": "x", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [
        [{"type": "link", "text": str(i), "url": "https://gov.ru"} for i in range(4)]]}}]}, "errors.keyboard.row"),
    ({"text": "x", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [
        [{"type": "callback", "text": "a", "payload": "p"}] for _ in range(31)]}}]}, "errors.keyboard.rows"),
    ({"text": "x", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [
        [{"type": "callback", "text": "a" * 129, "payload": "p"}]]}}]}, "errors.button.text"),
    ({"text": "x", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [
        [{"type": "callback", "text": "a", "payload": "p" * 1025}]]}}]}, "errors.button.payload"),
    ({"text": "x", "attachments": [{"type": "inline_keyboard", "payload": {"buttons": [
        [{"type": "link", "text": "a", "url": "javascript:alert(1)"}]]}}]}, "errors.button.url"),
    ({}, "errors.message.empty"),
])
async def test_messages_are_refused_as_max_refuses_them(fake_max: FakeMax, body: dict, code: str) -> None:
    chat = fake_max.dialog(5)
    status, answer = await _raw(fake_max, "POST", "/messages", headers={"Authorization": fake_max.token},
                                params={"chat_id": str(chat)}, body=body)
    assert (status, answer["code"]) == (400, code)
    assert fake_max.sent == []
    fake_max.violations.clear()  # the description refuses some of these too; that is not the point here


async def test_the_description_catches_what_the_fake_would_let_through() -> None:
    """The oracle itself can fail: a wrong field type, a button of an unknown type, a bad update."""
    errors = max_schema.request_errors("POST", "/messages", {"chat_id": "1"}, {"Authorization": "t"},
                                       json.dumps({"text": 5}).encode(), "application/json")
    assert errors and "text" in errors[0]
    errors = max_schema.request_errors("POST", "/messages", {"chat_id": "1"}, {"Authorization": "t"}, json.dumps(
        {"attachments": [{"type": "inline_keyboard", "payload": {"buttons": [[{"type": "nope", "text": "a"}]]}}]}
    ).encode(), "application/json")
    assert errors and "nope" in errors[0]
    assert max_schema.schema_errors("Update", {"update_type": "message_created", "timestamp": 1}) \
        == [".: 'message' is a required property"]
    assert max_schema.schema_errors("Update", {"update_type": "bot_started", "timestamp": 1, "chat_id": 1,
                                               "user": {"user_id": 1}}) != []

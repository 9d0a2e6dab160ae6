"""Updates pushed by the fake MAX API to a webhook over HTTP: subscribed with a secret, checked in
``X-Max-Bot-Api-Secret``, answered 200 at once; a forged request is refused; polling mode first
drops the subscriptions, without which MAX gives long polls nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.channels.max import webhook
from bot.channels.max.api import MaxApi, MaxApiError
from bot.channels.max.events import parse_update
from bot.channels.max.types import Update
from tests.fake_max_api import FakeMax

pytest_plugins = ["tests.max_fixtures"]  # fake_max, max_api

SECRET = "s3cret_for-tests"


class Endpoint:
    """The bot's webhook server: the handler under test, queueing what it accepts."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[Update] = asyncio.Queue()
        self.url = ""
        self.runner: web.AppRunner | None = None

    async def accept(self, update: Update) -> bool:
        await self.received.put(update)
        return True

    async def start(self, secret: str) -> Endpoint:
        app = web.Application()
        app.router.add_post("/max/webhook", webhook.handler(secret, self.accept))
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/max/webhook"
        return self

    async def next(self) -> Update:
        return await asyncio.wait_for(self.received.get(), 5)


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    end = await Endpoint().start(SECRET)
    yield end
    assert end.runner is not None
    await end.runner.cleanup()


async def test_updates_arrive_with_the_secret_and_are_acknowledged(fake_max: FakeMax, max_api: MaxApi,
                                                                   endpoint: Endpoint) -> None:
    assert await webhook.subscribe(max_api, endpoint.url, SECRET) == []
    fake_max.begin(7, payload="awards")
    fake_max.write(7, "Как получить почётную грамоту?")
    started, asked = await endpoint.next(), await endpoint.next()
    assert parse_update(started).start_payload == "awards"
    event = parse_update(asked).event
    assert event is not None and event.text == "Как получить почётную грамоту?"
    await asyncio.sleep(0.05)
    assert [status for _, _, status in fake_max.deliveries] == [200, 200]


async def test_a_request_without_the_right_secret_is_refused(endpoint: Endpoint) -> None:
    update = {"update_type": "bot_started", "timestamp": 1, "chat_id": 1, "user": {"user_id": 1}}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Max-Bot-Api-Secret": "guess"}):
            async with http.post(endpoint.url, json=update, headers=headers) as resp:
                assert resp.status == 401
        async with http.post(endpoint.url, data=b"not json", headers={"X-Max-Bot-Api-Secret": SECRET}) as resp:
            assert resp.status == 400
    assert endpoint.received.empty()


async def test_max_tries_again_until_the_secret_matches(fake_max: FakeMax, max_api: MaxApi,
                                                        endpoint: Endpoint) -> None:
    """A subscription with an old secret gets 401s; MAX keeps the update and delivers it later."""
    await max_api.subscribe(endpoint.url, secret="old-secret-value")
    fake_max.write(7, "вопрос")
    await asyncio.sleep(0.2)
    assert endpoint.received.empty() and {s for _, _, s in fake_max.deliveries} == {401}
    await webhook.subscribe(max_api, endpoint.url, SECRET)  # the bot starts with the new secret
    fake_max.write(7, "ещё вопрос")
    assert parse_update(await endpoint.next()).event.text == "вопрос"  # type: ignore[union-attr]
    assert parse_update(await endpoint.next()).event.text == "ещё вопрос"  # type: ignore[union-attr]


async def test_subscribing_drops_subscriptions_to_other_addresses(fake_max: FakeMax, max_api: MaxApi,
                                                                  endpoint: Endpoint) -> None:
    await max_api.subscribe("https://old-host.lenreg.ru/max/webhook", secret=SECRET)
    assert await webhook.subscribe(max_api, endpoint.url, SECRET) == ["https://old-host.lenreg.ru/max/webhook"]
    assert [s["url"] for s in await max_api.subscriptions()] == [endpoint.url]


async def test_polling_needs_the_subscriptions_gone(fake_max: FakeMax, max_api: MaxApi, endpoint: Endpoint) -> None:
    await webhook.subscribe(max_api, endpoint.url, SECRET)
    with pytest.raises(MaxApiError) as refused:
        await max_api.get_updates(timeout=0)
    assert refused.value.status == 405
    assert await webhook.unsubscribe_all(max_api) == [endpoint.url]
    fake_max.write(7, "вопрос")
    answer = await max_api.get_updates(timeout=0)
    assert [u["message"]["body"]["text"] for u in answer["updates"]] == ["вопрос"]  # type: ignore[index]


def test_a_secret_made_from_the_token_is_one_max_accepts() -> None:
    secret = webhook.derive_secret("max-token")
    assert webhook.valid_secret(secret) and secret == webhook.derive_secret("max-token")
    assert "max-token" not in secret and secret != webhook.derive_secret("other-token")
    assert not webhook.valid_secret("abc") and not webhook.valid_secret("with space")

"""The MAX channel when things go wrong, over real HTTP against the fake MAX API: a restart in the
middle (nothing lost, nothing answered twice) in both modes, MAX delivering an update again,
a commit too slow for MAX's patience, 429 and 5xx answers, a flood of presses, /healthz before MAX
answers, forged webhook requests, and the updates that are no conversation (the bot stopped,
started again, added to a group)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable

import aiohttp
import pytest

from bot.app import App
from bot.channels.max.channel import MaxChannel, run
from bot.channels.max.polling import stream_name
from bot.scheduler import JobRunner
from bot.settings import Settings
from bot.web_server import WebServer
from handlers import texts
from handlers.engine import Handled
from handlers.models import Event
from storage.clients import get_client, touch_client
from storage.positions import load_position, save_position
from tests.conftest import FakeClock
from tests.fake_max_api import FakeMax
from tests.max_harness import MaxBot, max_settings, wait_until
from tests.raw_http import raw_post
from tests.test_max_journeys import _book, until_confirmation

pytest_plugins = ["tests.max_fixtures"]  # fake_max, max_api

ANNA, BORIS = 7, 8
QUESTION = "как оформить наградной лист"
CONFIRM = "Правильно ли я понял"


def texts_to(fake: FakeMax, user: int) -> list[str]:
    return [m.text for m in fake.sent_to(fake.dialog(user))]


async def up(settings: Settings, clock: FakeClock, fake: FakeMax, **options: object) -> tuple[App, MaxBot]:
    app = await App.create(settings, clock=clock, migrate=False)
    return app, await MaxBot(app, fake, **options).start()  # type: ignore[arg-type]


async def down(app: App, bot: MaxBot) -> None:
    await bot.close()
    await app.close()


# --------------------------------------------------------------------------- restarts
async def test_polling_after_a_restart_answers_what_was_written_meanwhile_once(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    s = max_settings(settings, fake_max, "polling")
    app, bot = await up(s, clock, fake_max)
    await bot.person(ANNA).begin()
    await down(app, bot)
    # the bot is down (an update, a crash); people go on writing
    fake_max.write(ANNA, QUESTION)
    fake_max.begin(BORIS)
    app, bot = await up(s, clock, fake_max)
    try:
        await bot.settled()
        anna, boris = texts_to(fake_max, ANNA), texts_to(fake_max, BORIS)
        assert sum(CONFIRM in t for t in anna) == 1
        assert sum(t.startswith("Здравствуйте!") for t in boris) == 1
    finally:
        await down(app, bot)


async def test_polling_crash_before_the_marker_was_saved_answers_nothing_twice(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    s = max_settings(settings, fake_max, "polling")
    app, bot = await up(s, clock, fake_max)
    stream = stream_name(fake_max.bot["user_id"])
    anna = bot.person(ANNA)
    await anna.begin()
    before = await load_position(app.services.db, stream)
    assert CONFIRM in (await anna.say(QUESTION)).text
    shown = len(fake_max.sent_to(anna.chat))
    # The process dies after the answer's commit and before the new marker is written.
    await save_position(app.services.db, stream, str(before), clock())
    await down(app, bot)
    app, bot = await up(s, clock, fake_max)
    try:
        def fetched() -> list[int]:  # long polls from the old marker that gave something
            return [c.status for c in fake_max.calls_to("GET", "/updates") if c.query.get("marker") == before]

        await wait_until(lambda: len(fetched()) == 2, what="the long poll from the old marker")
        for _ in range(500):  # the repeat taken: the marker moves on
            if await load_position(app.services.db, stream) != before:
                break
            await asyncio.sleep(0.01)
        await wait_until(bot.idle, what="idle")
        # MAX gave the answered update again after the restart, and it was not answered again
        assert len(fake_max.sent_to(anna.chat)) == shown
        saved = await load_position(app.services.db, stream)
        assert saved is not None and before is not None and int(saved) > int(before)
    finally:
        await down(app, bot)


async def test_webhook_while_the_bot_is_down_max_delivers_later_and_it_is_answered_once(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    fake_max.webhook_attempts = 400  # MAX tries for 8 hours; here every 50 ms
    s = max_settings(settings, fake_max, "webhook")
    app, bot = await up(s, clock, fake_max)
    await bot.person(ANNA).begin()
    await down(app, bot)
    fake_max.write(ANNA, QUESTION)
    number = len(fake_max.updates)
    await wait_until(lambda: any(n == number and status == 0 for _, n, status in fake_max.deliveries),
                     what="a failed delivery")
    app, bot = await up(s, clock, fake_max)
    try:
        await bot.settled(number)
        assert sum(CONFIRM in t for t in texts_to(fake_max, ANNA)) == 1
    finally:
        await down(app, bot)


async def test_webhook_an_update_delivered_again_is_answered_once(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    app, bot = await up(max_settings(settings, fake_max, "webhook"), clock, fake_max)
    try:
        anna = bot.person(ANNA)
        await anna.begin()
        await anna.say(QUESTION)
        shown = len(fake_max.sent_to(anna.chat))
        number = len(fake_max.updates)
        fake_max.deliver_again(number)  # the first 200 was lost on the way: MAX sends it once more
        await wait_until(lambda: [s for _, n, s in fake_max.deliveries if n == number] == [200, 200], what="again")
        await bot.settled(number)
        assert len(fake_max.sent_to(anna.chat)) == shown
    finally:
        await down(app, bot)


async def test_webhook_a_commit_slower_than_max_waits_is_not_answered_twice(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    """No 200 before the commit: MAX delivers the update again, which is recognised."""
    app, bot = await up(max_settings(settings, fake_max, "webhook"), clock, fake_max)
    try:
        anna = bot.person(ANNA)
        await anna.begin()
        assert bot.channel is not None
        bot.channel.commit_wait = 0.1
        handle = app.engine.handle
        slow = [True]

        async def slowly(event: Event) -> Handled:
            if slow and event.text == QUESTION:
                slow.clear()
                await asyncio.sleep(0.5)  # a busy database
            return await handle(event)

        app.engine.handle = slowly  # type: ignore[method-assign]
        fake_max.write(ANNA, QUESTION)
        number = len(fake_max.updates)
        await bot.settled(number)
        statuses = [s for _, n, s in fake_max.deliveries if n == number]
        assert statuses[0] == 503 and statuses[-1] == 200 and set(statuses) == {503, 200}
        assert sum(CONFIRM in t for t in texts_to(fake_max, ANNA)) == 1
    finally:
        await down(app, bot)


async def test_an_answer_max_did_not_take_waits_in_the_outbox_over_a_restart(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    s = max_settings(settings, fake_max, "webhook")
    app, bot = await up(s, clock, fake_max)
    anna = bot.person(ANNA)
    await until_confirmation(anna)
    shown = len(anna.received())
    fake_max.fail("POST", "/messages", 503, times=10_000)  # MAX is down for sending
    await anna.press(texts.BTN_VISITS_BOOK)  # the booking commits; its messages do not get through
    assert len(anna.received()) == shown
    await down(app, bot)
    fake_max.failures.clear()  # MAX is back
    app, bot = await up(s, clock, fake_max)
    try:
        clock.advance(minutes=1)
        await JobRunner(app, worker="test").run_due()
        after = [m.text for m in anna.received()[shown:]]
        assert sum(t.startswith("Вы записаны на личный приём.") for t in after) == 1
        assert sum(m.of_type("file") != [] for m in anna.received()) == 1  # the .ics once
    finally:
        await down(app, bot)


# --------------------------------------------------------------------------- MAX's refusals
@pytest.mark.parametrize("mode", ["webhook", "polling"])
async def test_429_and_server_errors_are_waited_out_and_nothing_is_lost_or_doubled(
        settings: Settings, clock: FakeClock, fake_max: FakeMax, mode: str) -> None:
    app, bot = await up(max_settings(settings, fake_max, mode), clock, fake_max)
    try:
        anna = bot.person(ANNA)
        fake_max.fail("POST", "/messages", 429, retry_after=0.2)
        fake_max.fail("POST", "/messages", 503, times=2)
        greeting, menu = (await anna.begin()).messages
        assert greeting.text.startswith("Здравствуйте!") and menu.labels
        fake_max.fail("POST", "/answers", 502)
        screen = await anna.press("Аттестация")
        assert [m.mid for m in screen.messages] == [menu.mid] and "Аттестация" in screen.text
        statuses = [c.status for c in fake_max.calls_to("POST", "/messages")]
        assert statuses[:4] == [429, 503, 503, 200] and statuses.count(200) == 2  # each message once
        assert [c.status for c in fake_max.calls_to("POST", "/answers")] == [502, 200]
        assert len(fake_max.sent_to(anna.chat)) == 2
    finally:
        await down(app, bot)


async def test_with_max_s_own_limits_a_booking_meets_no_429(settings: Settings, clock: FakeClock,
                                                            fake_max: FakeMax) -> None:
    """2 messages a second in a chat, in the fake as at MAX: the confirmation, the place and the
    .ics of a booking go out paced."""
    app, bot = await up(max_settings(settings, fake_max, "polling"), clock, fake_max, fast=False)
    try:
        messages = await _book(bot.person(ANNA))
        assert len(messages) == 4 and fake_max.refused_429 == 0
        gaps = [b.at - a.at for a, b in itertools.pairwise(messages)]
        assert min(gaps) >= 0.45, gaps
    finally:
        await down(app, bot)


async def test_a_flood_of_presses_is_told_once_on_the_button(settings: Settings, clock: FakeClock,
                                                            fake_max: FakeMax) -> None:
    app, bot = await up(max_settings(settings, fake_max, "webhook", flood_burst=3), clock, fake_max)
    try:
        anna = bot.person(ANNA)
        menu = (await anna.begin()).messages[-1]
        attestation = menu.button("Аттестация")["payload"]
        for _ in range(6):
            await anna.press_payload(menu.mid, attestation)
        notices = [body for _, body in fake_max.answers if body.get("notification")]
        assert notices == [{"notification": texts.FLOOD}]
    finally:
        await down(app, bot)


# --------------------------------------------------------------------------- the web server
async def test_healthz_answers_before_max_does_and_an_early_update_waits_for_the_channel(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    s = max_settings(settings, fake_max, "webhook")
    app = await App.create(s, clock=clock, migrate=False)
    bot = MaxBot(app, fake_max)
    # Left from the last run: MAX posts at once what people write, before the bot knows itself.
    await bot.api.subscribe(f"{s.max_webhook_url}/max/webhook", secret="test_secret-1")
    fake_max.fail("GET", "/me", 503, delay=1.0)
    server = WebServer(app)
    await server.start()
    app.web = server
    task = asyncio.create_task(run(app, bot.stop, api=bot.api))
    try:
        fake_max.begin(ANNA)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{s.http_port}/healthz") as resp:
                health = await resp.json()
        assert resp.status == 200 and health["database"] == "ok"
        assert health["channels"] == {"max": {"configured": True, "connected": False}}
        await wait_until(lambda: "max" in app.channels and app.channels["max"].connected, what="MAX")
        await wait_until(lambda: bool(texts_to(fake_max, ANNA)), what="the early update answered")
        assert [s for _, n, s in fake_max.deliveries if n == 1] == [200]  # it waited, not refused
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{s.http_port}/healthz") as resp:
                health = await resp.json()
        assert health["channels"]["max"] == {"configured": True, "connected": True, "mode": "webhook"}
    finally:
        bot.stop.set()
        await asyncio.wait_for(task, 10)
        await server.close()
        await bot.api.close()
        await app.close()


async def test_forged_webhook_requests_are_refused_with_401(settings: Settings, clock: FakeClock,
                                                            fake_max: FakeMax) -> None:
    app, bot = await up(max_settings(settings, fake_max, "webhook"), clock, fake_max)
    try:
        port = app.settings.http_port
        update = (b'{"update_type":"bot_started","timestamp":1,"chat_id":80000001,'
                  b'"user":{"user_id":7,"first_name":"X","is_bot":false,"last_activity_time":1}}')
        name = b"X-Max-Bot-Api-Secret: "
        for header in (b"", name + b"guess\r\n", name + b"test_secret-\xff\r\n",  # bytes that are no text
                       name + "При".encode() + b"\r\n", name + b"test_secret-1x\r\n"):
            assert await raw_post(port, "/max/webhook", header, update) == 401, header
        assert await raw_post(port, "/max/webhook", b"X-Max-Bot-Api-Secret: test_secret-1\r\n", b"{nope") == 400
        await asyncio.sleep(0.1)
        assert fake_max.sent == []  # nothing was answered
    finally:
        await down(app, bot)


# --------------------------------------------------------------------------- no conversation
async def test_a_person_who_stops_the_bot_is_unreachable_until_he_starts_it_again(
        settings: Settings, clock: FakeClock, fake_max: FakeMax) -> None:
    app, bot = await up(max_settings(settings, fake_max, "polling"), clock, fake_max)
    try:
        anna = bot.person(ANNA)
        await anna.begin()
        await touch_client(app.services.db, "max", str(ANNA), str(anna.chat), clock())  # a client of the line
        client = await get_client(app.services.db, "max", str(ANNA))
        assert client is not None and not client.unreachable
        fake_max.stop_bot(ANNA)
        await bot.settled()
        client = await get_client(app.services.db, "max", str(ANNA))
        assert client is not None and client.unreachable
        again = await anna.begin()
        assert again.messages[0].text.startswith("Здравствуйте!")
        client = await get_client(app.services.db, "max", str(ANNA))
        assert client is not None and not client.unreachable
    finally:
        await down(app, bot)


async def test_a_group_the_bot_is_added_to_is_logged_by_its_id_only(
        settings: Settings, clock: FakeClock, fake_max: FakeMax, caplog: pytest.LogCaptureFixture) -> None:
    app, bot = await up(max_settings(settings, fake_max, "webhook"), clock, fake_max)
    try:
        with caplog.at_level(logging.INFO, logger="bot.channels.max.channel"):
            chat = fake_max.add_bot(9001, "Кадры — рабочий чат", read_all=False)
            await bot.settled()
        [line] = [r.getMessage() for r in caplog.records if "added to group chat" in r.getMessage()]
        assert f"STAFF_CHATS=<department>=max:{chat}" in line and "Читать все сообщения" in line
        assert "Кадры" not in line and "Иван" not in line and "9001" not in line  # no names, no people
        assert fake_max.sent == []
    finally:
        await down(app, bot)


async def test_start_up_says_which_staff_chat_the_bot_cannot_read(
        settings: Settings, clock: FakeClock, fake_max: FakeMax, caplog: pytest.LogCaptureFixture) -> None:
    blind, seeing = fake_max.group("Награды", read_all=False), fake_max.group("Кадры")
    configured = max_settings(settings, fake_max, "polling").model_copy(
        update={"staff_chats": f"awards=max:{blind};personnel=max:{seeing}"})
    app = await App.create(configured, clock=clock, migrate=False)
    try:
        with caplog.at_level(logging.ERROR):
            bot = await MaxBot(app, fake_max).start()
        problems = [r.getMessage() for r in caplog.records if "staff chat" in r.getMessage()]
        assert len(problems) == 1 and str(blind) in problems[0] and "Читать все сообщения" in problems[0]
        assert isinstance(bot.channel, MaxChannel) and await bot.channel.check_staff_chats() == [blind]
        await bot.close()
    finally:
        await app.close()


@pytest.mark.parametrize(("change", "expected"), [
    ({"max_mode": "webhook", "max_webhook_url": None}, "MAX_MODE=webhook needs MAX_WEBHOOK_URL"),
    ({"max_token": "revoked"}, "MAX does not accept MAX_TOKEN"),
])
async def test_what_cannot_work_is_said_and_not_restarted(
        settings: Settings, clock: FakeClock, fake_max: FakeMax, caplog: pytest.LogCaptureFixture,
        change: dict[str, object], expected: str) -> None:
    app = await App.create(max_settings(settings, fake_max, "polling", **change), clock=clock, migrate=False)
    bot = MaxBot(app, fake_max)
    if "max_token" in change:
        await bot.api.close()
        bot.api = type(bot.api)("revoked", fake_max.base_url)
    try:
        run_once: Callable[[], Awaitable[None]] = lambda: run(app, asyncio.Event(), api=bot.api)  # noqa: E731
        await asyncio.wait_for(run_once(), 5)  # returns: the supervisor does not restart it
        assert expected in caplog.text
        assert "max" not in app.channels
    finally:
        await bot.api.close()
        await app.close()


def test_max_is_a_channel_of_the_registry_configured_by_its_token() -> None:
    from bot.channels.registry import channel_main, configured_channels
    from bot.runner import no_channels_text

    assert "max" in configured_channels(Settings(_env_file=None, max_token="t"))  # type: ignore[call-arg]
    assert "max" not in configured_channels(Settings(_env_file=None))  # type: ignore[call-arg]
    assert channel_main("max") is run
    assert "MAX_TOKEN=" in no_channels_text()

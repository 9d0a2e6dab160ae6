"""``consult-bot run`` with VK: the channel starts from settings, a failing channel is restarted
and never takes the other channel down."""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
from pathlib import Path

import pytest

from bot import runner
from bot.app import App
from bot.channels.vk import VkChannel, run_vk
from bot.channels.vk.api_pool import VkConfig
from bot.settings import Settings
from handlers.models import Address, Outgoing, Reply
from tests.fake_vk_api import FakeVk
from tests.vk_harness import fast_config, wait_until

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot


def test_vk_is_configured_by_token_and_group(tmp_path: Path) -> None:
    assert "vk" not in runner.configured_channels(Settings(_env_file=None))  # type: ignore[call-arg]
    settings = Settings(_env_file=None, vk_token="secret", vk_group_id=77, vk_api_rps=10,  # type: ignore[call-arg]
                        vk_wait=30)
    assert "vk" in runner.configured_channels(settings) and runner.channel_main("vk") is run_vk
    config = VkConfig.from_settings(settings)
    assert (config.token, config.group_id, config.rps, config.wait) == ("secret", 77, 10, 30)


async def test_failing_vk_is_restarted_while_the_other_channel_keeps_working(
        app: App, fake_vk: FakeVk, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    fake_vk.fail_next("groups.getLongPollServer", 5)  # the first start: the token is refused
    stop = asyncio.Event()
    beats = 0

    async def other_channel(app: App, stop: asyncio.Event) -> None:  # e.g. Telegram
        nonlocal beats
        while not stop.is_set():
            beats += 1
            await asyncio.sleep(0.01)

    vk_main = functools.partial(run_vk, config=fast_config(fake_vk), session_factory=fake_vk.session)
    supervised = asyncio.gather(runner.supervise("vk", vk_main, app, stop),
                                runner.supervise("telegram", other_channel, app, stop))
    await wait_until(lambda: "channel vk failed; restarting in 1 s" in caplog.text, what="the failure report")
    beats_at_failure = beats
    await wait_until(lambda: len(fake_vk.calls_of("groups.getLongPollServer")) == 2 and "vk" in app.channels,
                     limit=5, what="the restart")
    channel = app.channels["vk"]
    assert isinstance(channel, VkChannel)
    await wait_until(lambda: len(fake_vk.lp_requests) > 0, what="the long poll")
    event = fake_vk.push_message(901, "привет")
    await wait_until(lambda: event in channel.handled, what="the answer")
    assert "Здравствуйте" in fake_vk.sent_to(901)[0].text
    assert beats > beats_at_failure + 20  # the other channel went on all the time
    # a staff answer from another channel reaches the VK client through the app
    assert await app.deliver(Outgoing(Address("vk", "901", user_id="901"), Reply("Ответ специалиста")))
    stop.set()
    fake_vk.inject(("stall", 0))
    await asyncio.wait_for(supervised, 10)
    assert "vk" not in app.channels


async def test_a_channel_that_worked_long_restarts_after_a_short_pause(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(runner, "HEALTHY_RUN", 0.05)
    runs = 0
    stop = asyncio.Event()

    async def flaky(app: App, stop: asyncio.Event) -> None:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise RuntimeError("crash at once")
        if runs == 2:
            await asyncio.sleep(0.1)  # worked for a while
            raise RuntimeError("crash after working")
        stop.set()

    await asyncio.wait_for(runner.supervise("vk", flaky, None, stop), 10)  # type: ignore[arg-type]
    assert runs == 3
    assert caplog.text.count("restarting in 1 s") == 2  # not 2 s after the second failure


async def test_run_logs_the_staff_warnings_of_check_config_once(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    """`consult-bot run` says at start what check-config says: here, departments with no staff
    destination and a destination on a channel this deployment has no settings for."""
    values = settings.model_dump()
    values.update(vk_token="vk1.a.token", vk_group_id=77, staff_chats="personnel=vk:2000000001;awards=telegram:-1002",
                  survey_salt="a-long-random-salt-of-forty-characters-x")
    vk_only = Settings(_env_file=None, **values)  # type: ignore[call-arg]

    async def at_once(app: App, stop: asyncio.Event) -> None:
        return None  # the channel stops at once: run ends

    monkeypatch.setattr(runner, "channel_main", lambda name: at_once)
    caplog.set_level(logging.WARNING, logger="bot.runner")
    try:
        assert await runner.run_channels(vk_only) == 0
    finally:
        gc.unfreeze()  # run freezes what start-up built; not in the tests' process
    said = [r.getMessage() for r in caplog.records if r.name == "bot.runner"]
    assert any(m.startswith("configuration: ") and "departments.selection: у отдела нет адреса для сотрудников" in m
               for m in said)
    assert sum("departments.awards: адрес telegram:-1002 — канал «Telegram» в этом развёртывании не настроен" in m
               for m in said) == 1
    assert not any("departments.personnel" in m for m in said)

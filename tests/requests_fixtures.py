"""Fixtures of the written-request tests (load with ``pytest_plugins = ["tests.requests_fixtures"]``):
an app with staff chats and a department head, a recording Telegram-like channel, a job runner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import App
from bot.scheduler import JobRunner
from bot.settings import Settings
from tests.conftest import FakeClock
from tests.requests_helpers import RecordingChannel, staff_settings


@pytest.fixture
async def staff_app(settings: Settings, clock: FakeClock) -> AsyncIterator[App]:
    """The app with staff chats for the personnel and awards departments and a department head."""
    app = await App.create(staff_settings(settings), clock=clock, migrate=False)
    yield app
    await app.close()


@pytest.fixture
def tg(staff_app: App) -> RecordingChannel:
    channel = RecordingChannel(staff_app)
    return channel


@pytest.fixture
def runner(staff_app: App) -> JobRunner:
    return JobRunner(staff_app, worker="test")

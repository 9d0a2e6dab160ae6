"""Fixtures of the MAX tests: ``fake_max`` (the fake MAX Bot API over HTTP) and ``max_api`` (our
client pointed at it). Test modules load them with ``pytest_plugins = ["tests.max_fixtures"]``.

Every request, answer and update of a test is checked against MAX's published description: a test
that leaves a violation fails (one that provokes them on purpose clears ``fake_max.violations``)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.channels.max.api import MaxApi
from tests.fake_max_api import FakeMax


@pytest.fixture
async def fake_max() -> AsyncIterator[FakeMax]:
    fake = await FakeMax().start()
    yield fake
    await fake.stop()
    assert fake.violations == [], "the MAX API description is not kept:\n" + "\n".join(fake.violations)


@pytest.fixture
async def max_api(fake_max: FakeMax) -> AsyncIterator[MaxApi]:
    api = fast_api(fake_max)
    yield api
    await api.close()


def fast_api(fake: FakeMax, **options: object) -> MaxApi:
    """The client with short retry pauses (the limits of MAX are kept as they are)."""
    settings: dict = {"retry_delay": 0.05, "ready_delays": (0.1, 0.2, 0.4, 0.8)} | options
    return MaxApi(fake.token, fake.base_url, **settings)

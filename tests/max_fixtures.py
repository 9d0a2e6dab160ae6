"""Fixtures of the MAX tests: ``fake_max`` (the fake MAX Bot API over HTTP) and ``max_api`` (our
client pointed at it). Test modules load them with ``pytest_plugins = ["tests.max_fixtures"]``.

Every request, answer and update of a test is checked against MAX's published description: a test
that leaves a violation fails (one that provokes them on purpose clears ``fake_max.violations``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

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
async def make_api(fake_max: FakeMax) -> AsyncIterator[Callable[..., MaxApi]]:
    """Clients of the fake with short retry pauses (MAX's limits are kept as they are); options
    override the defaults. Closed at the end of the test."""
    made: list[MaxApi] = []

    def make(**options: Any) -> MaxApi:
        settings: dict[str, Any] = {"retry_delay": 0.05, "ready_delays": (0.1, 0.2, 0.4, 0.8)} | options
        made.append(MaxApi(settings.pop("token", fake_max.token), settings.pop("base_url", fake_max.base_url),
                           **settings))
        return made[-1]

    yield make
    for api in made:
        await api.close()


@pytest.fixture
def max_api(make_api: Callable[..., MaxApi]) -> MaxApi:
    return make_api()

"""Long polling of the fake MAX API from a marker saved in the database (SQLite and PostgreSQL):
messages written while the bot was down are received after a restart, an answered batch is not
received again, an unanswered one is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from bot.channels.max.api import MaxApi, MaxApiError
from bot.channels.max.polling import Poller, stream_name
from bot.channels.max.types import Update
from bot.channels.position import ReadPosition
from storage.db import Database
from tests.conftest import FakeClock
from tests.fake_max_api import FakeMax

pytest_plugins = ["tests.max_fixtures"]  # fake_max, max_api, make_api


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    yield database
    await database.close()


def texts(updates: list[Update]) -> list[str | None]:
    return [u["message"]["body"]["text"] for u in updates]  # type: ignore[index]


async def started(api: MaxApi, db: Database, clock: FakeClock, **options: object) -> Poller:
    """The polling part of a bot that (re)starts: the marker comes from the database."""
    poller = Poller(api, ReadPosition(db, stream_name(900_001), clock), timeout=1, **options)  # type: ignore[arg-type]
    await poller.load()
    return poller


async def answer_all(poller: Poller, updates: list[Update]) -> None:
    for update in updates:
        poller.answered(update)
    await poller.position.save()


async def test_messages_written_while_the_bot_was_down_are_received_after_a_restart(
        fake_max: FakeMax, max_api: MaxApi, db: Database, clock: FakeClock) -> None:
    first = await started(max_api, db, clock)
    assert first.marker is None  # the very first start: MAX gives its newest update
    fake_max.write(7, "Здравствуйте")
    batch = await first.batch()
    assert texts(batch) == ["Здравствуйте"]
    await answer_all(first, batch)
    # the bot is down; people go on writing
    fake_max.write(7, "Как записаться на приём?")
    fake_max.write(8, "Нужна справка")
    again = await started(max_api, db, clock)
    assert again.marker == first.marker
    assert texts(await again.batch()) == ["Как записаться на приём?", "Нужна справка"]


async def test_without_the_saved_marker_those_messages_would_be_lost(
        fake_max: FakeMax, max_api: MaxApi, db: Database, clock: FakeClock) -> None:
    """The control: what MAX does to a bot that forgets its marker."""
    fake_max.write(7, "первое")
    fake_max.write(8, "второе")
    forgetful = Poller(max_api, ReadPosition(db, "max:other", clock), timeout=1)
    assert texts(await forgetful.batch()) == ["второе"]


async def test_a_batch_not_answered_whole_comes_again_and_an_answered_one_does_not(
        fake_max: FakeMax, max_api: MaxApi, db: Database, clock: FakeClock) -> None:
    poller = await started(max_api, db, clock)
    fake_max.write(7, "начало")
    await answer_all(poller, await poller.batch())
    fake_max.write(7, "первый вопрос")
    fake_max.write(8, "второй вопрос")
    batch = await poller.batch()
    poller.answered(batch[1])  # the second person is answered, the first one's answer is under way: crash
    await poller.position.save()
    restarted = await started(max_api, db, clock)
    repeated = await restarted.batch()
    assert texts(repeated) == ["первый вопрос", "второй вопрос"]  # at least once; the key tells the repeat
    await answer_all(restarted, repeated)
    fake_max.write(7, "третий вопрос")
    assert texts(await (await started(max_api, db, clock)).batch()) == ["третий вопрос"]  # never twice


async def test_a_long_queue_comes_in_batches_of_a_hundred(
        fake_max: FakeMax, max_api: MaxApi, db: Database, clock: FakeClock) -> None:
    poller = await started(max_api, db, clock)
    fake_max.write(7, "0")
    await answer_all(poller, await poller.batch())
    for n in range(1, 151):
        fake_max.write(1000 + n, str(n))
    first, second = await poller.batch(), await poller.batch()
    assert (len(first), len(second)) == (100, 50)
    assert texts(first + second) == [str(n) for n in range(1, 151)]


async def test_server_trouble_is_waited_out_and_a_refused_token_is_not(
        fake_max: FakeMax, make_api: Callable[..., MaxApi], db: Database, clock: FakeClock) -> None:
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)

    poller = await started(make_api(), db, clock, sleep=sleep)
    fake_max.write(7, "вопрос")
    fake_max.fail("GET", "/updates", 503, times=2)
    assert texts(await poller.batch()) == ["вопрос"]
    assert pauses == [1.0, 2.0]
    refused = await started(make_api(token="revoked"), db, clock, sleep=sleep)
    with pytest.raises(MaxApiError) as error:
        await refused.batch()
    assert error.value.status == 401

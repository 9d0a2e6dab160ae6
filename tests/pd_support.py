"""The person of the personal-data tests and what he does: books a visit, writes a request with an
e-mail copy, gets the answer and answers the survey; and how to look for him in the database —
in the raw SQLite files (the database and its write-ahead log, byte by byte) or in every table of
PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

import storage.models  # noqa: F401  (every table on the metadata)
from bot.app import App
from bot.scheduler import JobRunner
from storage.base import Base
from storage.db import Database
from tests.conftest import FakeClock
from tests.requests_helpers import STAFF_CHAT, RecordingChannel, write_request

CLIENT = "5001"
STAFF = "9001"
NAME = "Пётр Сидоров"  # what write_request types
PHONE = "+79110001122"  # "+7 911 000-11-22" as stored
EMAIL = "petr.sidorov@example.ru"
TEXT = "Прошу выдать справку о стаже работы в отделе кадров для оформления пенсии."
SECOND_TEXT = "Прошу дополнительно выдать копию приказа о переводе на должность ведущего специалиста."
SURVEY_ANSWERS = ("1", "1 2", "1", "1", "4", "ответ", "ответ", "5", "Ленинградская область")


def traces() -> dict[str, str]:
    """What must not be found once the person's data is gone: his name, phone, e-mail, texts."""
    return {"name": NAME, "surname": "Сидоров", "phone": PHONE, "phone digits": PHONE[2:], "e-mail": EMAIL,
            "request text": "справку о стаже работы в отделе кадров", "second text": "копию приказа о переводе"}


async def book_visit(ch: RecordingChannel, user: str = CLIENT) -> str:
    """A visit to the awards department on Thursday 19 March at 10:00; agrees to survey invitations."""
    await ch.send(user, "привет")
    await ch.send(user, "Личный приём")
    await ch.send(user, "Государственные награды")
    await ch.send(user, "Чт, 19 марта")
    await ch.send(user, "утро")
    consent = await ch.send(user, "10:00")
    assert "Согласие на обработку персональных данных: запись на личный приём" in consent
    await ch.send(user, "Согласен(на)")
    await ch.send(user, NAME)
    check = await ch.send(user, "+7 911 000-11-22")
    assert f"На чьё имя: {NAME}" in check
    done = await ch.send(user, "Записаться")
    assert "Вы записаны на личный приём" in done and "Можно прислать вам приглашение" in done
    return done + await ch.send(user, "Согласен(на)")


async def answer_survey(ch: RecordingChannel, user: str = CLIENT) -> str:
    """Press «Пройти опрос» of the invitation he got and answer every question."""
    take = ch.buttons(user)["Пройти опрос"]
    await ch.send(user, payload=take)
    await ch.send(user, "Начать опрос")
    answer = ""
    for text in SURVEY_ANSWERS:
        answer = await ch.send(user, text)
    assert answer.startswith("Опрос завершён."), answer
    return answer


async def live_a_little(ch: RecordingChannel, runner: JobRunner, clock: FakeClock) -> None:
    """Book, write a request with an e-mail copy (no mail server here: the copy fails and waits
    among the undelivered), get the answer, answer the invitation to the survey."""
    await book_visit(ch)
    confirmation = await write_request(ch, CLIENT, TEXT, extra="2", email=EMAIL)
    assert "Обращение №1 принято" in confirmation
    await ch.send(STAFF, "/answer 1 Справка готова, её можно получить в кабинете 210.", chat_id=STAFF_CHAT)
    await runner.run_due()
    clock.advance(hours=2)
    await runner.run_due()  # the invitation after the answer
    await answer_survey(ch)


def sqlite_files(app: App) -> list[Path]:
    path = Path(make_url(app.services.db.url).database or "")
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


def found_in_files(files: list[Path]) -> dict[str, list[str]]:
    """Each trace found in the raw bytes of the files (as UTF-8 text, or as a JSON column keeps it:
    Cyrillic escaped as \\uXXXX), with where."""
    found: dict[str, list[str]] = {}
    for what, value in traces().items():
        forms = {value.encode(), json.dumps(value)[1:-1].encode()}
        for path in files:
            data = path.read_bytes()
            if any(form in data for form in forms):
                found.setdefault(what, []).append(path.name)
    return found


async def found_in_tables(db: Database) -> dict[str, list[str]]:
    """Each trace found in any row of any table (PostgreSQL: what a copy of the tables shows)."""
    found: dict[str, list[str]] = {}
    for table in Base.metadata.sorted_tables:
        rows = "\n".join(repr(tuple(r)) for r in await db.rows(select(table)))
        for what, value in traces().items():
            if value in rows or json.dumps(value)[1:-1] in rows:
                found.setdefault(what, []).append(table.name)
    return found


async def leftovers(app: App) -> dict[str, list[str]]:
    """Where the person can still be found: the raw files on SQLite, the tables on both."""
    found = await found_in_tables(app.services.db)
    if app.services.db.is_sqlite:
        for what, where in found_in_files(sqlite_files(app)).items():
            found.setdefault(what, []).extend(where)
    return found

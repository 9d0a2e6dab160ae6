"""The survey stays anonymous against whoever holds a copy of the database: ``consult-bot run``
refuses the default or a short SURVEY_SALT (the demo makes its own and keeps it), and a copy of
the tables alone cannot tell which answers are whose."""

from __future__ import annotations

import os
import stat
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

import storage.models  # noqa: F401  (every table on the metadata)
from bot.app import App
from bot.cli import demo_salt, main
from bot.settings import Settings
from storage.base import Base
from storage.db import Database
from storage.survey import SurveyReceiptRow, SurveyResponseRow, anon_hash
from tests.conftest import ROOT
from tests.pd_support import SURVEY_ANSWERS
from tests.requests_helpers import RecordingChannel

PEOPLE = {"6001": "Всё понравилось, спасибо", "6002": "Долго ждал ответа", "6003": "Нужен сайт с вакансиями"}


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`consult-bot run` with a Telegram token (so that a channel would start) and no .env."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "VK_", "MAX_", "SURVEY_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TELEGRAM_TOKEN", "123456:ABC")
    for name in ("directory", "survey", "calendar"):
        monkeypatch.setenv(f"{name.upper()}_FILE", str(ROOT / f"{name}.yaml"))
    return tmp_path


@pytest.mark.parametrize(("salt", "why"), [(None, "SURVEY_SALT не задан"), ("change-me", "SURVEY_SALT не задан"),
                                           ("short-but-not-default", "SURVEY_SALT короче 32 символов")])
def test_run_refuses_a_default_or_short_salt(environment: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], salt: str | None, why: str) -> None:
    if salt is not None:
        monkeypatch.setenv("SURVEY_SALT", salt)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert f"{why}: бот не запущен" in err and "secrets.token_urlsafe(32)" in err
    assert not (environment / "data").exists()  # refused before anything was opened


def test_the_demo_makes_its_own_salt_and_keeps_it(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    first = demo_salt(settings)
    key = first.survey_salt.get_secret_value()
    assert first.salt_problem() is None and len(key) >= 32
    path = tmp_path / "data" / "survey-salt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert demo_salt(settings).survey_salt.get_secret_value() == key  # the same on the next start
    given = Settings(_env_file=None, data_dir=tmp_path / "other", survey_salt="x" * 40)  # type: ignore[call-arg]
    assert demo_salt(given) is given  # a salt of the deployment's own is kept


async def _answer(ch: RecordingChannel, user: str, free_text: str) -> None:
    await ch.send(user, "привет")
    await ch.send(user, "Оценить качество")
    await ch.send(user, "Начать опрос")
    answers = list(SURVEY_ANSWERS)
    answers[5] = free_text  # question 6: what was not clear, in his own words
    for text in answers:
        last = await ch.send(user, text)
    assert last.startswith("Опрос завершён.")


async def _who_answered(db: Database, salts: list[str], survey_id: str) -> set[str]:
    """The attack: every person any table names, tried against the receipts with guessed keys."""
    people: set[tuple[str, str]] = set()
    for table in Base.metadata.sorted_tables:
        if {"channel", "user_id"} <= set(table.c.keys()):
            people |= {(r.channel, r.user_id) for r in await db.rows(select(table.c.channel, table.c.user_id))
                       if r.user_id}
    receipts = {r.hash for r in await db.rows(select(SurveyReceiptRow.hash))}
    return {user for salt in salts for channel, user in people
            if anon_hash(salt, "client", survey_id, channel, user) in receipts}


async def test_a_copy_of_the_database_cannot_tell_whose_answers_are_whose(settings: Settings, clock) -> None:  # type: ignore[no-untyped-def]
    secret = settings.model_copy(update={"survey_salt": SecretStr("k" * 16 + "-a-deployment-secret-key")})
    app = await App.create(secret, clock=clock, migrate=False)
    try:
        ch = RecordingChannel(app)
        for user, text in PEOPLE.items():
            await _answer(ch, user, text)
        db = app.services.db
        responses = await db.rows(select(SurveyResponseRow.__table__))
        assert sorted(r.answers["q6"] for r in responses) == sorted(PEOPLE.values())
        # a response row holds no person, no time of day, nothing pointing to an invitation or receipt
        assert set(SurveyResponseRow.__table__.c.keys()) == {"id", "survey_id", "submitted_on", "source", "answers"}
        assert {r.submitted_on for r in responses} == {date(2026, 3, 17)} and {r.source for r in responses} == {"menu"}
        # the receipts cannot be recomputed from what the tables hold, whatever key is guessed
        guesses = ["", "change-me", "changeme", "secret", "salt"]
        assert await _who_answered(db, guesses, "appendix1") == set()
        # with the deployment's key they could: that is why `consult-bot run` refuses a known one
        assert await _who_answered(db, [app.services.survey_salt], "appendix1") == set(PEOPLE)
    finally:
        await app.close()

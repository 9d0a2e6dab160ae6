"""survey.yaml: the nine questions of Appendix 1 verbatim, the survey settings validated with
precise messages; the survey tables migrate on SQLite and PostgreSQL and roll back."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import time
from pathlib import Path

import pytest
import yaml
from alembic import command
from sqlalchemy import inspect

from handlers.domain.fields import ConfigError
from handlers.domain.loading import load_surveys
from handlers.domain.survey_report import points_label
from storage.db import Database, alembic_config
from tests.conftest import ROOT
from tests.survey_helpers import appendix1, appendix1_options, order_file

ORDER = order_file()
SURVEY_TABLES = {"survey_responses", "survey_receipts", "survey_invitations", "survey_optouts"}


def test_appendix1_is_verbatim() -> None:
    survey = load_surveys(ROOT / "survey.yaml").get("appendix1")
    assert [q.type for q in survey.questions] == ["single", "multiple", "single", "single", "scale", "text", "text",
                                                  "scale", "text"]
    if ORDER is None:
        pytest.skip("the order is not next to the repository")
    appendix = appendix1(ORDER.read_text(encoding="utf-8"))
    for n, q in enumerate(survey.questions, start=1):
        assert f"**{n}. {q.text}**" in appendix
        for k, option in enumerate(q.options, start=1):
            assert re.search(rf"^{k}\. {re.escape(option)}$", appendix, re.M), option
    for q in (survey.questions[4], survey.questions[7]):  # the scales: what 1 and 5 mean, as in the order
        assert (q.scale_min, q.scale_max) == (1, 5)
        assert f"оценка 1 означает, что {q.scale_min_label}" in q.text
        assert f"оценка 5 означает, что {q.scale_max_label}" in q.text
    assert survey.headline is not None and survey.headline.option == "Скорее удовлетворен"


def test_answer_options_in_the_order_and_wording_of_appendix1() -> None:
    """What the bot lists for every question, in its order, is what Appendix 1 prints: the scales
    «1. 5 баллов … 5. 1 балл»; a text question has no options."""
    if ORDER is None:
        pytest.skip("the order is not next to the repository")
    printed = appendix1_options(ORDER.read_text(encoding="utf-8"))
    survey = load_surveys(ROOT / "survey.yaml").get("appendix1")
    assert sorted(printed) == list(range(1, len(survey.questions) + 1))
    for n, q in enumerate(survey.questions, start=1):
        shown = [points_label(v) for v in q.scale_values()] if q.type == "scale" else q.options
        assert shown == printed[n], n
    assert printed[5] == ["5 баллов", "4 балла", "3 балла", "2 балла", "1 балл"]  # the parser reads the order


def test_invitation_settings_are_read() -> None:
    inv = load_surveys(ROOT / "survey.yaml").invitations
    assert inv.survey == "appendix1" and inv.period_days == 30 and inv.valid_days == 7
    assert inv.delay_minutes == {"consultation": 120, "visit": 1440, "request": 60}
    assert (inv.send_hours.start, inv.send_hours.end) == (time(10), time(20))


def _broken(tmp_path: Path, change: Callable[[dict], None]) -> list[str]:
    data = yaml.safe_load((ROOT / "survey.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_surveys(path)
    return [p.removeprefix(f"{path}: ") for p in exc.value.problems]


def test_errors_in_survey_settings_are_precise(tmp_path: Path) -> None:
    def bad_hours(d: dict) -> None:
        d["invitations"]["send_hours"] = "20:00-10:00"

    assert _broken(tmp_path, bad_hours) == ["invitations.send_hours: начало 20:00 должно быть раньше конца 10:00"]

    def unknown_survey(d: dict) -> None:
        d["invitations"]["survey"] = "nosuch"

    assert _broken(tmp_path, unknown_survey) == ["(весь файл): invitations.survey: нет опроса с id 'nosuch'"]

    def negative_delay(d: dict) -> None:
        d["invitations"]["delay_minutes"]["visit"] = -5

    assert _broken(tmp_path, negative_delay) == ["invitations.delay_minutes: visit: задержка от 0 до 86400 минут "
                                                 "(60 суток), получено -5"]

    def bad_period(d: dict) -> None:
        d["invitations"]["period_days"] = 0

    assert _broken(tmp_path, bad_period) == ["invitations.period_days: Input should be greater than or equal to 1"]

    def bad_headline(d: dict) -> None:
        d["surveys"][0]["headline"]["option"] = "Удовлетворен"

    assert _broken(tmp_path, bad_headline) == ["surveys.appendix1: headline: у вопроса 'q1' нет варианта "
                                               "'Удовлетворен'"]

    def scale_from_zero(d: dict) -> None:
        d["surveys"][0]["questions"][4]["scale_min"] = 0

    assert _broken(tmp_path, scale_from_zero) == ["surveys.appendix1.questions.q5: шкала должна начинаться с 1 "
                                                  "(scale_min: 1)"]


def test_survey_tables_exist_on_both_databases(db_url: str) -> None:
    async def tables() -> set[str]:
        db = Database(db_url)
        try:
            return set(await db.offload(lambda c: inspect(c).get_table_names()))
        finally:
            await db.close()

    assert SURVEY_TABLES <= asyncio.run(tables())


def test_survey_migration_rolls_back_and_forth(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"

    async def tables() -> set[str]:
        db = Database(url)
        try:
            return set(await db.offload(lambda c: inspect(c).get_table_names()))
        finally:
            await db.close()

    cfg = alembic_config(url)
    command.upgrade(cfg, "heads")
    assert SURVEY_TABLES <= asyncio.run(tables())
    command.downgrade(cfg, "0004_survey-1")
    remaining = asyncio.run(tables())
    assert not SURVEY_TABLES & remaining and "conversations" in remaining
    command.upgrade(cfg, "heads")
    assert SURVEY_TABLES <= asyncio.run(tables())


"""Staff chats and department heads: from directory.yaml or, per deployment, from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.overrides import with_staff_overrides
from handlers.domain.fields import ConfigError
from handlers.domain.loading import load_directory

ROOT = Path(__file__).resolve().parent.parent


def test_environment_sets_staff_chats_threads_and_heads() -> None:
    directory = with_staff_overrides(load_directory(ROOT / "directory.yaml"),
                                     "selection=-1001234567890/2; awards=-100987",
                                     "selection=telegram:111,telegram:222")
    selection, awards = directory.department("selection"), directory.department("awards")
    assert (selection.staff_chat, selection.staff_thread, selection.heads) == (
        "-1001234567890", 2, ["telegram:111", "telegram:222"])
    assert (awards.staff_chat, awards.staff_thread, awards.heads) == ("-100987", None, [])
    assert directory.department("personnel").staff_chat is None


def test_every_mistake_in_the_environment_is_named() -> None:
    with pytest.raises(ConfigError) as exc:
        with_staff_overrides(load_directory(ROOT / "directory.yaml"), "nosuch=-1;selection=чат;awards",
                             "personnel=telegram 1")
    problems = "\n".join(exc.value.problems)
    assert "STAFF_CHATS: 'awards': ожидается отдел=значение" in problems


def test_env_values_are_checked_like_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        with_staff_overrides(load_directory(ROOT / "directory.yaml"), "nosuch=-1;selection=чат",
                             "personnel=telegram 1")
    problems = exc.value.problems
    assert "STAFF_CHATS: нет отдела с id 'nosuch'" in problems
    assert any("selection: id чата 'чат': ожидается число" in p for p in problems)
    assert any("руководитель 'telegram 1': ожидается канал:id" in p for p in problems)
    text = (ROOT / "directory.yaml").read_text(encoding="utf-8").replace(
        "  - id: awards\n", "  - id: awards\n    heads: [\"123\"]\n", 1)
    bad = tmp_path / "directory.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_directory(bad)
    assert any("departments.awards.heads: руководитель '123': ожидается канал:id" in p for p in exc.value.problems)

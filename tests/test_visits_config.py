"""Visit settings in directory.yaml are validated with precise messages; defaults are sensible."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from handlers.domain.fields import ConfigError
from handlers.domain.loading import load_directory
from tests.conftest import ROOT


def _directory(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((ROOT / "directory.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_the_shipped_directory_has_visit_rules_for_every_department() -> None:
    d = load_directory(ROOT / "directory.yaml")
    assert [dep.id for dep in d.departments] == ["selection", "civil_service", "training", "personnel", "awards"]
    assert all(dep.visits.enabled and dep.visits.slot_minutes == 30 for dep in d.departments)
    assert d.booking.reminders_hours == [24, 2]
    assert d.booking.priority_categories and all(c.verify for c in d.booking.priority_categories)
    assert all(dep.staff_chat is None for dep in d.departments)  # set per deployment


def test_bad_visit_rules_are_reported_with_their_place(tmp_path: Path) -> None:
    def change(data: dict) -> None:
        data["departments"][4]["visits"]["slot_minutes"] = 5
        data["departments"][0]["visits"]["priority_share"] = 1.5
        data["booking"]["reminders_hours"] = [24, 24]
        data["booking"]["priority_categories"].append(dict(data["booking"]["priority_categories"][0]))

    with pytest.raises(ConfigError) as err:
        load_directory(_directory(tmp_path, change))
    text = "\n".join(err.value.problems)
    assert "departments.awards.visits.slot_minutes: Input should be greater than or equal to 10" in text
    assert "departments.selection.visits.priority_share: Input should be less than or equal to 1" in text
    assert "booking.reminders_hours: повторяющиеся напоминания" in text
    assert "booking.priority_categories: повторяющиеся id категорий: heroes" in text


def test_reminders_are_kept_latest_last(tmp_path: Path) -> None:
    def change(data: dict) -> None:
        data["booking"]["reminders_hours"] = [1, 48, 3]

    assert load_directory(_directory(tmp_path, change)).booking.reminders_hours == [48, 3, 1]

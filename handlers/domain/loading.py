"""Reading and validating the content files: every problem of every file is reported at once as
``file: path.to.field: reason`` (ids instead of list indexes), so an administrator can fix it
without reading code."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from handlers.domain.calendar import CalendarFile
from handlers.domain.directory import Directory
from handlers.domain.fields import ConfigError
from handlers.domain.survey import SurveyFile

M = TypeVar("M", bound=BaseModel)


def _location(loc: tuple[Any, ...], data: Any) -> str:
    """Turn a pydantic location into ``topics.competitions.phones[2]``: ids instead of indexes."""
    parts: list[str] = []
    node = data
    for item in loc:
        if isinstance(item, int):
            ident = node[item].get("id") if isinstance(node, list) and item < len(node) and isinstance(
                node[item], dict) else None
            if ident and parts:
                parts[-1] = f"{parts[-1]}.{ident}"
            else:
                parts[-1:] = [f"{parts[-1] if parts else ''}[{item}]"]
        elif item in ("function-after", "function-before") or str(item).startswith(("function-", "tagged")):
            continue
        else:
            parts.append(str(item))
        try:
            node = node[item]
        except (KeyError, IndexError, TypeError):
            node = None
    return ".".join(parts) or "(весь файл)"


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError([f"{path}: файл не найден"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{path}: не удаётся прочитать файл: {exc}"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"строка {mark.line + 1}, столбец {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{path}: {where}синтаксическая ошибка YAML: {problem}"]) from exc
    if not isinstance(data, dict):
        raise ConfigError([f"{path}: (весь файл): ожидается словарь верхнего уровня"])
    return data


def _validate(model: type[M], path: Path) -> M:
    data = _read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            reason = err["msg"].removeprefix("Value error, ")
            problems.append(f"{path}: {_location(err['loc'], data)}: {reason}")
        raise ConfigError(problems) from exc


def load_directory(path: Path) -> Directory:
    return _validate(Directory, path)


def load_surveys(path: Path) -> SurveyFile:
    return _validate(SurveyFile, path)


def load_calendar(path: Path) -> CalendarFile:
    return _validate(CalendarFile, path)


def load_content(directory_file: Path, survey_file: Path, calendar_file: Path
                 ) -> tuple[Directory, SurveyFile, CalendarFile]:
    """Load and validate every content file; raises ConfigError listing all problems at once."""
    problems: list[str] = []
    loaded: list[Any] = []
    for loader, path in ((load_directory, directory_file), (load_surveys, survey_file),
                         (load_calendar, calendar_file)):
        try:
            loaded.append(loader(path))
        except ConfigError as exc:
            problems.extend(exc.problems)
            loaded.append(None)
    if problems:
        raise ConfigError(problems)
    return loaded[0], loaded[1], loaded[2]

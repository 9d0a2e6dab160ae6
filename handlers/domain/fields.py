"""What every content file shares: the strict base model, identifiers, phones, e-mail addresses,
weekly hours, and the error that lists every problem as ``file: path.to.field: reason``."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PHONE_RE = re.compile(r"^\(8-(\d{3})\)(\d{3})-(\d{2})-(\d{2})$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
ID_RE = r"^[a-z][a-z0-9_]{0,29}$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Ident = Annotated[str, Field(pattern=ID_RE)]


class ConfigError(Exception):
    """A configuration file is missing, unreadable or invalid; ``problems`` lists every error."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)




class TimeRange(Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.start >= self.end:
            raise ValueError(f"начало {self.start:%H:%M} должно быть раньше конца {self.end:%H:%M}")
        return self

    @classmethod
    def parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*", value)
            if not m:
                raise ValueError(f"ожидается интервал вида 09:00-18:00, получено {value!r}")
            h1, m1, h2, m2 = map(int, m.groups())
            return {"start": time(h1, m1), "end": time(h2, m2)}
        return value


class Schedule(Strict):
    """Weekly working hours with breaks, in the directory's time zone."""

    days: dict[str, TimeRange]
    breaks: list[TimeRange] = []

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("ожидается словарь день недели -> интервал")
        out = {}
        for key, rng in value.items():
            if key not in WEEKDAYS:
                raise ValueError(f"неизвестный день недели {key!r}; допустимы {', '.join(WEEKDAYS)}")
            out[key] = TimeRange.parse(rng)
        return out

    @field_validator("breaks", mode="before")
    @classmethod
    def _breaks(cls, value: Any) -> Any:
        return [TimeRange.parse(v) for v in value or []]


class Hours(Strict):
    timezone: str = "Europe/Moscow"
    line: Schedule
    visits: Schedule

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"неизвестный часовой пояс {value!r}") from exc
        return value


def phone_display(phone: str) -> str:
    """``(8-812)539-46-66`` -> ``+7 (812) 539-46-66``: a form every messenger turns into a link."""
    m = PHONE_RE.match(phone)
    if not m:
        return phone
    code, a, b, c = m.groups()
    return f"+7 ({code}) {a}-{b}-{c}"


def _phone(value: Any) -> str:
    if not isinstance(value, str) or not PHONE_RE.match(value.strip()):
        raise ValueError(f"телефон {value!r} не в формате (8-812)539-46-66")
    return value.strip()


def _email(value: Any) -> str:
    if not isinstance(value, str) or not EMAIL_RE.match(value.strip()):
        raise ValueError(f"адрес электронной почты {value!r} некорректен")
    return value.strip().lower()

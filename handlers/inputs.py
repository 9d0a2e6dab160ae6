"""What people type or press, read one way everywhere: numbers, ids, dates and tokens within
bounds, and text any database can store.

Every reader returns None for what it cannot take, so that a flow answers "не понял" for its step
instead of raising. Why not ``str.isdigit`` and ``int``: ``²`` passes ``isdigit`` and breaks
``int``; ``١٢`` (Arabic-Indic digits) passes both but is no number anyone means here; a 54-digit
id overflows the databases' 64-bit integers (SQLite: ``OverflowError``, PostgreSQL: "value out
of int64 range"); 31.12.9999 leaves no next day for ``date + timedelta``.
"""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass, replace
from datetime import date
from functools import cache
from typing import TypeVar

MAX_ID = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite
# Dates people give (a visit, a closed period, a deadline, a report's period): none of this service
# is before 2000 or after 2099, and both bounds are far from the ends of ``datetime.date``.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)

_DIGITS = re.compile(r"[0-9]{1,20}")  # ASCII only; 20 digits cover MAX_ID with leading zeros
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,32}")  # secrets.token_urlsafe


def parse_int(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number in ``[low, high]``: ASCII digits only (spaces around allowed)."""
    raw = text.strip()
    if not _DIGITS.fullmatch(raw):
        return None
    number = int(raw)
    return number if low <= number <= high else None


def parse_id(text: str) -> int | None:
    """A number the database gave (a request, a visit, a closed period): ``17`` or ``№ 17``."""
    return parse_int(text.strip().removeprefix("№"), 1, MAX_ID)


def parse_token(text: str) -> str | None:
    """A random token the bot made (a survey invitation), or None if it cannot be one."""
    return text if _TOKEN.fullmatch(text) else None


def split_arg(arg: str) -> tuple[str, str]:
    """The argument of an action button, ``17:3`` -> (``17``, ``3``): what it is about and the choice."""
    head, _, rest = arg.partition(":")
    return head, rest


def make_date(year: int, month: int, day: int) -> date | None:
    """A real date between ``EARLIEST_DAY`` and ``LATEST_DAY`` (31.02 or the year 9999 are not)."""
    if not EARLIEST_DAY.year <= year <= LATEST_DAY.year:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def full_year(digits: str) -> int:
    """``26`` -> ``2026``: a year written with two digits is of this century (``0026`` is not)."""
    return int(digits) + 2000 if len(digits) == 2 else int(digits)


# --------------------------------------------------------------------------- text to store


def storable(text: str) -> str:
    """Text both databases keep: without NUL (PostgreSQL refuses it in text and JSON) and without
    lone surrogates (not UTF-8; a JSON ``\\ud800`` escape gives one)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = text.encode("utf-8", "replace").decode("utf-8")
    return text


T = TypeVar("T")


@cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def _storable_value(value: object) -> object:
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, tuple):
        items = tuple(_storable_value(v) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if is_dataclass(value) and not isinstance(value, type):
        return storable_fields(value)
    return value


def storable_fields(item: T) -> T:
    """A frozen dataclass (an event with its contact and files) with every text made ``storable``;
    the same object when nothing had to change (the usual case: about 5 µs an event)."""
    changes = {}
    for name in _field_names(type(item)):
        value = getattr(item, name)
        new = _storable_value(value)
        if new is not value:
            changes[name] = new
    return replace(item, **changes) if changes else item  # type: ignore[type-var]

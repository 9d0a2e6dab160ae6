"""Environment overrides of directory.yaml: what differs between deployments (staff destinations,
department heads and staff, admins) comes from the environment and replaces the file's values.

    STAFF_CHATS="personnel=telegram:-1001234567890/2,email:ok@lenreg.ru;awards=vk:2000000001"
    DEPARTMENT_HEADS="personnel=telegram:111,vk:222"     DEPARTMENT_STAFF="awards=vk:5,max:7"
    STAFF_ADMIN_IDS="telegram:111,max:333"

Addresses and ids are parsed by ``handlers.domain.addresses`` (one parser for the file and the
environment); the old ``STAFF_CHATS=personnel=-1001234567890/2`` still means a Telegram chat.
"""

from __future__ import annotations

from pydantic import ValidationError

from handlers.domain.addresses import parse_destination, parse_person
from handlers.domain.directory import Department, Directory, shared_chats
from handlers.domain.fields import ConfigError

_FIELD_VARS = {"staff_destinations": "STAFF_CHATS", "heads": "DEPARTMENT_HEADS", "staff": "DEPARTMENT_STAFF"}


def _pairs(name: str, value: str) -> dict[str, str]:
    """``selection=a;awards=b`` -> {"selection": "a", "awards": "b"}."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        key, sep, val = part.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ConfigError([f"{name}: {part!r}: ожидается отдел=значение (через ; для нескольких)"])
        out[key.strip()] = val.strip()
    return out


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def with_staff_overrides(directory: Directory, staff_chats: str = "", heads: str = "", staff: str = "") -> Directory:
    """Staff destinations, department heads and staff from the environment; they replace the
    directory's values of the departments they name (the deprecated ``staff_chat`` included)."""
    chats, head_ids = _pairs("STAFF_CHATS", staff_chats), _pairs("DEPARTMENT_HEADS", heads)
    staff_ids = _pairs("DEPARTMENT_STAFF", staff)
    known = {d.id for d in directory.departments}
    problems = [f"{var}: нет отдела с id {dep!r}" for var, items in (("STAFF_CHATS", chats),
                ("DEPARTMENT_HEADS", head_ids), ("DEPARTMENT_STAFF", staff_ids)) for dep in items if dep not in known]
    departments = []
    for dep in directory.departments:
        data = dep.model_dump()
        if dep.id in chats:
            data.update(staff_destinations=_items(chats[dep.id]), staff_chat=None, staff_thread=None)
        if dep.id in head_ids:
            data["heads"] = _items(head_ids[dep.id])
        if dep.id in staff_ids:
            data["staff"] = _items(staff_ids[dep.id])
        try:
            departments.append(Department.model_validate(data))
        except ValidationError as exc:
            for e in exc.errors():
                var = _FIELD_VARS.get(str(e["loc"][0]) if e["loc"] else "", "STAFF_CHATS")
                problems.append(f"{var}: {dep.id}: {e['msg'].removeprefix('Value error, ')}")
    if not problems:
        problems = [f"STAFF_CHATS: {dep}: {why}" for dep, why in shared_chats(departments)]
    if problems:
        raise ConfigError(problems)
    return directory.model_copy(update={"departments": departments})


def admin_ids(value: str) -> frozenset[str]:
    """STAFF_ADMIN_IDS, checked: ``telegram:111,max:333``."""
    found, problems = set(), []
    for item in _items(value):
        try:
            found.add(parse_person(item))
        except ValueError as exc:
            problems.append(f"STAFF_ADMIN_IDS: {exc}")
    if problems:
        raise ConfigError(problems)
    return frozenset(found)


def deprecated_staff_chats(staff_chats: str) -> list[str]:
    """The old form of STAFF_CHATS items (a bare Telegram chat number), each with its new spelling."""
    out = []
    for dep, value in _pairs("STAFF_CHATS", staff_chats).items():
        for item in _items(value):
            try:
                found = parse_destination(item)
            except ValueError:
                continue  # reported as an error elsewhere
            if found.legacy:
                out.append(f"STAFF_CHATS: {dep}: {item!r} — устаревшая запись, пишите {found}")
    return out

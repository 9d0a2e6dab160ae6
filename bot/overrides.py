"""Environment overrides of directory.yaml: what differs between deployments (staff chats,
department heads) comes from the environment and replaces the file's values."""

from __future__ import annotations

from pydantic import ValidationError

from handlers.domain.directory import Department, Directory
from handlers.domain.fields import ConfigError


def _pairs(name: str, value: str) -> dict[str, str]:
    """``selection=a;awards=b`` -> {"selection": "a", "awards": "b"}."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        key, sep, val = part.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ConfigError([f"{name}: {part!r}: ожидается отдел=значение (через ; для нескольких)"])
        out[key.strip()] = val.strip()
    return out


def with_staff_overrides(directory: Directory, staff_chats: str = "", heads: str = "", staff: str = "") -> Directory:
    """Staff chats, department heads and staff from the environment (they differ between deployments):
    ``STAFF_CHATS="selection=-1001234567890/2;awards=-1009876543210"`` (chat id / forum topic),
    ``DEPARTMENT_HEADS="selection=telegram:111,telegram:222"``, ``DEPARTMENT_STAFF="awards=vk:5,max:7"``;
    they replace directory.yaml values."""
    chats, head_ids = _pairs("STAFF_CHATS", staff_chats), _pairs("DEPARTMENT_HEADS", heads)
    staff_ids = _pairs("DEPARTMENT_STAFF", staff)
    known = {d.id for d in directory.departments}
    problems = [f"{var}: нет отдела с id {dep!r}" for var, items in (("STAFF_CHATS", chats),
                ("DEPARTMENT_HEADS", head_ids), ("DEPARTMENT_STAFF", staff_ids)) for dep in items if dep not in known]
    departments = []
    for dep in directory.departments:
        data = dep.model_dump()
        if dep.id in chats:
            chat, _, thread = chats[dep.id].partition("/")
            data.update(staff_chat=chat, staff_thread=int(thread) if thread.isdigit() else None)
            if thread and not thread.isdigit():
                problems.append(f"STAFF_CHATS: {dep.id}: номер темы {thread!r} не число")
        if dep.id in head_ids:
            data["heads"] = [h.strip() for h in head_ids[dep.id].split(",") if h.strip()]
        if dep.id in staff_ids:
            data["staff"] = [h.strip() for h in staff_ids[dep.id].split(",") if h.strip()]
        try:
            departments.append(Department.model_validate(data))
        except ValidationError as exc:
            problems += [f"STAFF_CHATS/DEPARTMENT_HEADS/DEPARTMENT_STAFF: {dep.id}: "
                         f"{e['msg'].removeprefix('Value error, ')}" for e in exc.errors()]
    if problems:
        raise ConfigError(problems)
    return directory.model_copy(update={"departments": departments})

"""Content configuration: the models of directory.yaml and survey.yaml and their loading.

Everything the bot tells citizens about topics, departments, contacts and hours comes from
directory.yaml (built from the order of 18.12.2025 No. 01-02/10); the questionnaires come from
survey.yaml. Both are validated on load; every problem is reported as
``file: path.to.field: reason`` so that an administrator can fix it without reading code.
"""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

PHONE_RE = re.compile(r"^\(8-(\d{3})\)(\d{3})-(\d{2})-(\d{2})$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
ID_RE = r"^[a-z][a-z0-9_]{0,29}$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Ident = Annotated[str, Field(pattern=ID_RE)]
M = TypeVar("M", bound=BaseModel)


class ConfigError(Exception):
    """A configuration file is missing, unreadable or invalid; ``problems`` lists every error."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- hours


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


# --------------------------------------------------------------------------- directory


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


class VisitSettings(Strict):
    """How a department receives visitors: slot length, visitors one slot takes (staff on duty),
    how far ahead and how late one may book, and the share of a day's places kept for clients with
    a right to priority reception until ``priority_release_hours`` before the day opens."""

    enabled: bool = True
    slot_minutes: int = Field(default=30, ge=10, le=240)
    per_slot: int = Field(default=1, ge=1, le=20)
    horizon_days: int = Field(default=14, ge=1, le=90)
    min_notice_hours: float = Field(default=2, ge=0, le=168)
    priority_share: float = Field(default=0.2, ge=0, le=1)
    priority_release_hours: float = Field(default=24, ge=0, le=24 * 30)
    verify: bool = False


class Department(Strict):
    id: Ident
    name: str = Field(min_length=3)
    staff_chat: str | None = None
    staff_thread: int | None = None
    visits: VisitSettings = VisitSettings()
    # Heads of the department ("telegram:123"): they set shortened and extended answer deadlines.
    heads: list[str] = []

    @field_validator("staff_chat", mode="before")
    @classmethod
    def _chat(cls, value: Any) -> Any:
        if value is not None and not re.fullmatch(r"-?\d{1,20}", str(value).strip()):
            raise ValueError(f"id чата {value!r}: ожидается число, например -1001234567890")
        return None if value is None else str(value).strip()

    @field_validator("heads")
    @classmethod
    def _heads(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.fullmatch(r"[a-z]+:[\w-]{1,64}", item):
                raise ValueError(f"руководитель {item!r}: ожидается канал:id, например telegram:123456")
        return value


class Place(Strict):
    address: str
    how_to_get: str
    what_to_bring: str = ""
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    verify: bool = False


class Node(Strict):
    """A clarifying question (with ``children``) or an answer leaf (with ``answer``)."""

    id: Ident
    label: str = Field(min_length=1, max_length=60)
    question: str | None = None
    answer: str | None = None
    need: Ident | None = None
    keywords: list[str] = []
    children: list[Node] = []
    verify: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Node:
        if self.children and not self.question:
            raise ValueError("узлу с вариантами (children) нужен уточняющий вопрос (question)")
        if not self.children and not self.answer:
            raise ValueError("конечному узлу нужен ответ (answer)")
        ids = [c.id for c in self.children]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise ValueError(f"повторяющиеся id вариантов: {', '.join(sorted(dup))}")
        return self

    def find(self, node_id: str) -> Node | None:
        if self.id == node_id:
            return self
        for child in self.children:
            found = child.find(node_id)
            if found:
                return found
        return None

    def walk(self) -> list[Node]:
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


class Topic(Strict):
    id: Ident
    row: int = Field(ge=1, description="номер строки в таблицах разделов 4 и 5 порядка")
    title: str = Field(min_length=5, description="формулировка вопроса из порядка, дословно")
    short: str = Field(min_length=3, max_length=40)
    department: Ident
    phones: list[str] = Field(min_length=1)
    emails: list[str] = Field(min_length=1)
    keywords: list[str] = Field(min_length=1)
    needs: list[Ident] = []
    root: Node

    @field_validator("phones", mode="before")
    @classmethod
    def _phones(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError("ожидается список телефонов")
        return [_phone(v) for v in value]

    @field_validator("emails", mode="before")
    @classmethod
    def _emails(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError("ожидается список адресов")
        return [_email(v) for v in value]


class Need(Strict):
    """A typical client need (the order's section 3), used to classify written requests."""

    id: Ident
    label: str
    keywords: list[str] = []


class Contact(Strict):
    name: str
    phones: list[str] = []
    emails: list[str] = []
    url: str | None = None
    address: str | None = None
    verify: bool = False


class OutOfScope(Strict):
    id: Ident
    title: str
    keywords: list[str] = Field(min_length=1)
    answer: str
    contacts: list[Contact] = []
    verify: bool = False


class Organization(Strict):
    name: str
    units: list[str]
    general_contacts: list[Contact] = []


class PriorityCategory(Strict):
    """A category of citizens entitled to personal reception in priority order (part 7 of art. 13
    of Federal Law 59-FZ; point 4.4 of the order)."""

    id: Ident
    label: str = Field(min_length=3, max_length=60)
    basis: str = ""
    verify: bool = False


class Booking(Strict):
    """Booking rules common to all departments: reminders before a visit (hours), how many future
    visits one client may hold, and the priority categories."""

    reminders_hours: list[float] = Field(default=[24, 2], max_length=5)
    max_active_per_client: int = Field(default=3, ge=1, le=20)
    priority_categories: list[PriorityCategory] = []

    @field_validator("reminders_hours")
    @classmethod
    def _reminders(cls, value: list[float]) -> list[float]:
        for h in value:
            if not 0 < h <= 24 * 14:
                raise ValueError(f"напоминание за {h} ч: допустимо от 0 до 336 часов")
        if len(set(value)) != len(value):
            raise ValueError("повторяющиеся напоминания")
        return sorted(value, reverse=True)

    @field_validator("priority_categories")
    @classmethod
    def _unique(cls, value: list[PriorityCategory]) -> list[PriorityCategory]:
        ids = [c.id for c in value]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"повторяющиеся id категорий: {', '.join(dup)}")
        return value

    def category(self, category_id: str | None) -> PriorityCategory | None:
        return next((c for c in self.priority_categories if c.id == category_id), None)


class Directory(Strict):
    organization: Organization
    hours: Hours
    visit_place: Place
    departments: list[Department] = Field(min_length=1)
    topics: list[Topic] = Field(min_length=1)
    needs: list[Need] = []
    out_of_scope: list[OutOfScope] = []
    booking: Booking = Booking()

    @model_validator(mode="after")
    def _references(self) -> Directory:
        problems: list[str] = []
        for label, items in (("departments", self.departments), ("topics", self.topics),
                             ("needs", self.needs), ("out_of_scope", self.out_of_scope)):
            ids = [i.id for i in items]
            for dup in sorted({i for i in ids if ids.count(i) > 1}):
                problems.append(f"{label}: повторяющийся id {dup!r}")
        dep_ids = {d.id for d in self.departments}
        need_ids = {n.id for n in self.needs}
        for t in self.topics:
            if t.department not in dep_ids:
                problems.append(f"topics.{t.id}.department: нет отдела с id {t.department!r}")
            for n in t.needs:
                if n not in need_ids:
                    problems.append(f"topics.{t.id}.needs: нет типовой потребности {n!r}")
            for node in t.root.walk():
                if node.need and node.need not in need_ids:
                    problems.append(f"topics.{t.id}: узел {node.id!r} ссылается на неизвестную потребность "
                                    f"{node.need!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def department(self, dep_id: str) -> Department:
        return next(d for d in self.departments if d.id == dep_id)

    def need(self, need_id: str) -> Need | None:
        return next((n for n in self.needs if n.id == need_id), None)

    def out_of_scope_item(self, item_id: str) -> OutOfScope | None:
        return next((o for o in self.out_of_scope if o.id == item_id), None)


# --------------------------------------------------------------------------- survey


class Condition(Strict):
    """Show a question only if an earlier one was answered in a certain way."""

    question: Ident
    equals: str | None = None
    any_of: list[str] = []


class Question(Strict):
    id: Ident
    text: str
    type: Literal["single", "multiple", "scale", "text"]
    options: list[str] = []
    scale_min: int = 1
    scale_max: int = 5
    scale_min_label: str | None = None
    scale_max_label: str | None = None
    required: bool = True
    max_length: int = Field(default=1000, ge=1, le=4000)
    show_if: Condition | None = None

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type in ("single", "multiple") and len(self.options) < 2:
            raise ValueError(f"вопросу типа {self.type} нужны хотя бы два варианта (options)")
        if self.type in ("scale", "text") and self.options:
            raise ValueError(f"у вопроса типа {self.type} не бывает вариантов (options)")
        if self.type == "scale" and not self.scale_min < self.scale_max <= self.scale_min + 9:
            raise ValueError("шкала: scale_min < scale_max, не больше 10 делений")
        if self.type == "scale" and self.scale_min != 1:
            # a typed number is the number of a button, so the scale must start at 1
            raise ValueError("шкала должна начинаться с 1 (scale_min: 1)")
        return self


class Headline(Strict):
    """The key figure of a survey report: the share of one answer among those who answered."""

    question: Ident
    option: str


class Survey(Strict):
    id: Ident
    title: str
    intro: str
    thanks: str
    questions: list[Question] = Field(min_length=1)
    headline: Headline | None = None

    @model_validator(mode="after")
    def _refs(self) -> Survey:
        if self.headline:
            ref = next((q for q in self.questions if q.id == self.headline.question), None)
            if ref is None or ref.type not in ("single", "multiple"):
                raise ValueError(f"headline: нет вопроса с вариантами {self.headline.question!r}")
            if self.headline.option not in ref.options:
                raise ValueError(f"headline: у вопроса {ref.id!r} нет варианта {self.headline.option!r}")
        seen: dict[str, Question] = {}
        for q in self.questions:
            if q.id in seen:
                raise ValueError(f"повторяющийся id вопроса {q.id!r}")
            if q.show_if:
                ref = seen.get(q.show_if.question)
                if ref is None:
                    raise ValueError(f"вопрос {q.id!r}: условие ссылается на {q.show_if.question!r}, "
                                     "которого нет среди предыдущих вопросов")
                values = [v for v in [q.show_if.equals, *q.show_if.any_of] if v is not None]
                bad = [v for v in values if ref.options and v not in ref.options]
                if bad:
                    raise ValueError(f"вопрос {q.id!r}: в условии варианты, которых нет у {ref.id!r}: "
                                     + ", ".join(bad))
            seen[q.id] = q
        return self


class Invitations(Strict):
    """When the bot invites a client to a survey: delays after an event, at most one invitation per
    client per ``period_days``, an invitation valid ``valid_days``, sent only within ``send_hours``."""

    survey: Ident | None = None  # the default survey if empty
    delay_minutes: dict[Ident, int] = {"consultation": 120, "visit": 1440, "request": 60}
    period_days: int = Field(default=30, ge=1, le=3650)
    valid_days: int = Field(default=7, ge=1, le=365)
    send_hours: TimeRange = TimeRange(start=time(10), end=time(20))

    @field_validator("delay_minutes")
    @classmethod
    def _delays(cls, value: dict[str, int]) -> dict[str, int]:
        for reason, minutes in value.items():
            if not 0 <= minutes <= 60 * 24 * 60:
                raise ValueError(f"{reason}: задержка от 0 до 86400 минут (60 суток), получено {minutes}")
        return value

    @field_validator("send_hours", mode="before")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        return TimeRange.parse(value)


class SurveyFile(Strict):
    default: Ident
    surveys: list[Survey] = Field(min_length=1)
    invitations: Invitations = Invitations()

    @model_validator(mode="after")
    def _default(self) -> SurveyFile:
        ids = [s.id for s in self.surveys]
        for dup in sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"повторяющийся id опроса {dup!r}")
        if self.default not in ids:
            raise ValueError(f"default: нет опроса с id {self.default!r}")
        if self.invitations.survey and self.invitations.survey not in ids:
            raise ValueError(f"invitations.survey: нет опроса с id {self.invitations.survey!r}")
        return self

    def find(self, survey_id: str | None) -> Survey | None:
        return next((s for s in self.surveys if s.id == (survey_id or self.default)), None)

    def get(self, survey_id: str | None = None) -> Survey:
        wanted = survey_id or self.default
        return next(s for s in self.surveys if s.id == wanted)


# --------------------------------------------------------------------------- calendar


class CalendarFile(Strict):
    """Production-calendar facts the ``holidays`` package does not know."""

    years: list[int]
    shortened: list[date] = []
    working_days: list[date] = []
    closed: list[date] = []


# --------------------------------------------------------------------------- loading


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


def _pairs(name: str, value: str) -> dict[str, str]:
    """``selection=a;awards=b`` -> {"selection": "a", "awards": "b"}."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in value.split(";"))):
        key, sep, val = part.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise ConfigError([f"{name}: {part!r}: ожидается отдел=значение (через ; для нескольких)"])
        out[key.strip()] = val.strip()
    return out


def with_staff_overrides(directory: Directory, staff_chats: str = "", heads: str = "") -> Directory:
    """Staff chats and department heads from the environment (they differ between deployments):
    ``STAFF_CHATS="selection=-1001234567890/2;awards=-1009876543210"`` (chat id / forum topic),
    ``DEPARTMENT_HEADS="selection=telegram:111,telegram:222"``; they replace directory.yaml values."""
    chats, head_ids = _pairs("STAFF_CHATS", staff_chats), _pairs("DEPARTMENT_HEADS", heads)
    known = {d.id for d in directory.departments}
    problems = [f"{var}: нет отдела с id {dep!r}" for var, items in (("STAFF_CHATS", chats),
                ("DEPARTMENT_HEADS", head_ids)) for dep in items if dep not in known]
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
        try:
            departments.append(Department.model_validate(data))
        except ValidationError as exc:
            problems += [f"STAFF_CHATS/DEPARTMENT_HEADS: {dep.id}: {e['msg'].removeprefix('Value error, ')}"
                         for e in exc.errors()]
    if problems:
        raise ConfigError(problems)
    return directory.model_copy(update={"departments": departments})

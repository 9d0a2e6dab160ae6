"""The model of directory.yaml: topics, departments, contacts, hours, the visit place, needs,
questions that are not ours, booking rules. Everything the bot tells citizens about who answers
what comes from here (built from the order of 18.12.2025 No. 01-02/10)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from handlers.domain.addresses import Destination, legacy_chat, parse_destination, parse_person
from handlers.domain.fields import Hours, Ident, Strict, _email, _phone


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
    # Where the department's staff receive request cards, deadline alerts, visit notices and the
    # daily agenda: every one of them (addresses as in handlers.domain.addresses).
    staff_destinations: list[str] = []
    # Deprecated: a Telegram staff chat and forum topic (read as one more ``telegram:`` destination).
    staff_chat: str | None = None
    staff_thread: int | None = None
    visits: VisitSettings = VisitSettings()
    # Heads of the department ("telegram:123"): they set shortened and extended answer deadlines
    # and see the department's reports.
    heads: list[str] = []
    # Staff of the department ("telegram:123", "vk:456", "max:789"): they see its requests and
    # visits from a private dialogue with the bot and in the web workspace (members of its staff
    # chat do too, in that chat).
    staff: list[str] = []

    @field_validator("staff_destinations", mode="before")
    @classmethod
    def _destinations(cls, value: Any) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            raise ValueError("ожидается список адресов, например [telegram:-1001234567890/2, email:ok@lenreg.ru]")
        found = [str(parse_destination(item)) for item in value]
        if len(set(found)) != len(found):
            raise ValueError("адрес указан дважды")
        return found

    @field_validator("staff_chat", mode="before")
    @classmethod
    def _chat(cls, value: Any) -> Any:
        if value is None:
            return None
        found = parse_destination(value)
        if not found.legacy or found.thread_id is not None:
            raise ValueError(f"id чата {value!r}: ожидается число, например -1001234567890 (лучше — "
                             f"staff_destinations: [telegram:-1001234567890])")
        return found.chat_id

    @field_validator("heads", "staff")
    @classmethod
    def _people(cls, value: list[str], info: ValidationInfo) -> list[str]:
        kind = "руководитель" if info.field_name == "heads" else "сотрудник"
        try:
            people = [parse_person(item) for item in value]
        except ValueError as exc:
            raise ValueError(f"{kind} {exc}") from None
        if len(set(people)) != len(people):
            raise ValueError(f"{kind} {next(p for p in people if people.count(p) > 1)!r} указан дважды")
        return people

    @model_validator(mode="after")
    def _thread(self) -> Department:
        if self.staff_thread is not None and self.staff_chat is None:
            raise ValueError("staff_thread без staff_chat: тема форума бывает только у чата")
        return self

    @property
    def destinations(self) -> list[Destination]:
        """Every staff destination, the deprecated ``staff_chat`` included."""
        found = [parse_destination(d) for d in self.staff_destinations]
        if self.staff_chat is not None:
            legacy = legacy_chat(self.staff_chat, self.staff_thread)
            if all(d.key != legacy.key for d in found):
                found.append(legacy)
        return found


class Metro(Strict):
    """A metro station near the place of visits and how to go on from it."""

    station: str = Field(min_length=2)
    walk_minutes: int | None = Field(default=None, ge=1, le=120)
    then: str = ""  # instead of walking, e.g. "троллейбус № 5 до остановки «Смольный»"


class Place(Strict):
    """Where personal visits take place (section 5 of the order) and how to get there: metro,
    entrance, what to bring, accessibility for people with disabilities, the point on a map."""

    address: str
    how_to_get: str
    metro: list[Metro] = []
    entrance: str = ""
    accessibility: str = ""
    what_to_bring: str = ""
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    map_url: str | None = Field(default=None, pattern=r"^https://")
    verify: bool = False

    @property
    def map_link(self) -> str:
        """``map_url`` or Yandex Maps with a pin at the coordinates (``pt`` takes longitude first)."""
        return self.map_url or (f"https://yandex.ru/maps/?pt={self.longitude:.6f},{self.latitude:.6f}"
                                f"&z=17&l=map")


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


class OurPart(Strict):
    """The part of a "not ours" subject that is ours after all (a pension for long service)."""

    topic: Ident
    node: Ident | None = None


class OutOfScope(Strict):
    id: Ident
    title: str
    keywords: list[str] = Field(min_length=1)
    answer: str
    contacts: list[Contact] = []
    ours: OurPart | None = None
    verify: bool = False


ServiceIntent = Literal["address", "hours", "booking", "email", "operator", "accessibility", "thanks"]


class ServiceQuestion(Strict):
    """A question about the line itself that the bot answers at once: where, when, how to book,
    e-mail, a person to talk to, accessibility, thanks. ``id`` names the answer (handlers.service)."""

    id: ServiceIntent
    keywords: list[str] = Field(min_length=1)


class Organization(Strict):
    name: str
    units: list[str]
    general_contacts: list[Contact] = []
    # The operator of personal data as the consent texts name it: the Administration and its address.
    address: str = ""
    # Where a citizen files an official appeal under 59-FZ electronically (Gosuslugi, since 547-FZ).
    appeal_url: str | None = None


class PriorityCategory(Strict):
    """A category of citizens entitled to personal reception in priority order (part 7 of art. 13
    of Federal Law 59-FZ; point 4.4 of the order)."""

    id: Ident
    label: str = Field(min_length=3, max_length=60)
    basis: str = ""
    verify: bool = False


class Booking(Strict):
    """Booking rules common to all departments: reminders before a visit (hours), how many future
    visits one person may hold (counted by account and by phone number), and the priority categories."""

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


def shared_chats(departments: list[Department]) -> list[tuple[str, str]]:
    """(department, problem) for a chat or forum topic given to two departments: it could not tell
    whose staff act in it. A mailbox may be shared (nobody writes from it)."""
    owner: dict[tuple[str, str, int | None], str] = {}
    problems = []
    for dep in departments:
        for d in dep.destinations:
            if not d.is_chat:
                continue
            if d.key in owner and owner[d.key] != dep.id:
                problems.append((dep.id, f"{d} уже указан у отдела {owner[d.key]!r} — у каждого отдела свой "
                                         f"чат или своя тема форума"))
            owner.setdefault(d.key, dep.id)
    return problems


class Directory(Strict):
    organization: Organization
    hours: Hours
    visit_place: Place
    departments: list[Department] = Field(min_length=1)
    topics: list[Topic] = Field(min_length=1)
    needs: list[Need] = []
    out_of_scope: list[OutOfScope] = []
    service_questions: list[ServiceQuestion] = []
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
        for o in self.out_of_scope:
            if o.ours is None:
                continue
            topic = self.topic(o.ours.topic)
            if topic is None:
                problems.append(f"out_of_scope.{o.id}.ours.topic: нет темы с id {o.ours.topic!r}")
            elif o.ours.node and topic.root.find(o.ours.node) is None:
                problems.append(f"out_of_scope.{o.id}.ours.node: в теме {topic.id!r} нет узла {o.ours.node!r}")
        problems += [f"departments.{dep}.staff_destinations: {why}" for dep, why in shared_chats(self.departments)]
        intents = [q.id for q in self.service_questions]
        for dup in sorted({i for i in intents if intents.count(i) > 1}):
            problems.append(f"service_questions: повторяющийся id {dup!r}")
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

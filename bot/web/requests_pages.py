"""Written requests: the queue with filters (open ones first, the overdue on top) and one page per
request with everything in time order: the client's messages and files, staff answers and
questions, and the audit trail. Staff see their departments' requests only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.web.context import user, workspace
from bot.web.render import download, render
from bot.web.security import Refused, signed_in
from handlers import texts
from handlers.requests_common import (
    channel_name,
    file_name,
    left_text,
    need_label,
    stored_attachment,
    topic_label,
)
from handlers.services import Services
from storage.requests import OPEN, AuditEntry, Request, RequestMessage, audit_trail, get_request, request_messages
from storage.workspace import QueueFilter, QueueItem, assignees, note_web, queue

routes = web.RouteTableDef()
PAGE_SIZE = 50
SOON_DAYS = 3  # "due soon": today and the next three days, as in the morning alerts
# Sent with their own type; anything else as a plain download (a client's HTML is never shown as a page).
SAFE_MIMES = {"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "text/plain", "audio/ogg",
              "video/mp4", "application/msword", "application/vnd.ms-excel",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def day_start(services: Services, day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=services.tz)


def today(services: Services) -> date:
    return services.clock().astimezone(services.tz).date()


def urgency_text(urgent: bool | None, signals: list[str]) -> str:
    if urgent is True:
        return texts.WEB_URGENCY["yes"]
    if urgent is False:
        return texts.WEB_URGENCY["no"]
    return texts.WEB_URGENCY["maybe"] if signals else texts.WEB_URGENCY_NONE


# --------------------------------------------------------------------------- the queue


@dataclass(frozen=True, slots=True)
class QueueRow:
    item: QueueItem
    topic: str
    need: str
    urgency: str
    status: str
    left: str
    overdue: bool
    assignee: str


def _choice(value: str | None, allowed: Any) -> str:
    return value if value and value in allowed else ""


@routes.get("/")
@signed_in
async def queue_page(request: web.Request) -> web.StreamResponse:
    """The queue of the department's requests."""
    me, services = user(request), workspace(request).services
    q = request.query
    visible = me.rights.departments(services)
    department = q.get("department", "" if me.rights.admin else visible[0])
    if department and department not in visible:
        raise Refused(403, "Нет доступа", "Это не ваш отдел.")
    status = q.get("status", "open")
    statuses: tuple[str, ...] = OPEN if status == "open" else () if status == "all" else (
        (status,) if status in texts.STATUS else OPEN)
    urgency = _choice(q.get("urgency"), texts.WEB_URGENCY)
    due = _choice(q.get("due"), texts.WEB_DUE_FILTERS)
    topics = [t for t in services.directory.topics if not department or t.department == department]
    topic = _choice(q.get("topic"), {t.id for t in topics})
    need = _choice(q.get("need"), {n.id for n in services.directory.needs})
    people = await assignees(services.db, department or None)
    assignee = _choice(q.get("assignee"), {"-"} | {p for p, _ in people})
    page = max(1, int(q["page"])) if q.get("page", "").isdigit() else 1
    day = today(services)
    due_from = due_before = None
    if due:
        statuses = tuple(s for s in statuses if s in OPEN) or OPEN  # past or near deadlines matter while open
        if due == "overdue":
            due_before = day_start(services, day)
        else:
            due_from, due_before = day_start(services, day), day_start(services, day + timedelta(days=SOON_DAYS + 1))
    found = await queue(services.db, QueueFilter(department or None, statuses, urgency or None, due_from, due_before,
                                                 topic or None, need or None, assignee or None),
                        limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    rows = []
    for item in found[:PAGE_SIZE]:
        left = (item.due_at.astimezone(services.tz).date() - day).days
        still_open = item.status in OPEN
        rows.append(QueueRow(item, topic_label(services, item.topic), need_label(services, item.need),
                             urgency_text(item.urgent, item.signals), texts.STATUS.get(item.status, item.status),
                             left_text(left) if still_open else "", still_open and left < 0,
                             item.assignee_name or item.assignee_id or texts.WEB_UNASSIGNED))
    filters = {"department": department, "status": status if status in ("open", "all", *texts.STATUS) else "open",
               "urgency": urgency, "due": due, "topic": topic, "need": need, "assignee": assignee}

    def page_link(n: int) -> str:
        return "/staff/?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": n})

    return render(request, "queue.html", title="Обращения", rows=rows, filters=filters,
                  departments=[(d, services.directory.department(d).name) for d in visible],
                  all_departments=me.rights.admin, topics=topics, needs=services.directory.needs, people=people,
                  page=page, previous=page_link(page - 1) if page > 1 else None,
                  next=page_link(page + 1) if len(found) > PAGE_SIZE else None,
                  department_name=services.directory.department(department).name if department
                  else texts.WEB_ALL_DEPARTMENTS)


# --------------------------------------------------------------------------- one request


@dataclass(slots=True)
class Entry:
    """One line of a request's history."""

    at: datetime
    order: int  # at the same moment: messages before the audit entries they caused
    kind: str  # client, staff, audit (the page's style)
    who: str
    title: str
    text: str | None = None
    files: list[tuple[str, str | None]] = field(default_factory=list)  # (label, download link)
    note: str | None = None


def _fmt_value(services: Services, action: str, value: str | None) -> str:
    if value is None or value == "":
        return "—"
    if action == "status":
        return texts.STATUS.get(value, value)
    if action in ("urgent", "extended"):
        return texts.WEB_YES_NO.get(value, value)
    if action == "topic":
        return topic_label(services, value)
    if action == "need":
        return need_label(services, value)
    if action == "department":
        dep = next((d for d in services.directory.departments if d.id == value), None)
        return dep.name if dep else value
    if action == "deadline_kind":
        return texts.RQREP_DEADLINE_KINDS.get(value, value)
    if action == "due_at":
        try:
            return f"{datetime.fromisoformat(value).astimezone(services.tz):%d.%m.%Y %H:%M}"
        except ValueError:
            return value
    if action == "registered":  # "topic/need" at registration
        topic, _, need = value.partition("/")
        return f"{topic_label(services, topic)} / {need_label(services, need if need != 'None' else None)}"
    if action in ("delivered", "not_delivered", "answer", "question", "notice"):
        return f"сообщение {value}"
    return value


def _audit_entry(services: Services, e: AuditEntry, index: int) -> Entry:
    who = (texts.WEB_WHO_CLIENT if e.actor == "client" else texts.WEB_WHO_SYSTEM if e.actor == "system"
           else e.actor_name or e.actor)
    title = texts.WEB_AUDIT_ACTIONS.get(e.action, e.action)
    if e.old is not None:
        note = f"{_fmt_value(services, e.action, e.old)} → {_fmt_value(services, e.action, e.new)}"
    else:
        note = None if e.new is None else _fmt_value(services, e.action, e.new)
    return Entry(e.at, 1 + index, "audit", who, title, note=note)


def _message_entry(services: Services, rq: Request, m: RequestMessage) -> Entry:
    who = texts.WEB_WHO_CLIENT if m.author == "client" else (m.staff_name or m.staff_id or "—")
    files = []
    for i, f in enumerate(m.files):
        label = file_name(f)
        link = f"/staff/requests/{rq.id}/files/{m.id}/{i}" if f.get("file_id") else None
        files.append((f"{label} ({channel_name(f.get('channel', ''))})", link))
    note = texts.WEB_DELIVERY[m.delivered] if m.author == "staff" else None
    return Entry(m.at, 0, m.author, who, texts.WEB_MESSAGE_KINDS.get((m.author, m.kind), m.kind), m.text, files, note)


async def _visible_request(request: web.Request, request_id: int, what: str) -> Request:
    """The request, if the signed-in person may see it; refusals are written to the audit trail."""
    me, services = user(request), workspace(request).services
    rq = await get_request(services.db, request_id)
    if rq is None:
        raise Refused(404, "Обращение не найдено", f"Обращения №{request_id} нет.")
    if not me.rights.sees(rq.department):
        await note_web(services.db, staff_id=me.signer.staff_id, staff_name=me.signer.staff_name, action="refused",
                       target=f"request:{rq.id}", detail=what, now=services.clock())
        raise Refused(403, "Нет доступа", f"Обращение №{rq.id} — другого отдела.")
    return rq


@routes.get(r"/requests/{id:\d{1,9}}")
@signed_in
async def request_page(request: web.Request) -> web.StreamResponse:
    """A request with its whole history."""
    me, services = user(request), workspace(request).services
    rq = await _visible_request(request, int(request.match_info["id"]), "page")
    messages = await request_messages(services.db, rq.id)
    trail = await audit_trail(services.db, rq.id)
    history = [_message_entry(services, rq, m) for m in messages]
    history += [_audit_entry(services, e, i) for i, e in enumerate(trail)]
    history.sort(key=lambda e: (e.at, e.order))
    await note_web(services.db, staff_id=me.signer.staff_id, staff_name=me.signer.staff_name, action="request",
                   target=f"request:{rq.id}", now=services.clock())
    left = (rq.due_at.astimezone(services.tz).date() - today(services)).days
    channel = channel_name(rq.channel)
    if rq.extra_channel == "email" and rq.extra_address:
        channel += texts.CARD_EXTRA_EMAIL.format(email=rq.extra_address)
    elif rq.extra_channel == "phone" and rq.contact_phone:
        channel += texts.CARD_EXTRA_CALL.format(phone=rq.contact_phone)
    return render(request, "request.html", title=f"Обращение №{rq.id}", rq=rq, history=history,
                  status_text=texts.STATUS.get(rq.status, rq.status), topic=topic_label(services, rq.topic),
                  need=need_label(services, rq.need), urgency=urgency_text(rq.urgent, rq.signals),
                  department=services.directory.department(rq.department).name,
                  left=left_text(left) if rq.is_open else "", overdue=rq.is_open and left < 0,
                  deadline_kind=texts.RQREP_DEADLINE_KINDS.get(rq.deadline_kind, rq.deadline_kind), channel=channel)


@routes.get(r"/requests/{id:\d{1,9}}/files/{message:\d{1,12}}/{index:\d{1,3}}")
@signed_in
async def request_file(request: web.Request) -> web.StreamResponse:
    """A client's (or staff member's) file, fetched from the messenger it was sent through."""
    me, ws = user(request), workspace(request)
    services = ws.services
    rq = await _visible_request(request, int(request.match_info["id"]), "file")
    message_id, index = int(request.match_info["message"]), int(request.match_info["index"])
    message = next((m for m in await request_messages(services.db, rq.id) if m.id == message_id), None)
    if message is None or index >= len(message.files) or not message.files[index].get("file_id"):
        raise Refused(404, "Файл не найден", f"В обращении №{rq.id} нет такого файла.")
    f = message.files[index]
    fetched = await ws.fetch_file(stored_attachment(f))
    if fetched is None:
        raise Refused(502, "Файл недоступен", texts.WEB_FILE_UNAVAILABLE.format(
            channel=channel_name(str(f.get("channel", "")))))
    await note_web(services.db, staff_id=me.signer.staff_id, staff_name=me.signer.staff_name, action="file",
                   target=f"request:{rq.id}", detail=f"{message_id}/{index}", now=services.clock())
    mime = fetched.mime or f.get("mime") or ""
    name = f.get("filename") or f"{rq.id}-{message_id}-{index + 1}"
    return download(fetched.content, name, mime if mime in SAFE_MIMES else "application/octet-stream")

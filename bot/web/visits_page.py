"""Personal visits: the agenda of a day or of a week for a department, with closed periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web

from bot.web.context import user, workspace
from bot.web.render import render
from bot.web.requests_pages import day_start, today
from bot.web.security import Refused, signed_in
from handlers.domain.survey_report import parse_day
from handlers.requests_common import topic_label
from storage.workspace import AgendaVisit, ClosedPeriod, closed_between, note_web, visits_between

routes = web.RouteTableDef()
WEEK = 7


@dataclass(frozen=True, slots=True)
class AgendaDay:
    day: date
    working: bool
    visits: list[tuple[AgendaVisit, str, str]]  # the visit, its topic, its priority category
    closed: list[ClosedPeriod]


@routes.get("/visits")
@signed_in
async def visits_page(request: web.Request) -> web.StreamResponse:
    """Who comes when: today (or a chosen day), or the week from it."""
    me, services = user(request), workspace(request).services
    visible = me.rights.departments(services)
    department = request.query.get("department") or visible[0]
    if department not in visible:
        raise Refused(403, "Нет доступа", "Это не ваш отдел.")
    first = parse_day(request.query.get("date", "")) or today(services)
    week = request.query.get("view") == "week"
    days = WEEK if week else 1
    since, until = day_start(services, first), day_start(services, first + timedelta(days=days))
    visits = await visits_between(services.db, department, since, until)
    closed = await closed_between(services.db, department, since, until)
    agenda = []
    for i in range(days):
        day = first + timedelta(days=i)
        start, end = day_start(services, day), day_start(services, day + timedelta(days=1))
        booked = [(v, topic_label(services, v.topic) if v.topic else "—",
                   (c.label if (c := services.directory.booking.category(v.priority)) else "")) for v in visits
                  if start <= v.start < end]
        agenda.append(AgendaDay(day, services.calendar.is_working_day(day), booked,
                                [c for c in closed if c.start < end and c.end > start]))
    await note_web(services.db, staff_id=me.signer.staff_id, staff_name=me.signer.staff_name, action="visits",
                   target=f"visits:{department}:{first.isoformat()}", detail="week" if week else "day",
                   now=services.clock())

    def link(day: date, view: str) -> str:
        return "/staff/visits?" + urlencode({"department": department, "date": day.isoformat(), "view": view})

    view = "week" if week else "day"
    return render(request, "visits.html", title="Приём", agenda=agenda, week=week, department=department,
                  department_name=services.directory.department(department).name,
                  departments=[(d, services.directory.department(d).name) for d in visible], first=first,
                  total=len(visits), previous=link(first - timedelta(days=days), view),
                  next=link(first + timedelta(days=days), view), today_link=link(today(services), view),
                  day_link=link(first, "day"), week_link=link(first, "week"))

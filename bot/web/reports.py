"""Reports for heads of departments: written requests for a period (received, answered on time
and late with the list, median answer time, by topic and need) with XLSX and CSV, the register of
requests as XLSX, and the survey results with the charts the bot draws in the chat."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from aiohttp import web

from bot.web.context import user, workspace
from bot.web.render import download, render
from bot.web.requests_pages import day_start, today
from bot.web.security import Refused, signed_in
from handlers.domain.requests_report import (
    Labels,
    RequestsReport,
    build_requests_report,
    duration_text,
    register_xlsx,
    requests_report_csv,
    requests_report_xlsx,
)
from handlers.domain.survey_report import Chart, Report, build_report, parse_day, render_charts, to_csv, to_xlsx
from handlers.requests_common import need_label, topic_label
from handlers.services import Services
from storage.survey import responses_between
from storage.workspace import note_web, registered_between

routes = web.RouteTableDef()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_DAYS = 732  # two years: longer periods are not a report anyone reads


def quarter(day: date, back: int = 0) -> tuple[date, date]:
    """The calendar quarter of ``day``, or ``back`` quarters before it."""
    index = (day.year * 4 + (day.month - 1) // 3) - back
    year, q = divmod(index, 4)
    start = date(year, 3 * q + 1, 1)
    end = date(year + (q == 3), 1 if q == 3 else 3 * q + 4, 1) - timedelta(days=1)
    return start, end


@dataclass(frozen=True, slots=True)
class Period:
    department: str  # "" for every department (admins)
    date_from: date
    date_to: date

    def query(self, **extra: str) -> str:
        return urlencode({"department": self.department, "from": self.date_from.isoformat(),
                          "to": self.date_to.isoformat(), **extra})


def _period(request: web.Request) -> Period:
    """The department and period asked for, if this person heads it; this quarter by default."""
    me, services = user(request), workspace(request).services
    headed = me.rights.headed(services)
    if not headed:
        raise Refused(403, "Нет доступа", "Отчёты видят руководители отделов и администраторы.")
    q = request.query
    department = q.get("department", headed[0] if not me.rights.admin else "")
    if (department and department not in headed) or (not department and not me.rights.admin):
        raise Refused(403, "Нет доступа", "Отчёты этого отдела видит его руководитель.")
    start, end = quarter(today(services))
    date_from, date_to = parse_day(q.get("from", "")) or start, parse_day(q.get("to", "")) or end
    if date_from > date_to or (date_to - date_from).days > MAX_DAYS:
        raise Refused(400, "Неверный период",
                      "Начало периода должно быть не позже конца, период — не длиннее двух лет.")
    return Period(department, date_from, date_to)


def _labels(services: Services) -> Labels:
    names = {d.id: d.name for d in services.directory.departments}
    return Labels(topic=lambda t: topic_label(services, t) if t else "—", need=lambda n: need_label(services, n),
                  department=lambda d: names.get(d, d), tz=services.tz)


async def _report(services: Services, period: Period) -> RequestsReport:
    labels = _labels(services)
    requests = await registered_between(services.db, period.department or None, day_start(services, period.date_from),
                                        day_start(services, period.date_to + timedelta(days=1)))
    return build_requests_report(requests, department=period.department or None, date_from=period.date_from,
                                 date_to=period.date_to, now=services.clock(), tz=services.tz,
                                 topic_label=labels.topic, need_label=labels.need)


async def _audit(request: web.Request, action: str, period: Period) -> None:
    me, services = user(request), workspace(request).services
    await note_web(services.db, staff_id=me.signer.staff_id, staff_name=me.signer.staff_name, action=action,
                   target=f"report:{period.department or 'all'}",
                   detail=f"{period.date_from.isoformat()}..{period.date_to.isoformat()}", now=services.clock())


def _presets(services: Services, department: str) -> list[tuple[str, str]]:
    day = today(services)
    items = [("Этот квартал", quarter(day)), ("Прошлый квартал", quarter(day, 1)),
             ("Этот год", (date(day.year, 1, 1), date(day.year, 12, 31)))]
    return [(label, "/staff/reports?" + Period(department, a, b).query()) for label, (a, b) in items]


@routes.get("/reports")
@signed_in
async def reports_page(request: web.Request) -> web.StreamResponse:
    """The head's report on written requests for a period."""
    me, services = user(request), workspace(request).services
    period = _period(request)
    report = await _report(services, period)
    await _audit(request, "report", period)
    labels = _labels(services)
    return render(request, "reports.html", title="Отчёты", report=report, period=period, labels=labels,
                  departments=[(d, services.directory.department(d).name) for d in me.rights.headed(services)],
                  all_departments=me.rights.admin, median=duration_text(report.median_hours),
                  presets=_presets(services, period.department), as_of=services.clock(),
                  department_name=labels.department(period.department) if period.department else "все отделы")


@routes.get("/reports/requests.xlsx")
@signed_in
async def report_xlsx(request: web.Request) -> web.StreamResponse:
    services = workspace(request).services
    period = _period(request)
    report = await _report(services, period)
    await _audit(request, "report_xlsx", period)
    content = await asyncio.to_thread(requests_report_xlsx, report, _labels(services), now=services.clock())
    return download(content, f"{report.file_stem()}.xlsx", XLSX)


@routes.get("/reports/requests.csv")
@signed_in
async def report_csv(request: web.Request) -> web.StreamResponse:
    services = workspace(request).services
    period = _period(request)
    report = await _report(services, period)
    await _audit(request, "report_csv", period)
    return download(requests_report_csv(report, _labels(services)), f"{report.file_stem()}.csv",
                     "text/csv; charset=utf-8")


@routes.get("/reports/register.xlsx")
@signed_in
async def register(request: web.Request) -> web.StreamResponse:
    """The register of requests: applicants' names, so it is a download of personal data."""
    services = workspace(request).services
    period = _period(request)
    report = await _report(services, period)
    await _audit(request, "register", period)
    content = await asyncio.to_thread(register_xlsx, report, _labels(services))
    return download(content, f"{report.file_stem('register')}.xlsx", XLSX)


# --------------------------------------------------------------------------- the survey

CHART_CACHE = 4  # a page and its pictures ask for the same charts: drawn once


async def _survey(request: web.Request) -> tuple[Period, Report]:
    services = workspace(request).services
    period = _period(request)
    survey = services.surveys.find(request.query.get("survey") or None)
    if survey is None:
        raise Refused(404, "Нет такого опроса", "Выберите опрос из списка.")
    responses = await responses_between(services.db, survey.id, period.date_from, period.date_to)
    return period, build_report(survey, responses, period.date_from, period.date_to)


async def _charts(request: web.Request, report: Report) -> list[Chart]:
    cache = workspace(request).charts
    key = (report.survey.id, report.date_from, report.date_to, tuple(r.id for r in report.responses))
    if key not in cache:
        cache[key] = await asyncio.to_thread(render_charts, report)
        while len(cache) > CHART_CACHE:
            cache.popitem(last=False)
    cache.move_to_end(key)
    return cache[key]  # type: ignore[no-any-return]


@routes.get("/reports/survey")
@signed_in
async def survey_page(request: web.Request) -> web.StreamResponse:
    """The survey's results for the period (anonymous: the same for every department)."""
    services = workspace(request).services
    period, report = await _survey(request)
    await _audit(request, "survey", period)
    charts = await _charts(request, report) if report.total else []
    by_number = {int(c.filename.rsplit("-q", 1)[1].removesuffix(".png")): c for c in charts}
    query = period.query(survey=report.survey.id)
    return render(request, "survey.html", title="Опрос", report=report, period=period, query=query,
                  charts=by_number, surveys=services.surveys.surveys,
                  presets=[(label, link.replace("/staff/reports?", "/staff/reports/survey?"))
                           for label, link in _presets(services, period.department)])


@routes.get(r"/reports/survey/chart/{number:\d{1,3}}.png")
@signed_in
async def survey_chart(request: web.Request) -> web.StreamResponse:
    _, report = await _survey(request)
    wanted = f"-q{request.match_info['number']}.png"
    chart = next((c for c in await _charts(request, report) if c.filename.endswith(wanted)), None)
    if chart is None:
        raise Refused(404, "Нет графика", "У этого вопроса нет графика.")
    return web.Response(body=chart.png, content_type="image/png")


@routes.get("/reports/survey.xlsx")
@signed_in
async def survey_xlsx(request: web.Request) -> web.StreamResponse:
    period, report = await _survey(request)
    await _audit(request, "survey_xlsx", period)
    return download(await asyncio.to_thread(to_xlsx, report), f"{report.file_stem()}.xlsx", XLSX)


@routes.get("/reports/survey.csv")
@signed_in
async def survey_csv(request: web.Request) -> web.StreamResponse:
    period, report = await _survey(request)
    await _audit(request, "survey_csv", period)
    return download(to_csv(report), f"{report.file_stem()}.csv", "text/csv; charset=utf-8")

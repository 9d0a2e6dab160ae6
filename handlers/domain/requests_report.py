"""The head's report on written requests for a period: received, answered on time and late (with
the list), the median answer time, by topic and by need; and the register of requests.

Pure functions of the requests registered in the period (``storage.workspace.registered_between``),
so the web page, its XLSX and CSV always show the same figures. A request is late when its answer
came after its deadline (the one in force: shortened or extended), or when it is still open past
it; "on time" compares moments, so an answer at 23:59 of the last day is on time.
"""

from __future__ import annotations

import csv
import io
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from handlers import texts
from storage.requests import OPEN
from storage.workspace import RegisteredRequest

ON_TIME, LATE, OVERDUE, OPEN_IN_TIME, CLOSED = "on_time", "late", "overdue", "open", "closed"


def outcome(rq: RegisteredRequest, now: datetime) -> str:
    """on_time / late (answered), overdue / open (no answer yet), closed (without an answer)."""
    if rq.answered_at is not None:
        return ON_TIME if rq.answered_at <= rq.due_at else LATE
    if rq.status not in OPEN:
        return CLOSED
    return OVERDUE if rq.due_at < now else OPEN_IN_TIME


def days_late(rq: RegisteredRequest, now: datetime, tz: tzinfo) -> int:
    """Whole calendar days between the deadline and the answer (or today, if there is none)."""
    end = rq.answered_at or now
    return max(0, (end.astimezone(tz).date() - rq.due_at.astimezone(tz).date()).days)


def answer_hours(rq: RegisteredRequest) -> float | None:
    if rq.answered_at is None:
        return None
    return max(0.0, (rq.answered_at - rq.created_at).total_seconds() / 3600)


def duration_text(hours: float | None) -> str:
    """``5 ч``, ``2 дн. 4 ч``; a dash when there is nothing to measure."""
    if hours is None:
        return "—"
    whole = round(hours)
    days, rest = divmod(whole, 24)
    if days == 0:
        return texts.RQREP_HOURS.format(h=rest)
    return texts.RQREP_DAYS_HOURS.format(d=days, h=rest) if rest else texts.RQREP_DAYS.format(d=days)


@dataclass(frozen=True, slots=True)
class Breakdown:
    """One line of the tables by topic or by need."""

    key: str | None
    label: str
    received: int
    answered: int
    on_time: int
    late: int  # answered late or still open past the deadline


@dataclass(frozen=True, slots=True)
class LateRequest:
    request: RegisteredRequest
    outcome: str  # late or overdue
    days_late: int


@dataclass(frozen=True, slots=True)
class RequestsReport:
    department: str | None
    date_from: date
    date_to: date
    requests: tuple[RegisteredRequest, ...]
    outcomes: dict[int, str]
    received: int
    answered: int
    on_time: int
    late_answered: int
    overdue_open: int
    open_in_time: int
    closed_unanswered: int
    median_hours: float | None
    late: tuple[LateRequest, ...]
    by_topic: tuple[Breakdown, ...]
    by_need: tuple[Breakdown, ...]

    @property
    def period(self) -> str:
        return f"{self.date_from:%d.%m.%Y} – {self.date_to:%d.%m.%Y}"

    @property
    def on_time_share(self) -> float | None:
        """Answered on time, of those answered."""
        return self.on_time / self.answered if self.answered else None

    def file_stem(self, prefix: str = "requests") -> str:
        return f"{prefix}-{self.department or 'all'}-{self.date_from:%Y%m%d}-{self.date_to:%Y%m%d}"


def _breakdown(items: list[RegisteredRequest], outcomes: dict[int, str], key: Callable[[RegisteredRequest], str | None],
               label: Callable[[str | None], str]) -> tuple[Breakdown, ...]:
    groups: dict[str | None, list[RegisteredRequest]] = {}
    for rq in items:
        groups.setdefault(key(rq), []).append(rq)
    lines = []
    for k, group in groups.items():
        kinds = [outcomes[rq.id] for rq in group]
        lines.append(Breakdown(k, label(k), len(group), kinds.count(ON_TIME) + kinds.count(LATE), kinds.count(ON_TIME),
                               kinds.count(LATE) + kinds.count(OVERDUE)))
    return tuple(sorted(lines, key=lambda b: (-b.received, b.label)))


def build_requests_report(requests: list[RegisteredRequest], *, department: str | None, date_from: date,
                          date_to: date, now: datetime, tz: tzinfo, topic_label: Callable[[str | None], str],
                          need_label: Callable[[str | None], str]) -> RequestsReport:
    items = sorted(requests, key=lambda r: r.id)
    outcomes = {rq.id: outcome(rq, now) for rq in items}
    kinds = list(outcomes.values())
    hours = [h for rq in items if (h := answer_hours(rq)) is not None]
    late = tuple(LateRequest(rq, outcomes[rq.id], days_late(rq, now, tz)) for rq in items
                 if outcomes[rq.id] in (LATE, OVERDUE))
    return RequestsReport(
        department=department, date_from=date_from, date_to=date_to, requests=tuple(items), outcomes=outcomes,
        received=len(items), answered=kinds.count(ON_TIME) + kinds.count(LATE), on_time=kinds.count(ON_TIME),
        late_answered=kinds.count(LATE), overdue_open=kinds.count(OVERDUE), open_in_time=kinds.count(OPEN_IN_TIME),
        closed_unanswered=kinds.count(CLOSED), median_hours=statistics.median(hours) if hours else None,
        late=late, by_topic=_breakdown(items, outcomes, lambda r: r.topic, topic_label),
        by_need=_breakdown(items, outcomes, lambda r: r.need, need_label))


# --------------------------------------------------------------------------- files


@dataclass(frozen=True, slots=True)
class Labels:
    """How the files name what the report holds by id."""

    topic: Callable[[str | None], str]
    need: Callable[[str | None], str]
    department: Callable[[str], str]
    tz: tzinfo


def _local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    """A moment as the spreadsheet shows it: Moscow wall time, no zone (Excel keeps none)."""
    return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)


def _request_row(report: RequestsReport, rq: RegisteredRequest, labels: Labels) -> list[Any]:
    kind = report.outcomes[rq.id]
    return [rq.id, _local(rq.created_at, labels.tz), labels.department(rq.department), labels.topic(rq.topic),
            labels.need(rq.need), texts.STATUS.get(rq.status, rq.status), _local(rq.due_at, labels.tz),
            texts.RQREP_DEADLINE_KINDS.get(rq.deadline_kind, rq.deadline_kind), _local(rq.answered_at, labels.tz),
            texts.RQREP_OUTCOMES[kind],
            days_late(rq, rq.due_at, labels.tz) if kind == LATE else None,  # LATE: measured to the answer
            round(h, 1) if (h := answer_hours(rq)) is not None else None,
            rq.assignee_name or rq.assignee_id]


def _autosize(ws: Any, widths: tuple[int, ...]) -> None:
    from openpyxl.utils import get_column_letter

    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _table(ws: Any, header: tuple[str, ...], rows: list[list[Any]], *, date_columns: tuple[int, ...] = ()) -> None:
    from openpyxl.styles import Font

    ws.append(list(header))
    for c in ws[ws.max_row]:
        c.font = Font(bold=True)
    first = ws.max_row + 1
    for row in rows:
        ws.append(row)
        for col in date_columns:
            ws.cell(ws.max_row, col).number_format = "DD.MM.YYYY HH:MM"
    if rows:
        ws.freeze_panes = ws.cell(first, 1)


def requests_report_xlsx(report: RequestsReport, labels: Labels, *, now: datetime) -> bytes:
    """Sheets: the summary with the tables by topic and need, the late requests, every request."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = texts.RQREP_SHEET_SUMMARY
    ws.append([texts.RQREP_TITLE.format(department=labels.department(report.department) if report.department
                                        else texts.RQREP_ALL_DEPARTMENTS)])
    ws["A1"].font = Font(bold=True, size=12)
    share = report.on_time_share
    for label, value in ((texts.RQREP_PERIOD, report.period), (texts.RQREP_RECEIVED, report.received),
                         (texts.RQREP_ANSWERED, report.answered), (texts.RQREP_ON_TIME, report.on_time),
                         (texts.RQREP_LATE_ANSWERED, report.late_answered),
                         (texts.RQREP_OVERDUE_OPEN, report.overdue_open),
                         (texts.RQREP_OPEN_IN_TIME, report.open_in_time),
                         (texts.RQREP_CLOSED_UNANSWERED, report.closed_unanswered),
                         (texts.RQREP_ON_TIME_SHARE, share),
                         (texts.RQREP_MEDIAN, round(report.median_hours, 1) if report.median_hours is not None
                          else None),
                         (texts.RQREP_AS_OF, _local(now, labels.tz))):
        ws.append([label, value])
        if label == texts.RQREP_ON_TIME_SHARE:
            ws.cell(ws.max_row, 2).number_format = "0.0%"
        if label == texts.RQREP_AS_OF:
            ws.cell(ws.max_row, 2).number_format = "DD.MM.YYYY HH:MM"
    for title, lines in ((texts.RQREP_BY_TOPIC, report.by_topic), (texts.RQREP_BY_NEED, report.by_need)):
        ws.append([])
        ws.append([title])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        ws.append(list(texts.RQREP_BREAKDOWN_COLUMNS))
        for c in ws[ws.max_row]:
            c.font = Font(bold=True)
        for b in lines:
            ws.append([b.label, b.received, b.answered, b.on_time, b.late])
    _autosize(ws, (48, 22, 12, 12, 12))

    late = wb.create_sheet(texts.RQREP_SHEET_LATE)
    _table(late, texts.RQREP_LATE_COLUMNS, [
        [x.request.id, _local(x.request.created_at, labels.tz), labels.topic(x.request.topic),
         labels.need(x.request.need), _local(x.request.due_at, labels.tz),
         texts.RQREP_DEADLINE_KINDS.get(x.request.deadline_kind, x.request.deadline_kind),
         _local(x.request.answered_at, labels.tz), x.days_late, texts.RQREP_OUTCOMES[x.outcome],
         x.request.assignee_name or x.request.assignee_id] for x in report.late], date_columns=(2, 5, 7))
    _autosize(late, (8, 18, 30, 30, 18, 14, 18, 14, 26, 24))

    every = wb.create_sheet(texts.RQREP_SHEET_ALL)
    _table(every, texts.RQREP_ALL_COLUMNS, [_request_row(report, rq, labels) for rq in report.requests],
           date_columns=(2, 7, 9))
    _autosize(every, (8, 18, 30, 30, 30, 16, 18, 14, 18, 26, 12, 12, 24))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def requests_report_csv(report: RequestsReport, labels: Labels) -> bytes:
    """Every request of the period with its outcome, for other tools: UTF-8, ISO moments, ids."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["request", "registered", "department", "topic", "need", "status", "due", "deadline_kind",
                     "answered", "outcome", "answer_hours", "assignee"])
    def iso(moment: datetime | None) -> str:
        return moment.astimezone(labels.tz).isoformat(timespec="minutes") if moment else ""

    for rq in report.requests:
        hours = answer_hours(rq)
        writer.writerow([rq.id, iso(rq.created_at), rq.department, rq.topic, rq.need or "", rq.status, iso(rq.due_at),
                         rq.deadline_kind, iso(rq.answered_at), report.outcomes[rq.id],
                         "" if hours is None else f"{hours:.1f}", rq.assignee_name or rq.assignee_id or ""])
    return buf.getvalue().encode("utf-8")


def register_xlsx(report: RequestsReport, labels: Labels) -> bytes:
    """The register of requests of the period: one line a request, with the applicant's name
    (a request whose client asked to be forgotten says so) and no texts."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = texts.RQREG_SHEET
    ws.append([texts.RQREG_TITLE.format(period=report.period, department=labels.department(report.department)
                                        if report.department else texts.RQREP_ALL_DEPARTMENTS)])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])
    rows = []
    for rq in report.requests:
        applicant = texts.RQREG_ANONYMISED if rq.anonymised_at else (rq.contact_name or "—")
        rows.append([rq.id, _local(rq.created_at, labels.tz), applicant,
                     texts.CHANNEL_NAMES.get(rq.channel, rq.channel), labels.department(rq.department),
                     labels.topic(rq.topic), labels.need(rq.need),
                     texts.RQREG_URGENT.get(rq.urgent, ""), _local(rq.due_at, labels.tz),
                     texts.RQREP_DEADLINE_KINDS.get(rq.deadline_kind, rq.deadline_kind),
                     texts.STATUS.get(rq.status, rq.status), _local(rq.answered_at, labels.tz),
                     rq.assignee_name or rq.assignee_id, _local(rq.closed_at, labels.tz)])
    _table(ws, texts.RQREG_COLUMNS, rows, date_columns=(2, 9, 12, 14))
    if rows:
        ws.auto_filter.ref = f"A3:N{ws.max_row}"
    _autosize(ws, (8, 18, 28, 14, 30, 30, 30, 12, 18, 14, 16, 18, 24, 18))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

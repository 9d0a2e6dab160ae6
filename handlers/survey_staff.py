"""Survey results for staff in the chat: ``/survey 2026-01-01 2026-03-31 [survey id]`` answers with
the figures as text, a bar chart per question as pictures, the XLSX workbook and the CSV file."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from handlers import texts
from handlers.domain.fields import ID_RE
from handlers.domain.survey_report import build_report, parse_day, render_charts, report_text, to_csv, to_xlsx
from handlers.engine import Context, command
from handlers.models import Document, Reply
from storage.survey import responses_between

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_DAYS = 30
@command("/survey", texts.SURVEY_CMD_DESCR, staff=True, personal=True)
async def survey_report_command(ctx: Context, args: str) -> None:
    ctx.show_screen = False  # a report or a hint about the command, not a step: no menu after it
    surveys = ctx.services.surveys
    ids = ", ".join(s.id for s in surveys.surveys)
    words = args.split()
    days = [parse_day(w) for w in words]
    others = [w for w, d in zip(words, days, strict=True) if d is None]
    dates = [d for d in days if d is not None]
    if len(others) > 1 or (others and not re.match(ID_RE, others[0])):
        ctx.say(texts.SURVEY_CMD_USAGE.format(ids=ids))
        return
    survey_id = others[0] if others else None
    today = ctx.now.astimezone(ctx.services.tz).date()
    if len(dates) == 2:
        date_from, date_to = dates
    elif not dates:
        date_from, date_to = today - timedelta(days=DEFAULT_DAYS - 1), today
    else:
        ctx.say(texts.SURVEY_CMD_USAGE.format(ids=ids))
        return
    if date_from > date_to:
        ctx.say(texts.SURVEY_CMD_BAD_RANGE)
        return
    survey = surveys.find(survey_id)
    if survey is None:
        ctx.say(texts.SURVEY_CMD_UNKNOWN.format(id=survey_id, ids=ids))
        return
    responses = await responses_between(ctx.services.db, survey.id, date_from, date_to)
    report = build_report(survey, responses, date_from, date_to)
    for message in report_text(report):
        ctx.say(message)
    if report.total:
        # matplotlib and openpyxl are CPU-bound: keep the event loop free for other clients
        charts = await asyncio.to_thread(render_charts, report)
        for chart in charts:
            ctx.say(Reply(text=chart.caption, image=Document(chart.filename, chart.png, "image/png")))
    xlsx = await asyncio.to_thread(to_xlsx, report)
    stem = report.file_stem()
    ctx.say(Reply(text=texts.SURVEY_REPORT_XLSX, document=Document(f"{stem}.xlsx", xlsx, XLSX_MIME)))
    ctx.say(Reply(text=texts.SURVEY_REPORT_CSV, document=Document(f"{stem}.csv", to_csv(report), "text/csv")))

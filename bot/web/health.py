"""Health: which messengers are connected (from the application) and what the outbox gave up
delivering for the department (to its clients or its staff)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.web.context import user, workspace
from bot.web.render import render
from bot.web.security import Refused, signed_in
from handlers import texts
from storage.outbox import undelivered
from storage.workspace import undelivered_to_clients

routes = web.RouteTableDef()
PREVIEW = 80


@dataclass(frozen=True, slots=True)
class FailedRow:
    at: datetime
    channel: str
    text: str


@routes.get("/health")
@signed_in
async def health_page(request: web.Request) -> web.StreamResponse:
    me, ws = user(request), workspace(request)
    services = ws.services
    visible = me.rights.departments(services)
    department = request.query.get("department") or visible[0]
    if department not in visible:
        raise Refused(403, "Нет доступа", "Это не ваш отдел.")
    failed = []
    for row in await undelivered(services.db, [department], limit=200):
        text = " ".join(str(row.payload.get("reply", {}).get("text", "")).split())
        failed.append(FailedRow(row.finished_at or row.created_at, row.channel,
                                text[:PREVIEW] + ("…" if len(text) > PREVIEW else "")))
    return render(request, "health.html", title="Состояние", channels=await ws.channel_states(),
                  undelivered=await undelivered_to_clients(services.db, department), failed=failed,
                  kinds=texts.WEB_MESSAGE_KINDS, department=department,
                  department_name=services.directory.department(department).name,
                  departments=[(d, services.directory.department(d).name) for d in visible])

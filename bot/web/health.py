"""Health: which messengers are connected (from the application) and what did not reach the
department's clients or its staff chat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.web.context import user, workspace
from bot.web.render import render
from bot.web.security import Refused, signed_in
from handlers import texts
from handlers.requests_common import staff_address
from storage.workspace import failed_sends, undelivered_to_clients

routes = web.RouteTableDef()
PREVIEW = 80


@dataclass(frozen=True, slots=True)
class FailedRow:
    due_at: datetime
    attempts: int
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
    chat = staff_address(services, department)
    failed = []
    for f in await failed_sends(services.db):
        address = f.payload.get("address", {})
        if (address.get("channel"), address.get("chat_id")) == (chat.channel, chat.chat_id):
            text = str(f.payload.get("reply", {}).get("text", ""))
            failed.append(FailedRow(f.due_at, f.attempts, text[:PREVIEW] + ("…" if len(text) > PREVIEW else "")))
    return render(request, "health.html", title="Состояние", channels=await ws.channel_states(),
                  undelivered=await undelivered_to_clients(services.db, department), failed=failed,
                  kinds=texts.WEB_MESSAGE_KINDS, department=department,
                  department_name=services.directory.department(department).name,
                  departments=[(d, services.directory.department(d).name) for d in visible])

"""``/undelivered``: the messages the bot gave up delivering, for the asking department only (a
staff chat's; in a private dialogue, those the person sees; an admin there sees all), newest
first, times in Moscow time."""

from __future__ import annotations

from handlers import texts
from handlers.engine import Context, command
from handlers.rights import event_rights
from storage.outbox import undelivered

SHOWN = 20


@command("/undelivered", texts.CMD_UNDELIVERED, staff=True, personal=True)
async def list_undelivered(ctx: Context, args: str) -> None:
    services = ctx.services
    ctx.show_screen = False
    ev = ctx.event
    department = services.chat_department(ev.channel, ev.chat_id, ev.thread_id)
    rights = event_rights(services, ev)
    if not rights.any:
        ctx.say(texts.STAFF_ONLY)
        return
    if department is not None:
        departments: list[str] | None = [department]
    else:
        departments = None if rights.admin else rights.departments(services)
    rows = await undelivered(services.db, departments, SHOWN)
    if not rows:
        ctx.say(texts.UNDELIVERED_NONE)
        return
    lines = [texts.UNDELIVERED_HEAD.format(count=len(rows))]
    for row in rows:
        moment = (row.finished_at or row.created_at).astimezone(services.tz)
        text = " ".join(str(row.payload.get("reply", {}).get("text", "")).split())
        why = texts.UNDELIVERED_UNREACHABLE if row.status == "unreachable" else texts.UNDELIVERED_FAILED
        lines.append(texts.UNDELIVERED_LINE.format(when=f"{moment:%d.%m %H:%M}", channel=row.channel,
                                                   why=why, text=text[:80]))
    ctx.say("\n".join(lines))

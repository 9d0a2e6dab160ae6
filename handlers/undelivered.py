"""``/undelivered``: the messages the bot gave up delivering, for the asking department only (an
admin sees all), newest first, times in Moscow time."""

from __future__ import annotations

from handlers import texts
from handlers.engine import Context, command
from storage.outbox import undelivered

SHOWN = 20


@command("/undelivered", texts.CMD_UNDELIVERED, staff=True)
async def list_undelivered(ctx: Context, args: str) -> None:
    services = ctx.services
    ctx.show_screen = False
    department = services.staff_chats.get((ctx.event.channel, ctx.event.chat_id))
    admin = f"{ctx.event.channel}:{ctx.event.user_id}" in services.admin_ids
    if department is None and not admin:
        ctx.say(texts.STAFF_ONLY)
        return
    rows = await undelivered(services.db, None if admin and department is None else [department or ""], SHOWN)
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

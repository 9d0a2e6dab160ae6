"""The outbox: a message that could not be sent right now is kept in the database and retried
with backoff by the scheduler (a stored job of kind ``outbox``); after the retry budget it stays
there as ``failed`` and is listed to staff (/undelivered) — never dropped silently."""

from __future__ import annotations

import base64
import logging
from dataclasses import asdict
from datetime import timedelta

from handlers.engine import Context, command
from handlers.jobs import job_handler
from handlers.models import Address, Button, Document, Outgoing, Reply, Venue
from handlers.services import Services
from storage.jobs import Job, failed_jobs, schedule_job

log = logging.getLogger(__name__)
KIND = "outbox"


def _doc(d: dict | None) -> Document | None:
    if d is None:
        return None
    return Document(d["filename"], base64.b64decode(d["content"]), d["mime"], d.get("caption"))


def dump(out: Outgoing) -> dict:
    """An outgoing message as JSON-safe data (files base64-encoded)."""
    reply = out.reply
    data = {
        "address": asdict(out.address),
        "staff": out.staff,
        "reply": {
            "text": reply.text, "title": reply.title, "menu": reply.menu, "tag": reply.tag,
            "request_contact": reply.request_contact,
            "buttons": [[asdict(b) for b in row] for row in reply.buttons],
            "venue": asdict(reply.venue) if reply.venue else None,
        },
    }
    for name in ("document", "image"):
        doc: Document | None = getattr(reply, name)
        data["reply"][name] = None if doc is None else {
            "filename": doc.filename, "mime": doc.mime, "caption": doc.caption,
            "content": base64.b64encode(doc.content).decode()}
    return data


def load(data: dict) -> Outgoing:
    r = data["reply"]
    reply = Reply(text=r["text"], title=r["title"], menu=r["menu"], tag=r["tag"],
                  request_contact=r["request_contact"],
                  buttons=[[Button(**b) for b in row] for row in r["buttons"]],
                  venue=Venue(**r["venue"]) if r["venue"] else None,
                  document=_doc(r["document"]), image=_doc(r["image"]))
    return Outgoing(Address(**data["address"]), reply, data["staff"])


async def keep_for_retry(services: Services, out: Outgoing, error: str,
                         delay: timedelta = timedelta(seconds=30)) -> None:
    now = services.clock()
    log.warning("could not send to %s:%s now (%s); kept in the outbox", out.address.channel,
                out.address.chat_id, error)
    await schedule_job(services.db, KIND, now + delay, dump(out), now=now)


@job_handler(KIND)
async def _resend(job: Job, services: Services) -> list[Outgoing]:
    # The runner delivers it; if that fails again the job is retried with growing pauses and finally
    # kept as failed.
    return [load(job.payload)]


@command("/undelivered", "сообщения, которые не удалось доставить", staff=True)
async def _undelivered(ctx: Context, args: str) -> None:
    jobs = await failed_jobs(ctx.services.db, KIND)
    if not jobs:
        ctx.say("Недоставленных сообщений нет.")
        return
    lines = [f"Не удалось доставить сообщений: {len(jobs)}"]
    for job in jobs[-20:]:
        addr, text = job.payload["address"], job.payload["reply"]["text"]
        lines.append(f"• {job.due_at:%d.%m %H:%M} → {addr['channel']}:{addr['chat_id']}: {text[:80]}")
    ctx.say("\n".join(lines))

"""Scheduled work of written requests: staff messages to clients (and telling staff when one did
not arrive), e-mail copies, deadline alerts, the one-year retention and forgetting a client.

A staff answer is stored and written to the outbox in the staff member's event: it reaches the
client after the commit, survives a restart and is retried on network errors. Its delivery hook
records the outcome in the audit trail; a client who blocked the bot is reported to staff at once
so they reach him another way. The e-mail copy is a message to the client's ``email:`` address,
retried like any other; if it fails for good, staff and the client are told.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from handlers import texts
from handlers.engine import action_payload
from handlers.jobs import daily, delivery_hook, job_handler
from handlers.models import Address, Button, Outgoing, Reply
from handlers.personal import forget_hook
from handlers.requests_common import (
    CLARIFY_TAG,
    TAG,
    carried_files,
    channel_name,
    client_address,
    fmt_date,
    local_date,
    staff_note,
    topic_label,
)
from handlers.services import Services
from handlers.survey_invites import invitation_delay, schedule_invitation
from storage.clients import Client
from storage.jobs import Job, cancel_jobs, schedule_job
from storage.requests import (
    SYSTEM,
    Request,
    RequestMessage,
    anonymise_client_requests,
    delete_closed_before,
    get_message,
    get_request,
    note_action,
    open_requests,
    record_delivery,
)
from storage.sent import forget_tag

log = logging.getLogger(__name__)

EMAIL = "rq_email"
STAFF_NOTE = "rq_staff_note"
RETENTION_YEARS = 1  # the order: messages with their materials are kept one year
DELIVERED_HOOK = "rq_delivered"
EMAIL_HOOK = "rq_emailed"


def client_message(services: Services, rq: Request, msg: RequestMessage) -> Reply:
    """What the client sees: the answer with its department, or a question with a reply button."""
    details = Button(texts.BTN_RQ_DETAILS, payload=action_payload("rq_view", rq.id))
    number, text = rq.id, msg.text or ""
    if msg.kind == "question":
        return Reply(texts.RQ_QUESTION_TO_CLIENT.format(number=number, text=text),
                     buttons=[[Button(texts.BTN_RQ_ANSWER_QUESTION, payload=action_payload("rq_reply", rq.id))]])
    if msg.kind == "answer":
        department = services.directory.department(rq.department).name
        return Reply(texts.RQ_ANSWER_TO_CLIENT.format(number=number, topic=topic_label(services, rq.topic),
                                                      text=text, department=department), buttons=[[details]])
    return Reply(text, buttons=[[details]])  # a notice: the text is ours, already complete


def to_client(services: Services, rq: Request, msg: RequestMessage) -> list[Outgoing]:
    """A staff message (answer, question, notice) for the client, with its e-mail copy when the
    client asked for one; [] when the client can no longer be reached through the bot."""
    address = client_address(rq)
    if address is None or msg.text is None:
        return []
    reply = client_message(services, rq, msg)
    reply.files = carried_files(msg.files)
    person = f"{rq.channel}:{rq.user_id}"
    outs = [Outgoing(address, reply, staff=False, department=rq.department, person=person, hook=DELIVERED_HOOK,
                     hook_args={"request": rq.id, "message": msg.id})]
    if msg.kind == "answer" and rq.extra_channel == "email" and rq.extra_address:
        department = services.directory.department(rq.department).name
        body = texts.RQ_EMAIL_BODY.format(
            name=f", {rq.contact_name}" if rq.contact_name else "", number=rq.id,
            date=fmt_date(services, rq.created_at), topic=topic_label(services, rq.topic), text=msg.text,
            department=department, channel=channel_name(rq.channel))
        outs.append(Outgoing(Address("email", rq.extra_address), Reply(body, title=texts.RQ_EMAIL_SUBJECT.format(
            number=rq.id), files=reply.files), department=rq.department, person=person, hook=EMAIL_HOOK,
            hook_args={"request": rq.id, "message": msg.id}))
    return outs


def _undelivered_note(services: Services, rq: Request) -> list[Outgoing]:
    contacts = ", ".join(p for p in (rq.contact_name, rq.contact_phone,
                                     rq.extra_address if rq.extra_channel == "email" else None) if p)
    text = texts.ST_NOT_DELIVERED.format(number=rq.id, channel=channel_name(rq.channel))
    if contacts:
        text += " " + texts.ST_NOT_DELIVERED_CONTACT.format(contacts=contacts)
    return staff_note(services, rq.department, text, request_id=rq.id)


@delivery_hook(DELIVERED_HOOK)
async def message_delivered(services: Services, args: dict[str, Any], delivered: bool) -> list[Outgoing]:
    rq = await get_request(services.db, args["request"])
    msg = await get_message(services.db, args["message"])
    if rq is None or msg is None:
        return []  # deleted meanwhile (retention, forgotten)
    await record_delivery(services.db, msg.id, delivered, services.clock())
    if delivered:
        if msg.kind == "answer" and rq.user_id and rq.chat_id:
            # An answered request: how satisfied was the client? (the survey decides if it may ask)
            await schedule_invitation(services, rq.channel, rq.user_id, rq.chat_id, "request",
                                      invitation_delay(services, "request"))
        return []
    log.warning("request %d: message %d not delivered to the client", rq.id, msg.id)
    return _undelivered_note(services, rq)


@delivery_hook(EMAIL_HOOK)
async def email_sent(services: Services, args: dict[str, Any], delivered: bool) -> list[Outgoing]:
    rq = await get_request(services.db, args["request"])
    if rq is None:
        return []
    now = services.clock()
    if delivered:
        await note_action(services.db, rq.id, SYSTEM, "emailed", now, new=str(args["message"]))
        return []
    await note_action(services.db, rq.id, SYSTEM, "email_failed", now, new=texts.ST_EMAIL_ERROR)
    outs = staff_note(services, rq.department, texts.ST_EMAIL_FAILED.format(
        number=rq.id, email=rq.extra_address or "—", reason=texts.ST_EMAIL_ERROR), request_id=rq.id)
    address = client_address(rq)
    if address is not None:  # the client chose the copy: he should know it did not come
        outs.append(Outgoing(address, Reply(texts.RQ_EMAIL_COPY_FAILED.format(number=rq.id,
                                                                               email=rq.extra_address or "")),
                             department=rq.department, person=f"{rq.channel}:{rq.user_id}"))
    return outs


@job_handler(STAFF_NOTE)
async def note_to_staff(job: Job, services: Services) -> list[Outgoing]:
    return staff_note(services, job.payload["department"], job.payload["text"], request_id=job.payload.get("request"))


# --------------------------------------------------------------------------- daily routines


@daily("requests_deadlines", 9, 0)
async def deadline_alerts(services: Services) -> list[Outgoing]:
    """Each working morning, per department: overdue requests, due today, due within 3 days."""
    now = services.clock()
    today = local_date(services, now)
    if not services.calendar.is_working_day(today):
        return []
    by_department: dict[str, dict[str, list[str]]] = {}
    for rq in await open_requests(services.db):
        left = (local_date(services, rq.due_at) - today).days
        group = "overdue" if left < 0 else "today" if left == 0 else "soon" if left <= 3 else None
        if group:
            by_department.setdefault(rq.department, {}).setdefault(group, []).append(f"№{rq.id}")
    outs: list[Outgoing] = []
    for department, groups in by_department.items():
        lines = [texts.ST_ALERT_HEAD.format(date=f"{today:%d.%m.%Y}")]
        for group, template in (("overdue", texts.ST_ALERT_OVERDUE), ("today", texts.ST_ALERT_TODAY),
                                ("soon", texts.ST_ALERT_SOON)):
            if groups.get(group):
                lines.append(template.format(items=", ".join(groups[group])))
        lines.append(texts.ST_ALERT_FOOT)
        outs += staff_note(services, department, "\n".join(lines), required=False)
    return outs


def retention_cutoff(now: datetime) -> datetime:
    try:
        return now.replace(year=now.year - RETENTION_YEARS)
    except ValueError:  # 29 February
        return now.replace(year=now.year - RETENTION_YEARS, day=28)


async def forget_request_traces(services: Services, request_id: int) -> None:
    """Nothing of a deleted request is left behind: staff-card tags and pending jobs."""
    await forget_tag(services.db, TAG.format(id=request_id))
    await forget_tag(services.db, CLARIFY_TAG.format(id=request_id))
    await cancel_jobs(services.db, f"rq:{request_id}:")


async def retention(services: Services) -> list[Outgoing]:
    """Delete requests with their messages and files one year after they were closed (part of the
    daily clean-up, handlers/retention.py)."""
    ids = await delete_closed_before(services.db, retention_cutoff(services.clock()))
    for request_id in ids:
        await forget_request_traces(services, request_id)
    if ids:
        log.info("retention: deleted %d requests closed over a year ago", len(ids))
    return []


# --------------------------------------------------------------------------- forgetting a client


@forget_hook
async def forget_client_requests(services: Services, client: Client) -> None:
    """Erase the client's texts, files and contacts from his requests; open ones are withdrawn and
    their department told (through a job: a hook returns no messages)."""
    now = services.clock()
    for rq in await anonymise_client_requests(services.db, client.channel, client.user_id, now):
        await cancel_jobs(services.db, f"rq:{rq.id}:")
        await schedule_job(services.db, STAFF_NOTE, now, {"department": rq.department, "request": rq.id,
                                                          "text": texts.ST_WITHDRAWN.format(number=rq.id)},
                           now=now, key=f"rq:{rq.id}:withdrawn")
    log.info("forgot the requests of client %d", client.id)


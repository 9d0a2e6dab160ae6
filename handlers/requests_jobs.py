"""Scheduled work of written requests: delivering staff messages to clients (and telling staff when
one did not arrive), e-mail copies, deadline alerts, the one-year retention and forgetting a client.

Why delivery is a stored job: a staff answer is saved first and delivered by the job runner, so it
survives a restart and is retried on network errors; the message carries an ``on_result`` hook
that ``App.deliver`` calls with the outcome. A client who blocked the bot (the channel returns
False) is recorded in the audit trail and staff are told at once to reach him another way.
"""

from __future__ import annotations

import logging
from datetime import datetime

from aiosmtplib import SMTPException

from handlers import texts
from handlers.engine import action_payload
from handlers.jobs import daily, job_handler
from handlers.models import Button, MailNotConfigured, Outgoing, Reply
from handlers.personal import forget_hook
from handlers.requests_common import (
    CLARIFY_TAG,
    TAG,
    channel_name,
    client_address,
    fmt_date,
    forwardable,
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

DELIVER = "rq_deliver"
EMAIL = "rq_email"
STAFF_NOTE = "rq_staff_note"
EMAIL_ATTEMPTS = 5  # the job runner retries 4 times (1 min ... 2 h); the 5th failure is reported
RETENTION_YEARS = 1  # the order: messages with their materials are kept one year


async def schedule_delivery(services: Services, rq: Request, msg: RequestMessage, now: datetime) -> None:
    """Deliver a staff message (answer, question, notice) to the client now, through the job runner."""
    await schedule_job(services.db, DELIVER, now, {"request": rq.id, "message": msg.id}, now=now,
                       key=f"rq:{rq.id}:deliver:{msg.id}")
    if msg.kind == "answer" and rq.extra_channel == "email" and rq.extra_address:
        await schedule_job(services.db, EMAIL, now, {"request": rq.id, "message": msg.id}, now=now,
                           key=f"rq:{rq.id}:email:{msg.id}")


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


def _undelivered_note(services: Services, rq: Request) -> Outgoing:
    contacts = ", ".join(p for p in (rq.contact_name, rq.contact_phone,
                                     rq.extra_address if rq.extra_channel == "email" else None) if p)
    text = texts.ST_NOT_DELIVERED.format(number=rq.id, channel=channel_name(rq.channel))
    if contacts:
        text += " " + texts.ST_NOT_DELIVERED_CONTACT.format(contacts=contacts)
    return staff_note(services, rq.department, text, request_id=rq.id)


@job_handler(DELIVER)
async def deliver_to_client(job: Job, services: Services) -> list[Outgoing]:
    rq = await get_request(services.db, job.payload["request"])
    msg = await get_message(services.db, job.payload["message"])
    if rq is None or msg is None:
        return []  # deleted meanwhile (retention)
    address = client_address(rq)
    if address is None or msg.text is None:
        return [staff_note(services, rq.department, texts.ST_GONE.format(number=rq.id), request_id=rq.id)]
    reply = client_message(services, rq, msg)
    reply.files = forwardable(msg.files, address)

    async def on_result(delivered: bool) -> list[Outgoing]:
        await record_delivery(services.db, msg.id, delivered, services.clock())
        if delivered:
            if msg.kind == "answer" and rq.user_id and rq.chat_id:
                # An answered request: how satisfied was the client? (the survey decides if it may ask)
                await schedule_invitation(services, rq.channel, rq.user_id, rq.chat_id, "request",
                                          invitation_delay(services, "request"))
            return []
        log.warning("request %d: message %d not delivered to %s:%s", rq.id, msg.id, rq.channel, rq.chat_id)
        return [_undelivered_note(services, rq)]

    return [Outgoing(address, reply, staff=False, on_result=on_result)]


@job_handler(EMAIL)
async def email_copy(job: Job, services: Services) -> list[Outgoing]:
    rq = await get_request(services.db, job.payload["request"])
    msg = await get_message(services.db, job.payload["message"])
    if rq is None or msg is None or not rq.extra_address or msg.text is None:
        return []
    department = services.directory.department(rq.department).name
    body = texts.RQ_EMAIL_BODY.format(
        name=f", {rq.contact_name}" if rq.contact_name else "", number=rq.id, date=fmt_date(services, rq.created_at),
        topic=topic_label(services, rq.topic), text=msg.text, department=department,
        channel=channel_name(rq.channel))
    try:
        if services.send_mail is None:
            raise MailNotConfigured("no mail sender")
        await services.send_mail(rq.extra_address, texts.RQ_EMAIL_SUBJECT.format(number=rq.id), body)
    except MailNotConfigured:
        reason = texts.ST_EMAIL_NOT_CONFIGURED
    except (SMTPException, OSError, TimeoutError) as exc:
        if job.attempts < EMAIL_ATTEMPTS:
            raise  # the runner retries later
        log.error("request %d: e-mail copy to %s failed for good: %s", rq.id, rq.extra_address, exc)
        reason = texts.ST_EMAIL_ERROR
    else:
        await note_action(services.db, rq.id, SYSTEM, "emailed", services.clock(), new=str(msg.id))
        return []
    await note_action(services.db, rq.id, SYSTEM, "email_failed", services.clock(), new=reason)
    return [staff_note(services, rq.department, texts.ST_EMAIL_FAILED.format(
        number=rq.id, email=rq.extra_address, reason=reason), request_id=rq.id)]


@job_handler(STAFF_NOTE)
async def note_to_staff(job: Job, services: Services) -> list[Outgoing]:
    return [staff_note(services, job.payload["department"], job.payload["text"], request_id=job.payload.get("request"))]


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
    outs = []
    for department, groups in by_department.items():
        lines = [texts.ST_ALERT_HEAD.format(date=f"{today:%d.%m.%Y}")]
        for group, template in (("overdue", texts.ST_ALERT_OVERDUE), ("today", texts.ST_ALERT_TODAY),
                                ("soon", texts.ST_ALERT_SOON)):
            if groups.get(group):
                lines.append(template.format(items=", ".join(groups[group])))
        lines.append(texts.ST_ALERT_FOOT)
        outs.append(staff_note(services, department, "\n".join(lines)))
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


@daily("requests_retention", 3, 30)
async def retention(services: Services) -> list[Outgoing]:
    """Delete requests with their messages and files one year after they were closed."""
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


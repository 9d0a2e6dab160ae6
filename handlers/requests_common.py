"""What the citizen's and the staff's sides of written requests share: notes to a department's
staff, deadlines in local dates, the staff card, files and messages to the client."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from handlers import texts
from handlers.destinations import to_staff
from handlers.engine import action_payload
from handlers.models import Address, Attachment, Button, Outgoing, Reply
from handlers.services import Services
from storage.requests import Request, RequestMessage

ANSWER_DAYS = 30  # 59-FZ art. 12 part 1: 30 days from registration
MAX_EXTENSION_DAYS = 30  # art. 12 part 2: once, by up to 30 days, telling the client
TAG = "request:{id}"  # staff cards and everything staff may reply to with an answer
CLARIFY_TAG = "rqclar:{id}"  # "reply with your question" prompts


def staff_note(services: Services, department: str, text: str, *, request_id: int | None = None,
               buttons: list[list[Button]] | None = None, required: bool = True) -> list[Outgoing]:
    """A note to every staff destination of the department (tagged with the request: a reply to it
    answers the client); see ``to_staff`` for ``required``."""
    tag = TAG.format(id=request_id) if request_id else None
    return to_staff(services, department, Reply(text=text, buttons=buttons or [], tag=tag), required=required)


def client_address(rq: Request) -> Address | None:
    if rq.user_id is None or rq.chat_id is None:
        return None  # the client asked to be forgotten
    return Address(rq.channel, rq.chat_id, user_id=rq.user_id)


# --------------------------------------------------------------------------- dates


def local_date(services: Services, moment: datetime) -> date:
    return moment.astimezone(services.tz).date()


def fmt_date(services: Services, moment: datetime) -> str:
    return f"{local_date(services, moment):%d.%m.%Y}"


def fmt_time(services: Services, moment: datetime) -> str:
    return f"{moment.astimezone(services.tz):%d.%m.%Y %H:%M}"


def end_of_day(services: Services, day: date) -> datetime:
    """The last minute of a local day: a deadline "by 16.04" lasts the whole 16th."""
    return datetime(day.year, day.month, day.day, 23, 59, tzinfo=services.tz)


def standard_due(services: Services, registered: datetime) -> datetime:
    return end_of_day(services, local_date(services, registered) + timedelta(days=ANSWER_DAYS))


def add_working_days(services: Services, start: date, days: int) -> date:
    """The working day ``days`` working days after ``start``; callers bound ``days`` (a loop per day)."""
    if not 0 <= days <= 366:
        raise ValueError(f"{days} working days: out of bounds")
    day = start
    while days > 0:
        day += timedelta(days=1)
        if services.calendar.is_working_day(day):
            days -= 1
    return day


def days_left(services: Services, rq: Request, now: datetime) -> int:
    return (local_date(services, rq.due_at) - local_date(services, now)).days


def left_text(days: int) -> str:
    if days > 0:
        return texts.LEFT_DAYS.format(n=days)
    return texts.LEFT_TODAY if days == 0 else texts.LEFT_OVERDUE.format(n=-days)


# --------------------------------------------------------------------------- labels


def topic_label(services: Services, topic_id: str) -> str:
    topic = services.directory.topic(topic_id)
    return topic.short if topic else topic_id


def need_label(services: Services, need_id: str | None) -> str:
    need = services.directory.need(need_id) if need_id else None
    return need.label if need else texts.CARD_NEED_UNKNOWN


def channel_name(channel: str) -> str:
    return texts.CHANNEL_NAMES.get(channel, channel)


def contact_text(rq: Request) -> str:
    parts = [p for p in (rq.contact_name, rq.contact_phone) if p]
    if rq.extra_channel == "email" and rq.extra_address:
        parts.append(rq.extra_address)
    return ", ".join(parts) or "—"


# --------------------------------------------------------------------------- files


def attachment_dict(a: Attachment, channel: str) -> dict[str, Any]:
    """A file as stored with a request, with the platform it came from (its id is valid there)."""
    return {"kind": a.kind, "file_id": a.file_id, "filename": a.filename, "mime": a.mime, "size": a.size,
            "url": a.url, "channel": a.channel or channel}


def stored_attachment(f: dict[str, Any]) -> Attachment:
    """A stored file as the attachment of the platform it came from."""
    return Attachment(kind=f.get("kind", "other"), file_id=f.get("file_id"), filename=f.get("filename"),
                      mime=f.get("mime"), size=f.get("size"), url=f.get("url"), channel=f.get("channel"))


def _carried(f: dict[str, Any]) -> bool:
    """A file that can be shown elsewhere: a place on a map is not a file."""
    return f.get("kind") != "location" and bool(f.get("file_id") or f.get("url"))


def carried_files(files: list[dict[str, Any]]) -> tuple[Attachment, ...]:
    """Stored files as they go with a message: re-sent by id on their own platform, fetched and
    uploaded anew on another (bot.files), with a note where that cannot be done."""
    return tuple(stored_attachment(f) for f in files if _carried(f))


def file_name(f: dict[str, Any]) -> str:
    return f.get("filename") or texts.FILE_KINDS.get(f.get("kind", ""), texts.FILE_KINDS["other"])


def files_line(files: list[dict[str, Any]], *, resent: bool) -> str:
    """The card's line about attachments: sent with the card (or with it before), or what it is."""
    items = []
    for f in files:
        if _carried(f):
            items.append(f"{file_name(f)} — {texts.CARD_FILES_BELOW if resent else texts.CARD_FILES_EARLIER}")
        else:
            items.append(texts.CARD_FILE_ELSEWHERE.format(kind=file_name(f), channel=channel_name(
                f.get("channel", "")), ref=f.get("file_id") or "—"))
    return texts.CARD_FILES.format(n=len(files), items="; ".join(items))


# --------------------------------------------------------------------------- the staff card


def card_buttons(rq: Request) -> list[list[Button]]:
    if not rq.is_open:
        return []

    def b(label: str, name: str, arg: str = "") -> Button:
        return Button(label, payload=action_payload(name, f"{rq.id}{arg}"))

    return [
        [b(texts.BTN_TAKE, "rq_take"), b(texts.BTN_CLARIFY, "rq_clarify")],
        [b(texts.BTN_URGENT, "rq_urgent", ":1"), b(texts.BTN_NOT_URGENT, "rq_urgent", ":0")],
        [b(texts.BTN_TOPIC, "rq_topics"), b(texts.BTN_NEED, "rq_needs")],
        [b(texts.BTN_SHORTEN, "rq_shorts"), b(texts.BTN_EXTEND, "rq_exts")],
        [b(texts.BTN_CLOSE, "rq_close")],
    ]


def urgency_line(rq: Request) -> str:
    if rq.urgent is True:
        return texts.CARD_URGENT_YES
    if rq.urgent is False:
        return texts.CARD_URGENT_NO
    if rq.signals:
        return texts.CARD_URGENCY_SIGNALS.format(signals="; ".join(rq.signals))
    return texts.CARD_URGENCY_NONE


def card(services: Services, rq: Request, messages: list[RequestMessage], now: datetime, *,
         resend_files: bool = True) -> Reply:
    """The request as staff see it. Client text goes in as data, never as a template or markup:
    the channels escape it (Telegram HTML) or show it as is (console, VK, e-mail)."""
    channel = channel_name(rq.channel)
    if rq.extra_channel == "email" and rq.extra_address:
        channel += texts.CARD_EXTRA_EMAIL.format(email=rq.extra_address)
    elif rq.extra_channel == "phone" and rq.contact_phone:
        channel += texts.CARD_EXTRA_CALL.format(phone=rq.contact_phone)
    lines = [
        texts.CARD_HEAD.format(number=rq.id, status=texts.STATUS.get(rq.status, rq.status)),
        texts.CARD_TOPIC.format(topic=topic_label(services, rq.topic)),
        texts.CARD_NEED.format(need=need_label(services, rq.need)),
        urgency_line(rq),
        texts.CARD_DUE.format(due=fmt_date(services, rq.due_at), left=left_text(days_left(services, rq, now)),
                              kind=texts.CARD_DUE_KIND.get(rq.deadline_kind, "")),
        texts.CARD_CHANNEL.format(channel=channel),
        texts.CARD_CONTACT.format(contact=contact_text(rq)),
    ]
    if rq.assignee_name or rq.assignee_id:
        lines.append(texts.CARD_ASSIGNEE.format(name=rq.assignee_name or rq.assignee_id))
    lines.append(texts.CARD_CREATED.format(at=fmt_time(services, rq.created_at)))
    client = [m for m in messages if m.author == "client"]
    files = [f for m in client for f in m.files]
    if rq.anonymised_at:
        lines += ["", texts.CARD_ANONYMISED]
    for m in client:
        if m.text:
            head = texts.CARD_TEXT if m.kind == "text" else texts.CARD_LATER.get(m.kind, texts.CARD_TEXT)
            lines += ["", head.format(date=fmt_time(services, m.at)), m.text]
    if files:
        lines += ["", files_line(files, resent=resend_files)]
    if rq.is_open:
        lines += ["", texts.CARD_HINT.format(number=rq.id)]
    return Reply(text="\n".join(lines), buttons=card_buttons(rq), tag=TAG.format(id=rq.id),
                 files=carried_files(files) if resend_files else ())

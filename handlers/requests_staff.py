"""Written requests, the staff's side: cards in the department's staff chat, answering by replying to
a card, buttons on the card (take, urgent / not urgent, topic and need, clarify, deadlines, close)
and commands for the same, so that staff can work from any chat and the console demo too:

    /requests                 open requests, overdue first
    /request N                the card of a request (reply to it to answer)
    /answer N text            answer the client        /clarify N text    ask the client to clarify
    /take N                   take into work           /urgent N да|нет   confirm urgency
    /deadline N DD.MM.YYYY    shortened deadline (head)   /extend N days   extend once, <= 30 days (head)
    /close N                  close without an answer through the bot

Who may act is handlers.rights: in a department's staff chat (or forum topic) its members, for
that department; in a private dialogue with the bot the staff and heads the directory lists, for
their departments; admins everywhere. Anyone else is refused politely and logged.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

from handlers import texts
from handlers.destinations import to_staff
from handlers.engine import Context, action, action_payload, chat_router, command
from handlers.inputs import full_year, make_date, parse_id, parse_int, split_arg
from handlers.models import Attachment, Button, Reply
from handlers.requests_common import (
    CLARIFY_TAG,
    MAX_EXTENSION_DAYS,
    TAG,
    add_working_days,
    attachment_dict,
    card,
    channel_name,
    client_address,
    contact_text,
    days_left,
    end_of_day,
    fmt_date,
    left_text,
    local_date,
    staff_note,
    topic_label,
)
from handlers.requests_jobs import to_client
from handlers.rights import event_rights, scope
from storage.requests import (
    Actor,
    Request,
    add_message,
    get_request,
    note_action,
    open_requests,
    reclassify,
    request_messages,
    set_deadline,
    set_status,
    set_urgency,
    take_request,
)
from storage.sent import find_tag

log = logging.getLogger(__name__)

SHORT_DAYS = (1, 3, 5, 10)  # working days offered for a shortened deadline
MAX_SHORT_DAYS = 30  # a shortened deadline lies within the 30 days of the standard one
EXTEND_DAYS = (10, 20, 30)
LIST_LIMIT = 40
_DEADLINE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4}|[0-9]{2})")


# --------------------------------------------------------------------------- who may act


def actor(ctx: Context) -> Actor:
    return Actor(f"{ctx.event.channel}:{ctx.event.user_id}", ctx.event.user_name)


def _own_department(ctx: Context) -> str | None:
    """The department of the staff chat (or forum topic) the event comes from."""
    ev = ctx.event
    return ctx.services.chat_department(ev.channel, ev.chat_id, ev.thread_id)


def _is_head(ctx: Context, department: str) -> bool:
    return event_rights(ctx.services, ctx.event).heads(department)


async def _load(ctx: Context, number: str) -> Request | None:
    """The request an action or command is about, if this person may act on it (else say why).
    Rights come first, before anything is read or computed."""
    ctx.show_screen = False
    rights = event_rights(ctx.services, ctx.event)
    if not rights.any:
        log.warning("refused a staff action on request %r from %s:%s in chat %s", number[:30], *ctx.event.key,
                    ctx.event.chat_id)
        ctx.say(texts.STAFF_ONLY)
        return None
    request_id = parse_id(number)
    if request_id is None:
        ctx.say(texts.ST_HELP)
        return None
    rq = await get_request(ctx.services.db, request_id)
    if rq is None:
        ctx.say(texts.ST_NO_REQUEST.format(number=request_id))
        return None
    own = _own_department(ctx)
    if not rights.admin and ((own is not None and own != rq.department) or not rights.sees(rq.department)):
        log.warning("%s:%s (in the chat of %s) tried request %d of %s", *ctx.event.key, own, rq.id, rq.department)
        ctx.say(texts.ST_OTHER_DEPARTMENT.format(number=rq.id))
        return None
    return rq


def _open(ctx: Context, rq: Request) -> bool:
    if rq.is_open:
        return True
    ctx.say(texts.ST_NOT_OPEN.format(number=rq.id, status=texts.STATUS.get(rq.status, rq.status)))
    return False


def _pressed(ctx: Context) -> bool:
    """A button press: the answer may replace the pressed message (Telegram edits it in place)."""
    return ctx.event.payload is not None


async def show_card(ctx: Context, rq: Request) -> None:
    messages = await request_messages(ctx.services.db, rq.id)
    pressed = _pressed(ctx)
    reply = card(ctx.services, rq, messages, ctx.now, resend_files=not pressed)
    reply.menu = pressed
    ctx.say(reply)


async def send_card(ctx: Context, rq: Request) -> None:
    """A new card for the request's department (a new request, or one moved from another)."""
    messages = await request_messages(ctx.services.db, rq.id)
    for out in to_staff(ctx.services, rq.department, card(ctx.services, rq, messages, ctx.now)):
        ctx.send(out)


def _chooser(rq: Request, text: str, name: str, choices: list[tuple[str, str]]) -> Reply:
    rows = [[Button(label, payload=action_payload(name, f"{rq.id}:{value}"))] for value, label in choices]
    rows.append([Button(texts.BTN_BACK, payload=action_payload("rq_card", rq.id))])
    return Reply(text=text, buttons=rows, menu=True, tag=TAG.format(id=rq.id))


# --------------------------------------------------------------------------- answering and clarifying


async def _to_client(ctx: Context, rq: Request, kind: str, text: str, files: tuple[Attachment, ...] = ()) -> bool:
    """Store a staff message for the client; it goes out (with its e-mail copy) after this event
    commits. False (and staff told why) when the client cannot be reached through the bot at all."""
    address = client_address(rq)
    if address is None:
        ctx.say(texts.ST_GONE.format(number=rq.id))
        return False
    stored = [attachment_dict(a, ctx.event.channel) for a in files]
    msg = await add_message(ctx.services.db, rq.id, author="staff", kind=kind, text=text, files=stored,
                            now=ctx.now, staff=actor(ctx))
    await note_action(ctx.services.db, rq.id, actor(ctx), kind, ctx.now, new=str(msg.id))  # who wrote what, when
    for out in to_client(ctx.services, rq, msg):
        ctx.send(out)
    return True


async def answer(ctx: Context, rq: Request, text: str, files: tuple[Attachment, ...] = ()) -> None:
    if rq.status in ("closed", "withdrawn"):
        _open(ctx, rq)
        return
    if not text and not files:
        ctx.say(texts.ST_EMPTY_ANSWER)
        return
    if not await _to_client(ctx, rq, "answer", text, files):
        return
    if rq.status != "answered":
        await set_status(ctx.services.db, rq.id, "answered", actor(ctx), ctx.now)
    said = texts.ST_ANSWER_ACCEPTED.format(number=rq.id, channel=channel_name(rq.channel))
    if rq.extra_channel == "email" and rq.extra_address:
        said += " " + texts.ST_ANSWER_EMAIL.format(email=rq.extra_address)
    ctx.say(said)
    if rq.extra_channel == "phone":
        for out in staff_note(ctx.services, rq.department,
                              texts.ST_CALLBACK_TASK.format(number=rq.id, contact=contact_text(rq)), request_id=rq.id):
            ctx.send(out)


async def clarify(ctx: Context, rq: Request, text: str, files: tuple[Attachment, ...] = ()) -> None:
    if not _open(ctx, rq):
        return
    if not text:
        ctx.say(texts.ST_EMPTY_ANSWER)
        return
    if await _to_client(ctx, rq, "question", text, files):
        await set_status(ctx.services.db, rq.id, "clarify", actor(ctx), ctx.now)
        ctx.say(Reply(texts.ST_QUESTION_ACCEPTED.format(number=rq.id), tag=TAG.format(id=rq.id)))


@chat_router
async def staff_reply(ctx: Context) -> bool:
    """A staff member replies (Reply) to a request card or a clarify prompt: in a staff chat, or in
    his private dialogue with the bot (a card /request showed him there)."""
    ev = ctx.event
    if ev.reply_to is None:
        return False
    if not ctx.services.is_staff_chat(ev.channel, ev.chat_id) and (ev.group or not ctx.is_staff()):
        return False  # an ordinary group, or a citizen's own dialogue
    if (ev.text or "").lstrip().startswith("/"):
        return False  # a command, even when written as a reply, is a command
    tag = await find_tag(ctx.services.db, ev.channel, ev.chat_id, ev.reply_to)
    kind, _, number = (tag or "").partition(":")
    if kind not in ("request", "rqclar") or parse_id(number) is None:
        return False
    rq = await _load(ctx, number)
    if rq is not None:
        text = (ev.text or "").strip()
        if kind == "request":
            await answer(ctx, rq, text, ev.attachments)
        else:
            await clarify(ctx, rq, text, ev.attachments)
    return True


# --------------------------------------------------------------------------- card buttons


def _bad_button(ctx: Context, rq: Request) -> None:
    """A button whose choice makes no sense (forged, or from an older version of the card)."""
    ctx.say(texts.ST_BAD_BUTTON.format(number=rq.id))


@action("rq_card")
async def act_card(ctx: Context, arg: str) -> None:
    rq = await _load(ctx, split_arg(arg)[0])
    if rq is not None:
        await show_card(ctx, rq)


@action("rq_take")
async def act_take(ctx: Context, arg: str) -> None:
    rq = await _load(ctx, split_arg(arg)[0])
    if rq is None or not _open(ctx, rq):
        return
    updated = await take_request(ctx.services.db, rq.id, actor(ctx), ctx.now)
    assert updated is not None
    if _pressed(ctx):
        await show_card(ctx, updated)
    else:
        ctx.say(texts.ST_TAKEN.format(number=rq.id, name=ctx.event.user_name or actor(ctx).id))


async def mark_urgency(ctx: Context, rq: Request, urgent: bool) -> None:
    if not _open(ctx, rq):
        return
    updated = await set_urgency(ctx.services.db, rq.id, urgent, actor(ctx), ctx.now)
    assert updated is not None
    if _pressed(ctx):
        await show_card(ctx, updated)
    if urgent:
        ctx.say(texts.ST_URGENT_SET.format(number=rq.id))
    elif not _pressed(ctx):
        ctx.say(texts.ST_NOT_URGENT_SET.format(number=rq.id, due=fmt_date(ctx.services, rq.due_at)))


@action("rq_urgent")
async def act_urgent(ctx: Context, arg: str) -> None:
    number, choice = split_arg(arg)
    rq = await _load(ctx, number)
    if rq is None:
        return
    if choice not in ("0", "1"):
        _bad_button(ctx, rq)
        return
    await mark_urgency(ctx, rq, choice == "1")


@action("rq_topics")
async def act_topics(ctx: Context, arg: str) -> None:
    rq = await _load(ctx, split_arg(arg)[0])
    if rq is not None and _open(ctx, rq):
        choices = [(t.id, t.short) for t in ctx.services.directory.topics]
        ctx.say(_chooser(rq, texts.ST_PICK_TOPIC.format(number=rq.id), "rq_topic", choices))


@action("rq_topic")
async def act_topic(ctx: Context, arg: str) -> None:
    number, topic_id = split_arg(arg)
    rq = await _load(ctx, number)
    if rq is None or not _open(ctx, rq):
        return
    topic = ctx.services.directory.topic(topic_id)
    if topic is None:
        _bad_button(ctx, rq)
        return
    need = rq.need
    if topic.needs and need not in topic.needs:  # the need must be one this topic knows
        messages = await request_messages(ctx.services.db, rq.id)
        need = ctx.services.understanding.need(" ".join(m.text or "" for m in messages if m.author == "client"),
                                               topic)
    updated = await reclassify(ctx.services.db, rq.id, actor(ctx), ctx.now, topic=topic.id,
                               department=topic.department, need=need)
    assert updated is not None
    if updated.department != rq.department:
        dep = ctx.services.directory.department(updated.department)
        ctx.say(Reply(texts.ST_MOVED.format(number=rq.id, department=dep.name), menu=_pressed(ctx)))
        for out in staff_note(ctx.services, updated.department, texts.ST_MOVED_IN.format(number=rq.id)):
            ctx.send(out)
        await send_card(ctx, updated)
    else:
        await show_card(ctx, updated)


@action("rq_needs")
async def act_needs(ctx: Context, arg: str) -> None:
    rq = await _load(ctx, split_arg(arg)[0])
    if rq is None or not _open(ctx, rq):
        return
    topic = ctx.services.directory.topic(rq.topic)
    needs = [n for n in ctx.services.directory.needs if not (topic and topic.needs) or n.id in topic.needs]
    ctx.say(_chooser(rq, texts.ST_PICK_NEED.format(number=rq.id), "rq_need", [(n.id, n.label) for n in needs]))


@action("rq_need")
async def act_need(ctx: Context, arg: str) -> None:
    number, need_id = split_arg(arg)
    rq = await _load(ctx, number)
    if rq is None or not _open(ctx, rq):
        return
    need = ctx.services.directory.need(need_id)
    if need is None:
        _bad_button(ctx, rq)
        return
    updated = await reclassify(ctx.services.db, rq.id, actor(ctx), ctx.now, need=need.id)
    assert updated is not None
    await show_card(ctx, updated)


# --------------------------------------------------------------------------- deadlines (the head)


def _may_set_deadline(ctx: Context, rq: Request) -> bool:
    if not _open(ctx, rq):
        return False
    if not _is_head(ctx, rq.department):
        log.warning("%s:%s is not a head of %s: deadline of request %d refused", *ctx.event.key, rq.department,
                    rq.id)
        ctx.say(texts.ST_ONLY_HEAD)
        return False
    return True


async def shorten(ctx: Context, rq: Request, day: date) -> None:
    if not _may_set_deadline(ctx, rq):
        return
    if rq.urgent is not True:
        ctx.say(texts.ST_ONLY_URGENT.format(number=rq.id))
        return
    if not local_date(ctx.services, ctx.now) <= day < local_date(ctx.services, rq.due_at):
        ctx.say(texts.ST_NOT_SHORTER.format(due=fmt_date(ctx.services, rq.due_at)))
        return
    await _new_deadline(ctx, rq, end_of_day(ctx.services, day), "shortened", texts.RQ_SHORTENED_TO_CLIENT)


async def extend(ctx: Context, rq: Request, days: int) -> None:
    if not _may_set_deadline(ctx, rq):
        return
    if rq.extended:
        ctx.say(texts.ST_ALREADY_EXTENDED.format(number=rq.id))
        return
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        ctx.say(texts.ST_BAD_DAYS.format(limit=MAX_EXTENSION_DAYS))
        return
    due = end_of_day(ctx.services, local_date(ctx.services, rq.due_at) + timedelta(days=days))
    await _new_deadline(ctx, rq, due, "extended", texts.RQ_EXTENDED_TO_CLIENT)


async def _new_deadline(ctx: Context, rq: Request, due: datetime, kind: str, notice: str) -> None:
    updated = await set_deadline(ctx.services.db, rq.id, due, kind, actor(ctx), ctx.now)
    assert updated is not None
    await _to_client(ctx, updated, "notice", notice.format(number=rq.id, due=fmt_date(ctx.services, due)))
    if _pressed(ctx):
        await show_card(ctx, updated)
    ctx.say(texts.ST_DEADLINE_SET.format(number=rq.id, due=fmt_date(ctx.services, due)))


@action("rq_shorts")
async def act_shorts(ctx: Context, arg: str) -> None:
    rq = await _load(ctx, split_arg(arg)[0])
    if rq is None or not _may_set_deadline(ctx, rq):
        return
    if rq.urgent is not True:
        ctx.say(texts.ST_ONLY_URGENT.format(number=rq.id))
        return
    choices = [(str(n), texts.BTN_DAYS.format(n=n)) for n in SHORT_DAYS]
    ctx.say(_chooser(rq, texts.ST_PICK_SHORT.format(number=rq.id), "rq_short", choices))


@action("rq_short")
async def act_short(ctx: Context, arg: str) -> None:
    number, choice = split_arg(arg)
    rq = await _load(ctx, number)
    if rq is None or not _may_set_deadline(ctx, rq):  # rights before any work
        return
    days = parse_int(choice, 1, MAX_SHORT_DAYS)
    if days is None:
        _bad_button(ctx, rq)
        return
    await shorten(ctx, rq, add_working_days(ctx.services, local_date(ctx.services, ctx.now), days))


@action("rq_exts")
async def act_exts(ctx: Context, arg: str) -> None:
    rq = await _load(ctx, split_arg(arg)[0])
    if rq is None or not _may_set_deadline(ctx, rq):
        return
    if rq.extended:
        ctx.say(texts.ST_ALREADY_EXTENDED.format(number=rq.id))
        return
    choices = [(str(n), texts.BTN_DAYS.format(n=n)) for n in EXTEND_DAYS]
    ctx.say(_chooser(rq, texts.ST_PICK_EXTEND.format(number=rq.id), "rq_ext", choices))


@action("rq_ext")
async def act_ext(ctx: Context, arg: str) -> None:
    number, choice = split_arg(arg)
    rq = await _load(ctx, number)
    if rq is None or not _may_set_deadline(ctx, rq):
        return
    days = parse_int(choice, 1, MAX_EXTENSION_DAYS)
    if days is None:
        _bad_button(ctx, rq)
        return
    await extend(ctx, rq, days)


# --------------------------------------------------------------------------- clarify, close


@action("rq_clarify")
async def act_clarify(ctx: Context, arg: str) -> None:
    rq = await _load(ctx, split_arg(arg)[0])
    if rq is not None and _open(ctx, rq):
        ctx.say(Reply(texts.ST_ASK_CLARIFY.format(number=rq.id), tag=CLARIFY_TAG.format(id=rq.id)))


async def close(ctx: Context, rq: Request) -> None:
    if not _open(ctx, rq):
        return
    updated = await set_status(ctx.services.db, rq.id, "closed", actor(ctx), ctx.now)
    assert updated is not None
    if _pressed(ctx):
        await show_card(ctx, updated)
    ctx.say(texts.ST_CLOSED.format(number=rq.id))


@action("rq_close")
async def act_close(ctx: Context, arg: str) -> None:
    rq = await _load(ctx, split_arg(arg)[0])
    if rq is not None:
        await close(ctx, rq)


# --------------------------------------------------------------------------- commands


_ARGS = re.compile(r"\s*(№?\s*\S*)\s*(.*)", re.DOTALL)


def _args(args: str) -> tuple[str, str]:
    """``№ 17 текст ответа`` -> (``№ 17``, ``текст ответа``): the request's number and the rest."""
    m = _ARGS.match(args)
    assert m is not None  # matches any text
    return m.group(1), m.group(2).strip()


@command("/requests", texts.CMD_REQUESTS, staff=True, personal=True)
async def cmd_requests(ctx: Context, args: str) -> None:
    ctx.show_screen = False
    departments = scope(ctx.services, ctx.event)
    if len(departments) == 1:
        items = await open_requests(ctx.services.db, departments[0])
    else:  # a private dialogue of someone who sees several departments
        items = [rq for rq in await open_requests(ctx.services.db) if rq.department in departments]
    if not items:
        ctx.say(texts.ST_LIST_EMPTY)
        return
    lines = [texts.ST_LIST_HEAD.format(n=len(items))]
    for rq in items[:LIST_LIMIT]:  # already ordered by deadline: overdue ones come first
        urgent = texts.ST_LIST_URGENT if rq.urgent else texts.ST_LIST_MAYBE_URGENT if (
            rq.urgent is None and rq.signals) else ""
        lines.append(texts.ST_LIST_LINE.format(
            number=rq.id, due=fmt_date(ctx.services, rq.due_at), left=left_text(days_left(ctx.services, rq, ctx.now)),
            topic=topic_label(ctx.services, rq.topic), urgent=urgent, status=texts.STATUS.get(rq.status, rq.status),
            assignee=f" · {rq.assignee_name}" if rq.assignee_name else ""))
    if len(items) > LIST_LIMIT:
        lines.append(f"… ещё {len(items) - LIST_LIMIT}")
    ctx.say("\n".join(lines))


@command("/request", texts.CMD_REQUEST, staff=True, personal=True)
async def cmd_request(ctx: Context, args: str) -> None:
    rq = await _load(ctx, _args(args)[0])
    if rq is not None:
        await show_card(ctx, rq)


@command("/answer", texts.CMD_ANSWER, staff=True)
async def cmd_answer(ctx: Context, args: str) -> None:
    number, text = _args(args)
    rq = await _load(ctx, number)
    if rq is not None:
        await answer(ctx, rq, text, ctx.event.attachments)


@command("/clarify", texts.CMD_CLARIFY, staff=True)
async def cmd_clarify(ctx: Context, args: str) -> None:
    number, text = _args(args)
    rq = await _load(ctx, number)
    if rq is not None:
        await clarify(ctx, rq, text, ctx.event.attachments)


@command("/take", texts.CMD_TAKE, staff=True)
async def cmd_take(ctx: Context, args: str) -> None:
    await act_take(ctx, _args(args)[0])


@command("/urgent", texts.CMD_URGENT, staff=True)
async def cmd_urgent(ctx: Context, args: str) -> None:
    number, word = _args(args)
    rq = await _load(ctx, number)
    if rq is None:
        return
    word = word.lower()
    if word not in ("да", "нет", "yes", "no"):
        ctx.say(texts.ST_USAGE.format(usage=f"/urgent {rq.id} да  или  /urgent {rq.id} нет"))
        return
    await mark_urgency(ctx, rq, word in ("да", "yes"))


@command("/deadline", texts.CMD_DEADLINE, staff=True)
async def cmd_deadline(ctx: Context, args: str) -> None:
    number, when = _args(args)
    rq = await _load(ctx, number)
    if rq is None or not _may_set_deadline(ctx, rq):
        return
    m = _DEADLINE.fullmatch(when)
    day = make_date(full_year(m.group(3)), int(m.group(2)), int(m.group(1))) if m else None
    if day is None:
        ctx.say(texts.ST_BAD_DATE.format(number=rq.id))
        return
    await shorten(ctx, rq, day)


@command("/extend", texts.CMD_EXTEND, staff=True)
async def cmd_extend(ctx: Context, args: str) -> None:
    number, rest = _args(args)
    rq = await _load(ctx, number)
    if rq is None or not _may_set_deadline(ctx, rq):
        return
    if not rest:  # "/extend 17": by the most the law allows
        await extend(ctx, rq, MAX_EXTENSION_DAYS)
        return
    days = parse_int(rest.split()[0], 1, MAX_EXTENSION_DAYS)
    if days is None:
        ctx.say(texts.ST_BAD_DAYS.format(limit=MAX_EXTENSION_DAYS))
        return
    await extend(ctx, rq, days)


@command("/close", texts.CMD_CLOSE, staff=True)
async def cmd_close(ctx: Context, args: str) -> None:
    rq = await _load(ctx, _args(args)[0])
    if rq is not None:
        await close(ctx, rq)

"""Personal visits, the staff's side and the scheduled work: reminders to clients, the daily
agenda for each department's staff chat, staff commands (today's and this week's visits, closing
and reopening reception time), retention and erasure of visitors' data.

Staff commands work in a department's staff chat (that department), in the private dialogue of
staff the directory lists (their departments) and for staff admins (any department, named in the
command):

    /visits [отдел]                 visits of today
    /visits_week [отдел]            visits of the 7 days from today
    /visits_close [отдел] <дата>[-<дата>] [<с>-<до>] [причина]
                                    close reception time; booked clients are told and offered other times
    /visits_closures [отдел]        closed periods not yet over, with their numbers
    /visits_reopen <номер>          remove a closed period
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta

from handlers import texts
from handlers.destinations import is_destination, to_staff
from handlers.engine import Context, action_payload, command
from handlers.inputs import full_year, make_date, parse_id
from handlers.jobs import daily, job_handler
from handlers.models import Button, Outgoing, Reply
from handlers.personal import forget_hook
from handlers.rights import scope as departments_in_scope
from handlers.services import Services
from handlers.survey_invites import invitation_delay, schedule_invitation
from handlers.visits_common import (
    FOLLOWUP_KIND,
    REMINDER_KIND,
    client_address,
    day_label,
    day_long,
    department,
    drop_reminders,
    hm,
    open_slots,
    period,
    relative_day,
    relative_when,
    rules,
    when,
)
from storage.clients import Client
from storage.jobs import Job, schedule_job
from storage.visits import (
    Closure,
    Visit,
    agenda,
    close_time,
    closures,
    forget_visitor,
    get_visit,
    purge_visits,
    reopen_time,
)

log = logging.getLogger(__name__)

RETENTION = timedelta(days=365)  # section 2 of the order: materials are kept for 1 year
MAX_CLOSE_DAYS = 92
FORGOTTEN_KIND = "visit_forgotten"
FREE_OFFERED = 3  # free times suggested to a client whose visit staff cancelled


# --------------------------------------------------------------------------- reminders


@job_handler(REMINDER_KIND)
async def send_reminder(job: Job, services: Services) -> list[Outgoing]:
    """A reminder before a visit, with a cancel button. Dropped (and logged) when the visit was
    cancelled, has already begun, or a later reminder is also due (after downtime: one, not two)."""
    now = services.clock()
    visit = await get_visit(services.db, int(job.payload["visit"]))
    hours = float(job.payload["hours"])
    if visit is None or visit.status != "active":
        log.info("reminder %s dropped: visit no longer active", job.key)
        return []
    if visit.start <= now:
        log.warning("reminder %s dropped: the visit began at %s, reminder was due %s", job.key,
                    visit.start.isoformat(), job.due_at.isoformat())
        return []
    later = [h for h in services.directory.booking.reminders_hours if h < hours]
    if any(now >= visit.start - timedelta(hours=h) for h in later):
        log.warning("reminder %s dropped: a later reminder is due as well", job.key)
        return []
    tz = services.tz
    start = visit.start.astimezone(tz)
    dep = department(services, visit.department)
    place = services.directory.visit_place
    text = texts.VISITS_REMIND.format(day=relative_when(start.date(), now.astimezone(tz).date()), time=hm(start),
                                      department=dep.name if dep else visit.department, address=place.address,
                                      bring=place.what_to_bring or "—")
    buttons = [[Button(texts.BTN_VISITS_CANCEL, payload=action_payload("vcancel", visit.id))]]
    return [Outgoing(client_address(visit), Reply(text=text, buttons=buttons, tag=f"visit:{visit.id}"), staff=False)]


@job_handler(FOLLOWUP_KIND)
async def after_visit(job: Job, services: Services) -> list[Outgoing]:
    """A visit that was not cancelled is over: invite the client to the satisfaction survey (the
    survey's own rules decide whether and when)."""
    visit = await get_visit(services.db, int(job.payload["visit"]))
    if visit is None or visit.status != "active":
        return []
    await schedule_invitation(services, visit.channel, visit.user_id, visit.chat_id, "visit",
                              invitation_delay(services, "visit"))
    return []


# --------------------------------------------------------------------------- agenda


def _agenda_line(services: Services, visit: Visit) -> str:
    topic = services.directory.topic(visit.topic or "")
    category = services.directory.booking.category(visit.priority)
    return texts.VISITS_AGENDA_LINE.format(
        time=hm(visit.start.astimezone(services.tz)), name=visit.name or "имя не указано",
        phone=visit.phone or "телефон не указан", topic=f", «{topic.short}»" if topic else "",
        priority=f", первоочередной: {category.label}" if category else "")


def _day_bounds(services: Services, day: date, days: int = 1) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=services.tz)
    return start, start + timedelta(days=days)


def day_agenda(services: Services, dep_id: str, day: date, visits: list[Visit]) -> str:
    dep = department(services, dep_id)
    name = dep.name if dep else dep_id
    mine = [v for v in visits if v.department == dep_id]
    if not mine:
        return texts.VISITS_AGENDA_EMPTY.format(day=day_long(day, accusative=True), department=name)
    return "\n".join([texts.VISITS_AGENDA_HEAD.format(day=day_long(day, accusative=True), department=name),
                      *(_agenda_line(services, v) for v in mine)])


@daily("visits_agenda", 8, 0)
async def morning_agenda(services: Services) -> list[Outgoing]:
    """At the start of a working day, every department's staff destinations get the day's visits."""
    today = services.clock().astimezone(services.tz).date()
    start, end = _day_bounds(services, today)
    visits = await agenda(services.db, None, start, end)
    outs: list[Outgoing] = []
    working = services.calendar.hours(services.directory.hours.visits, today) is not None
    for dep in services.directory.departments:
        if working or any(v.department == dep.id for v in visits):
            outs += to_staff(services, dep.id, Reply(text=day_agenda(services, dep.id, today, visits)), required=False)
    return outs


async def purge_old_visits(services: Services) -> list[Outgoing]:
    """Visits a year after they took place (part of the daily clean-up, handlers/retention.py)."""
    deleted = await purge_visits(services.db, services.clock() - RETENTION)
    if deleted:
        log.info("retention: deleted %d visits older than a year", deleted)
    return []


@forget_hook
async def forget_visits(services: Services, client: Client) -> None:
    """/forget: the person's visits are deleted; staff learn (through a job, as a hook cannot send)
    which booked times became free, without any personal data."""
    now = services.clock()
    for visit in await forget_visitor(services.db, client.channel, client.user_id, now):
        await drop_reminders(services, visit.id)
        await schedule_job(services.db, FORGOTTEN_KIND, now, {
            "id": visit.id, "department": visit.department, "start": visit.start.isoformat(),
            "end": visit.end.isoformat()}, now=now, key=f"visit-forgotten:{visit.id}")


@job_handler(FORGOTTEN_KIND)
async def tell_staff_forgotten(job: Job, services: Services) -> list[Outgoing]:
    p = job.payload
    dep = department(services, p["department"])
    if dep is None:
        return []
    moment = period(services, datetime.fromisoformat(p["start"]), datetime.fromisoformat(p["end"]))
    text = texts.VISITS_STAFF_FORGOTTEN.format(id=p["id"], when=moment, department=dep.name)
    return to_staff(services, dep.id, Reply(text=text, tag=f"visit:{p['id']}"), required=False)


# --------------------------------------------------------------------------- staff commands


def _department_by_word(ctx: Context, word: str) -> str | None:
    d = ctx.services.directory
    word = word.lower()
    if any(dep.id == word for dep in d.departments):
        return word
    topic = d.topic(word)
    return topic.department if topic else None


def _scope(ctx: Context, args: str) -> tuple[list[str], list[str]] | None:
    """Departments a command is about and the remaining words; None after telling what is wrong.
    A staff chat speaks for its own department; a person elsewhere for those he sees (an admin:
    any, or all)."""
    allowed = departments_in_scope(ctx.services, ctx.event)
    words = args.split()
    if words:
        dep = _department_by_word(ctx, words[0])
        if dep is not None:
            if dep not in allowed:
                ctx.say(texts.VISITS_UNKNOWN_DEPARTMENT.format(value=words[0], ids=", ".join(allowed)))
                return None
            return [dep], words[1:]
        if re.fullmatch(r"[a-z_]+", words[0]):
            ctx.say(texts.VISITS_UNKNOWN_DEPARTMENT.format(value=words[0], ids=", ".join(allowed)))
            return None
    return allowed, words


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.services.tz).date()


@command("/visits", texts.CMD_VISITS, staff=True, personal=True)
async def cmd_visits_today(ctx: Context, args: str) -> None:
    ctx.show_screen = False  # a staff answer, not a step of a conversation
    scope = _scope(ctx, args)
    if scope is None:
        return
    deps, _ = scope
    today = _today(ctx)
    visits = await agenda(ctx.services.db, deps, *_day_bounds(ctx.services, today))
    if len(deps) > 1 and not visits:
        ctx.say(texts.VISITS_TODAY_EMPTY.format(day=day_long(today, accusative=True)))
        return
    ctx.say("\n\n".join(day_agenda(ctx.services, dep, today, visits) for dep in deps
                        if len(deps) == 1 or any(v.department == dep for v in visits)))


@command("/visits_week", texts.CMD_VISITS_WEEK, staff=True, personal=True)
async def cmd_visits_week(ctx: Context, args: str) -> None:
    ctx.show_screen = False  # a staff answer, not a step of a conversation
    scope = _scope(ctx, args)
    if scope is None:
        return
    deps, _ = scope
    s = ctx.services
    today = _today(ctx)
    visits = await agenda(s.db, deps, *_day_bounds(s, today, 7))
    if not visits:
        ctx.say(texts.VISITS_WEEK_EMPTY.format(first=f"{today:%d.%m.%Y}", last=f"{today + timedelta(days=6):%d.%m.%Y}"))
        return
    lines = [texts.VISITS_WEEK_HEAD.format(first=f"{today:%d.%m.%Y}", last=f"{today + timedelta(days=6):%d.%m.%Y}")]
    for dep_id in deps:
        mine = sorted((v for v in visits if v.department == dep_id), key=lambda v: v.start)
        if not mine:
            continue
        dep = department(s, dep_id)
        lines += ["", dep.name if dep else dep_id]
        shown_day = None
        for v in mine:
            day = v.start.astimezone(s.tz).date()
            if day != shown_day:
                lines.append(day_label(day) + ":")
                shown_day = day
            lines.append("  " + _agenda_line(s, v))
    ctx.say("\n".join(lines))


_DATE = r"([0-9]{1,2})\.([0-9]{1,2})(?:\.([0-9]{4}|[0-9]{2}))?"
_DATES = re.compile(rf"^{_DATE}(?:-{_DATE})?$")
_HOURS = re.compile(r"^([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})$")


def _date(day: str, month: str, year: str | None, today: date) -> date | None:
    if year:
        return make_date(full_year(year), int(month), int(day))
    guess = make_date(today.year, int(month), int(day))
    if guess is not None and guess < today - timedelta(days=183):  # "05.01" written in December: next January
        return make_date(today.year + 1, int(month), int(day))
    return guess


def parse_close(words: list[str], today: date, tz: object) -> tuple[list[tuple[datetime, datetime]], str] | None:
    """``25.03 14:00-18:00 совещание`` -> periods (aware) and the reason; None if not understood.
    Several days with hours close those hours on every day; without hours, whole days."""
    if not words:
        return None
    m = _DATES.match(words[0])
    if not m:
        return None
    first = _date(m.group(1), m.group(2), m.group(3), today)
    last = _date(m.group(4), m.group(5), m.group(6), first) if m.group(4) and first else first
    if first is None or last is None:
        return None
    try:
        rest = words[1:]
        hours = _HOURS.match(rest[0]) if rest else None
        if hours:
            since, until = time(int(hours.group(1)), int(hours.group(2))), time(int(hours.group(3)),
                                                                               int(hours.group(4)))
            rest = rest[1:]
            if since >= until:
                return None
    except ValueError:
        return None
    if last < first:
        return None
    reason = " ".join(rest).strip()
    if not hours:
        return [(datetime.combine(first, time(0), tzinfo=tz),  # type: ignore[arg-type]
                 datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz))], reason  # type: ignore[arg-type]
    periods = []
    day, last = first, min(last, first + timedelta(days=MAX_CLOSE_DAYS + 1))  # longer is refused anyway
    while day <= last:
        periods.append((datetime.combine(day, since, tzinfo=tz),  # type: ignore[arg-type]
                        datetime.combine(day, until, tzinfo=tz)))  # type: ignore[arg-type]
        day += timedelta(days=1)
    return periods, reason


def _period_text(services: Services, start: datetime, end: datetime) -> str:
    tz = services.tz
    a, b = start.astimezone(tz), end.astimezone(tz)
    if a.time() == time(0) and b.time() == time(0):
        last = (b - timedelta(days=1)).date()
        return f"{a:%d.%m.%Y}" if last == a.date() else f"{a:%d.%m.%Y}–{last:%d.%m.%Y}"
    return f"{a:%d.%m.%Y} {hm(a)}–{hm(b)}"


async def _offer_other_times(services: Services, visit: Visit, reason: str | None, now: datetime) -> Outgoing:
    """Tell a client that staff cancelled his visit and offer the nearest free times."""
    dep = department(services, visit.department)
    text = texts.VISITS_STAFF_CANCELLED_CLIENT.format(when=when(services, visit),
                                                      department=dep.name if dep else visit.department,
                                                      reason=reason or texts.VISITS_NO_REASON)
    free = await open_slots(services, services.db, visit.department, rules(services, visit.department), now,
                            priority=visit.priority is not None)
    if free:
        today = now.astimezone(services.tz).date()
        shown = ", ".join(f"{relative_day(x.local(services.tz).date(), today)} {hm(x.local(services.tz))}"
                          for x in free[:FREE_OFFERED])
        text += "\n" + texts.VISITS_STAFF_CANCELLED_FREE.format(free=shown)
    buttons = [[Button(texts.BTN_VISITS_OTHER_TIME, payload=action_payload("vrebook", visit.department))]]
    return Outgoing(client_address(visit), Reply(text=text, buttons=buttons, tag=f"visit:{visit.id}"), staff=False)


@command("/visits_close", texts.CMD_VISITS_CLOSE, staff=True, personal=True)
async def cmd_close(ctx: Context, args: str) -> None:
    ctx.show_screen = False  # a staff answer, not a step of a conversation
    scope = _scope(ctx, args)
    if scope is None:
        return
    deps, words = scope
    if len(deps) != 1:
        example = f"/visits_close {deps[0]} 25.03 14:00-18:00 совещание"
        ctx.say(texts.VISITS_NO_STAFF_DEPARTMENT.format(ids=", ".join(deps), example=example) + "\n\n"
                + texts.VISITS_CLOSE_USAGE)
        return
    s = ctx.services
    parsed = parse_close(words, _today(ctx), s.tz)
    if parsed is None:
        ctx.say(texts.VISITS_CLOSE_USAGE)
        return
    periods, reason = parsed
    if periods[-1][1] <= ctx.now:
        ctx.say(texts.VISITS_CLOSE_PAST)
        return
    if periods[-1][1] - periods[0][0] > timedelta(days=MAX_CLOSE_DAYS):
        ctx.say(texts.VISITS_CLOSE_TOO_LONG)
        return
    dep_id = deps[0]
    dep = department(s, dep_id)
    who = f"{ctx.event.channel}:{ctx.event.user_id}"
    lines: list[str] = []
    cancelled: list[Visit] = []
    for start, end in periods:
        closure, gone = await close_time(s.db, dep_id, start, end, reason=reason or None, by=who, now=ctx.now)
        lines.append(texts.VISITS_CLOSED_DONE.format(id=closure.id, department=dep.name if dep else dep_id,
                                                     period=_period_text(s, start, end),
                                                     reason=f", причина: {reason}" if reason else ""))
        cancelled += gone
    log.info("%s closed visits of %s: %s (%d visits cancelled)", who, dep_id, "; ".join(lines), len(cancelled))
    if cancelled:
        lines.append(texts.VISITS_CLOSED_CANCELLED.format(n=len(cancelled)))
        for v in cancelled:
            await drop_reminders(s, v.id)
            ctx.outbox.append(await _offer_other_times(s, v, reason or None, ctx.now))
            lines.append(f"№ {v.id}. {when(s, v)} — {v.name or 'имя не указано'}, {v.phone or 'телефон не указан'}")
    else:
        lines.append(texts.VISITS_CLOSED_NONE)
    ctx.say("\n".join(lines))
    ev = ctx.event
    if not is_destination(s, dep_id, ev.channel, ev.chat_id, ev.thread_id):
        for out in to_staff(s, dep_id, Reply(text="\n".join(lines)), required=False):
            ctx.send(out)  # closed from elsewhere (an admin, a private dialogue): the department learns


def _closure_line(services: Services, c: Closure) -> str:
    dep = department(services, c.department)
    return texts.VISITS_CLOSURE_LINE.format(id=c.id, department=dep.name if dep else c.department,
                                            period=_period_text(services, c.start, c.end),
                                            reason=f" ({c.reason})" if c.reason else "")


@command("/visits_closures", texts.CMD_VISITS_CLOSURES, staff=True)
async def cmd_closures(ctx: Context, args: str) -> None:
    ctx.show_screen = False  # a staff answer, not a step of a conversation
    scope = _scope(ctx, args)
    if scope is None:
        return
    found = await closures(ctx.services.db, scope[0], ctx.now)
    if not found:
        ctx.say(texts.VISITS_CLOSURES_EMPTY)
        return
    ctx.say("\n".join([texts.VISITS_CLOSURES_HEAD, *(_closure_line(ctx.services, c) for c in found)]))


@command("/visits_reopen", texts.CMD_VISITS_REOPEN, staff=True)
async def cmd_reopen(ctx: Context, args: str) -> None:
    ctx.show_screen = False  # a staff answer, not a step of a conversation
    scope = _scope(ctx, "")
    closure_id = parse_id(args)
    if scope is None or closure_id is None:
        ctx.say(texts.VISITS_REOPEN_USAGE)
        return
    closure = await reopen_time(ctx.services.db, closure_id, scope[0])
    if closure is None:
        ctx.say(texts.VISITS_REOPEN_UNKNOWN.format(id=closure_id))
        return
    dep = department(ctx.services, closure.department)
    ctx.say(texts.VISITS_REOPENED.format(id=closure.id, department=dep.name if dep else closure.department,
                                         period=_period_text(ctx.services, closure.start, closure.end)))

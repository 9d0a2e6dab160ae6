"""Personal visits, the citizen's side (section 5 of Appendix 2 of the order): choose the
department (pre-filled from the result card), a day, morning or afternoon and a free time; give a
name and a phone; confirm; get the place, the way there and a calendar file. "My visits" lists the
visits booked in this channel and cancels one after a confirmation. A client entitled to priority
reception (point 4.4 of the order) is offered the earliest times, reserved places included.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from handlers import texts
from handlers.domain.calendar import describe_schedule
from handlers.domain.slots import Slot, by_day, half_of, last_day
from handlers.engine import Context, Option, Screen, Step, action, step
from handlers.inputs import full_year, make_date, parse_id
from handlers.matching import normalize
from handlers.menu import menu_entry, menu_shortcut
from handlers.personal import ask_personal, normalize_phone
from handlers.survey_invites import offer_survey_consent
from handlers.visits_common import (
    MONTHS,
    WEEKDAYS_FULL,
    WEEKDAYS_SHORT,
    confirmation,
    day_label,
    day_long,
    department,
    department_phones,
    drop_reminders,
    hm,
    open_slots,
    period,
    reminder_hours,
    rules,
    staff_notice,
    visit_jobs,
    when,
    when_short,
)
from storage.db import Transaction
from storage.visits import BookingRefused, book_slot, bookings_of, cancel_booking, get_visit

EARLIEST_SHOWN = 4  # earliest times offered to a priority client at once
CONTACT_FRESH = timedelta(minutes=30)  # choosing another time soon after: no need to ask name and phone again


# --------------------------------------------------------------------------- helpers


def _dep_id(ctx: Context) -> str | None:
    """The department of the booking: chosen, or the one of the topic from the result card."""
    if ctx.params.get("dep"):
        return str(ctx.params["dep"])
    topic = ctx.services.directory.topic(ctx.params.get("topic") or "")
    return topic.department if topic else None


def _priority(ctx: Context) -> str | None:
    category = ctx.services.directory.booking.category(ctx.data.get("visit_priority"))
    return category.id if category else None


async def _free(ctx: Context, dep_id: str, tx: Transaction | None = None) -> list[Slot]:
    """The times this client may book (a priority client also the reserved places); within the
    booking's transaction (``tx``) read afresh."""
    s = ctx.services
    priority = _priority(ctx) is not None

    async def read() -> list[Slot]:
        return await open_slots(s, tx or s.db, dep_id, rules(s, dep_id), ctx.now, priority=priority)

    if tx is not None:  # not remembered: the booking changes it
        return await read()
    key = ("visits.free", dep_id, priority)
    if key not in ctx.memo:
        ctx.memo[key] = await read()
    return list(ctx.memo[key])


async def _still_free(ctx: Context, dep_id: str, slot: Slot, tx: Transaction) -> bool:
    """Checked again when booking, after every booking made before it: two ordinary clients at once
    must not both take the last place outside the day's priority reserve."""
    return slot in await _free(ctx, dep_id, tx)


def _slot_id(slot: Slot, ctx: Context) -> str:
    return slot.local(ctx.services.tz).strftime("%Y%m%d%H%M")


def _find_slot(slots: list[Slot], ctx: Context, ident: str) -> Slot | None:
    return next((s for s in slots if _slot_id(s, ctx) == ident), None)


def _day_of(ctx: Context, slot: Slot) -> date:
    return slot.local(ctx.services.tz).date()


_DATE_NUM = re.compile(r"^([0-9]{1,2})[./\-]([0-9]{1,2})(?:[./\-]([0-9]{2}|[0-9]{4}))?$")
_DATE_WORD = re.compile(r"^([0-9]{1,2})\s+([а-я]+)(?:\s+([0-9]{4}))?$")
_TIME = re.compile(r"^(?:в\s*)?([0-9]{1,2})[:.\-\s]([0-9]{2})$")
_RELATIVE = {"сегодня": 0, "завтра": 1, "послезавтра": 2}


def parse_day(text: str, today: date) -> date | None:
    """``25.03``, ``25.03.2026``, ``25 марта``, ``завтра``, ``пятница`` -> a date (None if not one).
    Without a year, the current year: a date that has passed stays in the past (and is refused)."""
    raw = text.strip().lower().replace("ё", "е")
    words = normalize(raw)
    if words in _RELATIVE:
        return today + timedelta(days=_RELATIVE[words])
    for i, name in enumerate(WEEKDAYS_FULL):
        forms = {name, name[:-1] + "у", WEEKDAYS_SHORT[i]}  # пятница, пятницу, пт
        if words.removeprefix("в ").removeprefix("во ") in forms:
            return today + timedelta(days=(i - today.weekday()) % 7)
    m = _DATE_NUM.match(raw)
    if m:
        year = full_year(m.group(3)) if m.group(3) else today.year
        return make_date(year, int(m.group(2)), int(m.group(1)))
    m = _DATE_WORD.match(re.sub(r"^(пн|вт|ср|чт|пт|сб|вс)\s+", "", words))  # "чт, 19 марта" as on a button
    if m:
        month = next((i + 1 for i, name in enumerate(MONTHS) if m.group(2)[:3] == name[:3]), None)
        if month:
            return make_date(int(m.group(3) or today.year), month, int(m.group(1)))
    return None


def parse_time(text: str) -> tuple[int, int] | None:
    m = _TIME.match(text.strip().lower())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        return None
    return int(m.group(1)), int(m.group(2))


async def _choose_slot(ctx: Context, dep_id: str, slot: Slot) -> None:
    """A free time is chosen: check the client's limits, then name, phone and confirmation."""
    s = ctx.services
    mine = await bookings_of(s.db, ctx.event.channel, ctx.event.user_id, ctx.now)
    if any(v.start == slot.start for v in mine):
        ctx.say(texts.VISITS_BUSY)
        return
    limit = s.directory.booking.max_active_per_client
    if len(mine) >= limit:
        ctx.say(texts.VISITS_TOO_MANY.format(n=len(mine)))
        ctx.go("visits.mine")
        return
    topic = ctx.params.get("topic") or ctx.data.get("topic")
    topic_obj = s.directory.topic(topic or "")
    seen = (ctx.data.get("visit") or {}).get("contact_seen")
    ctx.data["visit"] = {"dep": dep_id, "start": slot.start.isoformat(), "end": slot.end.isoformat(),
                         "topic": topic if topic_obj and topic_obj.department == dep_id else None,
                         "contact_seen": seen}
    params = {"dep": dep_id, "start": _slot_id(slot, ctx)}
    recent = seen and ctx.now - datetime.fromisoformat(seen) < CONTACT_FRESH
    if recent and (ctx.data.get("contact") or {}).get("name"):
        ctx.go("visits.confirm", params)  # another time of the same booking: name and phone were just given
    else:
        await ask_personal(ctx, then="visits.confirm", purpose="visit", then_params=params)


# --------------------------------------------------------------------------- booking


@step
class VisitStart(Step):
    """Entry: which department (by the topic of the question), then the day. From a result card the
    department is known and the days are shown at once."""

    name = "visits.start"

    async def screen(self, ctx: Context) -> Screen:
        dep_id = _dep_id(ctx)
        if dep_id is None or department(ctx.services, dep_id) is None:
            return await self._departments(ctx)
        return await self._days(ctx, dep_id)

    async def _departments(self, ctx: Context) -> Screen:
        d = ctx.services.directory
        mine = await bookings_of(ctx.services.db, ctx.event.channel, ctx.event.user_id, ctx.now)
        rows = [[Option(f"t_{t.id}", t.short)] for t in d.topics if rules(ctx.services, t.department).enabled]
        label = texts.BTN_VISITS_MINE_N.format(n=len(mine)) if mine else texts.BTN_VISITS_MINE
        rows.append([Option("mine", label, aliases=(texts.BTN_VISITS_MINE,))])
        return Screen(text=texts.VISITS_START.format(address=d.visit_place.address,
                                                     hours=describe_schedule(d.hours.visits)), rows=rows)

    async def _days(self, ctx: Context, dep_id: str) -> Screen:
        s = ctx.services
        dep = department(s, dep_id)
        assert dep is not None
        if not dep.visits.enabled:
            return Screen(text=texts.VISITS_DISABLED.format(phones=department_phones(s, dep_id)), menu=False)
        slots = await _free(ctx, dep_id)
        rows: list[list[Option]] = []
        category = s.directory.booking.category(_priority(ctx))
        if category:
            text = texts.VISITS_DAYS_PRIORITY.format(category=category.label, department=dep.name)
            rows += [[Option(f"e{_slot_id(x, ctx)}", texts.BTN_VISITS_EARLIEST.format(
                when=f"{day_label(_day_of(ctx, x))}, {hm(x.local(s.tz))}"))] for x in slots[:EARLIEST_SHOWN]]
        else:
            text = texts.VISITS_DAYS.format(department=dep.name)
        days = [Option(f"d{day:%Y%m%d}", day_label(day)) for day in by_day(slots, s.tz)]
        if not days:
            text = texts.VISITS_NO_DAYS.format(days=dep.visits.horizon_days, phones=department_phones(s, dep_id))
        rows += [days[i:i + 2] for i in range(0, len(days), 2)]
        if s.directory.booking.priority_categories and not category:
            rows.append([Option("prio", texts.BTN_VISITS_PRIORITY)])
        if not ctx.params.get("dep"):  # came from a result card: let them pick another department
            rows.append([Option("odep", texts.BTN_VISITS_OTHER_DEP)])
        return Screen(text=text, rows=rows, text_mode="input", max_text=40)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        dep_id = _dep_id(ctx)
        if option_id == "mine":
            ctx.go("visits.mine")
        elif option_id.startswith("t_"):
            topic = ctx.services.directory.topic(option_id[2:])
            if topic:
                ctx.data["topic"] = topic.id
                ctx.go("visits.start", {"dep": topic.department, "topic": topic.id})
        elif option_id == "odep":
            ctx.go("visits.start", {})
        elif option_id == "prio" and dep_id:
            ctx.go("visits.priority", {"dep": dep_id})
        elif option_id.startswith("d") and dep_id:
            ctx.go("visits.half", {"dep": dep_id, "day": option_id[1:], "topic": ctx.params.get("topic")})
        elif option_id.startswith("e") and dep_id:
            slot = _find_slot(await _free(ctx, dep_id), ctx, option_id[1:])
            if slot is None:
                ctx.say(texts.VISITS_SLOT_GONE)
                return
            await _choose_slot(ctx, dep_id, slot)

    async def on_text(self, ctx: Context, text: str) -> bool:
        """A typed date: refuse clearly if past, a day off, beyond the horizon or full."""
        dep_id = _dep_id(ctx)
        if dep_id is None or department(ctx.services, dep_id) is None:
            return False
        s = ctx.services
        today = ctx.now.astimezone(s.tz).date()
        day = parse_day(text, today)
        if day is None:
            ctx.say(texts.VISITS_BAD_DATE)
        elif day < today:
            ctx.say(texts.VISITS_PAST_DATE.format(day=f"{day:%d.%m.%Y}"))
        elif day > last_day(rules(s, dep_id), ctx.now, s.tz):
            horizon = last_day(rules(s, dep_id), ctx.now, s.tz)
            ctx.say(texts.VISITS_TOO_FAR.format(days=rules(s, dep_id).horizon_days, day=f"{horizon:%d.%m.%Y}"))
        elif s.calendar.hours(s.directory.hours.visits, day) is None:
            ctx.say(texts.VISITS_DAY_OFF.format(day=day_long(day).capitalize()))
        elif day not in by_day(await _free(ctx, dep_id), s.tz):
            ctx.say(texts.VISITS_DAY_FULL.format(day=day_long(day, accusative=True)))
        else:
            ctx.go("visits.half", {"dep": dep_id, "day": f"{day:%Y%m%d}", "topic": ctx.params.get("topic")})
        return True


def _params_day(ctx: Context) -> date:
    return datetime.strptime(ctx.params["day"], "%Y%m%d").date()


def _half_range(ctx: Context, slots: list[Slot]) -> str:
    tz = ctx.services.tz
    return f"{hm(slots[0].local(tz))}–{hm(slots[-1].end.astimezone(tz))}"


async def _day_slots(ctx: Context) -> dict[str, list[Slot]]:
    """Free slots of the chosen day split into morning and afternoon."""
    s = ctx.services
    day = _params_day(ctx)
    out: dict[str, list[Slot]] = {"am": [], "pm": []}
    for slot in by_day(await _free(ctx, ctx.params["dep"]), s.tz).get(day, []):
        out[half_of(slot, s.directory.hours.visits, s.tz)].append(slot)
    return out


@step
class VisitHalf(Step):
    """Morning or afternoon of the chosen day (only halves with free time)."""

    name = "visits.half"

    async def screen(self, ctx: Context) -> Screen:
        halves = await _day_slots(ctx)
        day = day_long(_params_day(ctx))
        rows = []
        if halves["am"]:
            rows.append([Option("am", texts.BTN_VISITS_AM.format(hours=_half_range(ctx, halves["am"])),
                                aliases=("утро", "утром", "до обеда", "первая половина"))])
        if halves["pm"]:
            rows.append([Option("pm", texts.BTN_VISITS_PM.format(hours=_half_range(ctx, halves["pm"])),
                                aliases=("день", "днем", "после обеда", "вечер", "вторая половина"))])
        if not rows:
            return Screen(text=texts.VISITS_DAY_FULL.format(day=day_long(_params_day(ctx), accusative=True)),
                          rows=[[Option("days", texts.BTN_VISITS_OTHER_TIME)]])
        return Screen(text=texts.VISITS_HALF.format(day=day.capitalize()), rows=rows)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "days":
            ctx.back()
            return
        ctx.go("visits.time", {**ctx.params, "half": option_id})


@step
class VisitTime(Step):
    """The free times of the chosen half-day; a typed time is checked against them."""

    name = "visits.time"

    async def screen(self, ctx: Context) -> Screen:
        slots = (await _day_slots(ctx))[ctx.params["half"]]
        day = day_long(_params_day(ctx)).capitalize()
        if not slots:
            return Screen(text=texts.VISITS_DAY_FULL.format(day=day_long(_params_day(ctx), accusative=True)),
                          rows=[[Option("days", texts.BTN_VISITS_OTHER_TIME)]])
        tz = ctx.services.tz
        options = [Option(f"t{_slot_id(x, ctx)}", hm(x.local(tz))) for x in slots]
        half = texts.HALF_AM if ctx.params["half"] == "am" else texts.HALF_PM
        return Screen(text=texts.VISITS_TIMES.format(day=day, half=half),
                      rows=[options[i:i + 4] for i in range(0, len(options), 4)], text_mode="input", max_text=20)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "days":
            ctx.go("visits.start", {"dep": ctx.params["dep"], "topic": ctx.params.get("topic")}, push=False)
            return
        slots = (await _day_slots(ctx))[ctx.params["half"]]
        slot = _find_slot(slots, ctx, option_id[1:])
        if slot is None:
            ctx.say(texts.VISITS_SLOT_GONE)
            return
        await _choose_slot(ctx, ctx.params["dep"], slot)

    async def on_text(self, ctx: Context, text: str) -> bool:
        parsed = parse_time(text)
        if parsed is None:
            ctx.say(texts.VISITS_BAD_TIME)
            return True
        tz = ctx.services.tz
        day_slots = [x for half in (await _day_slots(ctx)).values() for x in half]
        slot = next((x for x in day_slots if (x.local(tz).hour, x.local(tz).minute) == parsed), None)
        if slot is None:
            free = ", ".join(hm(x.local(tz)) for x in sorted(day_slots)) or "—"
            ctx.say(texts.VISITS_TIME_NOT_FREE.format(time=f"{parsed[0]}:{parsed[1]:02d}", free=free))
            return True
        await _choose_slot(ctx, ctx.params["dep"], slot)
        return True


@step
class VisitPriority(Step):
    """The client says he belongs to a category entitled to priority reception."""

    name = "visits.priority"

    async def screen(self, ctx: Context) -> Screen:
        cats = ctx.services.directory.booking.priority_categories
        rows = [[Option(f"c_{c.id}", c.label)] for c in cats]
        rows.append([Option("none", texts.BTN_VISITS_NO_PRIORITY)])
        return Screen(text=texts.VISITS_PRIORITY, rows=rows)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        category = ctx.services.directory.booking.category(option_id.removeprefix("c_"))
        if category:
            ctx.data["visit_priority"] = category.id
            ctx.say(texts.VISITS_PRIORITY_SET.format(category=category.label))
        else:
            ctx.data.pop("visit_priority", None)
            ctx.say(texts.VISITS_PRIORITY_NONE)
        if not ctx.back():
            ctx.go("visits.start", {"dep": ctx.params["dep"]})


def _chosen(ctx: Context) -> tuple[str, Slot] | None:
    """The department and slot being confirmed, as stored when the time was chosen."""
    v = ctx.data.get("visit") or {}
    if v.get("dep") != ctx.params.get("dep"):
        return None
    try:
        slot = Slot(datetime.fromisoformat(v["start"]), datetime.fromisoformat(v["end"]))
    except (KeyError, TypeError, ValueError):
        return None
    return v["dep"], slot


@step
class VisitConfirm(Step):
    """Everything about the visit once more; booking happens only on "Записаться"."""

    name = "visits.confirm"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        chosen = _chosen(ctx)
        if chosen is None:
            return Screen(text=texts.VISITS_SLOT_GONE, rows=[[Option("other", texts.BTN_VISITS_OTHER_TIME)]])
        dep_id, slot = chosen
        s = ctx.services
        dep = department(s, dep_id)
        contact = ctx.data.get("contact") or {}
        ctx.data["visit"]["contact_seen"] = ctx.now.isoformat()
        lines = [texts.VISITS_CONFIRM.format(when=period(s, slot.start, slot.end),
                                             department=dep.name if dep else dep_id,
                                             address=s.directory.visit_place.address,
                                             name=contact.get("name") or "—", phone=contact.get("phone") or "—")]
        category = s.directory.booking.category(_priority(ctx))
        if category:
            lines.append(texts.VISITS_CONFIRM_PRIORITY.format(category=category.label))
        return Screen(text="\n".join(lines), rows=[[Option("book", texts.BTN_VISITS_BOOK, aliases=("да", "верно"))],
                                                   [Option("other", texts.BTN_VISITS_OTHER_TIME)]])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        chosen = _chosen(ctx)
        if option_id == "other" or chosen is None:
            ctx.go("visits.start", {"dep": ctx.params["dep"]}, push=False)
            return
        dep_id, slot = chosen
        s = ctx.services
        contact = ctx.data.get("contact") or {}
        ctx.memo.clear()  # the free slots change whatever the outcome
        phone = contact.get("phone")
        try:
            visit = await book_slot(s.db, department=dep_id, start=slot.start, end=slot.end,
                                    capacity=rules(s, dep_id).per_slot,
                                    channel=ctx.event.channel, user_id=ctx.event.user_id, chat_id=ctx.event.chat_id,
                                    name=contact.get("name"), phone=normalize_phone(phone or "") or phone,
                                    topic=(ctx.data.get("visit") or {}).get("topic"), priority=_priority(ctx),
                                    now=ctx.now, jobs=lambda v: visit_jobs(s, v, ctx.now),
                                    still_free=lambda tx: _still_free(ctx, dep_id, slot, tx),
                                    limit=s.directory.booking.max_active_per_client)
        except BookingRefused as exc:
            await self._refused(ctx, dep_id, slot, exc.reason)
            return
        ctx.say(confirmation(s, visit, reminder_hours(s, visit, ctx.now), ctx.now))
        for notice in staff_notice(s, visit, texts.VISITS_STAFF_NEW):
            ctx.send(notice)
        ctx.data.pop("visit", None)
        ctx.home(keep_data=True)
        ctx.go("visits.done", {"id": visit.id})
        await offer_survey_consent(ctx)

    async def _refused(self, ctx: Context, dep_id: str, slot: Slot, reason: str) -> None:
        if reason == "limit":  # this account, or others with the same phone, hold all they may
            ctx.say(texts.VISITS_PHONE_LIMIT.format(n=ctx.services.directory.booking.max_active_per_client))
            ctx.data.pop("visit", None)
            ctx.home(keep_data=True)
            ctx.go("visits.mine")
            return
        if reason == "busy":
            ctx.say(texts.VISITS_BUSY)
            ctx.home(keep_data=True)
            ctx.go("visits.mine")
            return
        ctx.say(texts.VISITS_CLOSED_NOW if reason == "closed" else texts.VISITS_TAKEN)
        day = _day_of(ctx, slot)
        half = half_of(slot, ctx.services.directory.hours.visits, ctx.services.tz)
        ctx.go("visits.time", {"dep": dep_id, "day": f"{day:%Y%m%d}", "half": half,
                               "topic": (ctx.data.get("visit") or {}).get("topic")})


@step
class VisitDone(Step):
    """After booking: the confirmation was sent just before this screen."""

    name = "visits.done"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        return Screen(text=texts.VISITS_DONE.format(id=ctx.params.get("id")),
                      rows=[[Option("mine", texts.BTN_VISITS_MINE), Option("new", texts.BTN_VISITS_NEW)]])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        ctx.go("visits.mine" if option_id == "mine" else "visits.start", {})


# --------------------------------------------------------------------------- my visits


@step
class MyVisits(Step):
    """The client's visits booked in this channel, each with a cancel button."""

    name = "visits.mine"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        s = ctx.services
        mine = await bookings_of(s.db, ctx.event.channel, ctx.event.user_id, ctx.now)
        new = [Option("new", texts.BTN_VISITS_NEW)]
        if not mine:
            return Screen(text=texts.VISITS_MINE_EMPTY, rows=[new])
        lines = [texts.VISITS_MINE]
        for v in mine:
            dep = department(s, v.department)
            lines.append(texts.VISITS_MINE_LINE.format(id=v.id, when=when(s, v),
                                                       department=dep.name if dep else v.department))
        rows = [[Option(f"c{v.id}", texts.BTN_VISITS_CANCEL_ONE.format(when=when_short(s, v)))]
                for v in mine if v.start > ctx.now]
        return Screen(text="\n".join(lines), rows=[*rows, new])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "new":
            ctx.go("visits.start", {})
        elif option_id.startswith("c") and option_id[1:].isdigit():
            await open_cancel(ctx, int(option_id[1:]))


async def open_cancel(ctx: Context, visit_id: int) -> None:
    """Ask to confirm the cancellation of a visit, if it is this person's and can still be cancelled."""
    visit = await get_visit(ctx.services.db, visit_id)
    if visit is None or (visit.channel, visit.user_id) != ctx.event.key:
        ctx.say(texts.VISITS_NOT_YOURS)
        ctx.go("visits.mine")
    elif visit.status != "active":
        ctx.say(texts.VISITS_ALREADY_CANCELLED.format(id=visit.id))
        ctx.go("visits.mine")
    elif visit.start <= ctx.now:
        ctx.say(texts.VISITS_ALREADY_PAST.format(id=visit.id))
        ctx.go("visits.mine")
    else:
        ctx.go("visits.cancel", {"id": visit.id})


@step
class CancelVisit(Step):
    """Are you sure? Then the visit is cancelled, its place freed, staff told, reminders dropped."""

    name = "visits.cancel"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        s = ctx.services
        visit = await get_visit(s.db, int(ctx.params["id"]))
        if visit is None or (visit.channel, visit.user_id) != ctx.event.key:
            return Screen(text=texts.VISITS_NOT_YOURS, rows=[[Option("no", texts.BTN_VISITS_MINE)]])
        dep = department(s, visit.department)
        return Screen(text=texts.VISITS_CANCEL_ASK.format(id=visit.id, when=when(s, visit),
                                                          department=dep.name if dep else visit.department),
                      rows=[[Option("yes", texts.BTN_VISITS_CANCEL_YES, aliases=("да",)),
                             Option("no", texts.BTN_VISITS_CANCEL_NO, aliases=("нет", "оставить"))]])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        s = ctx.services
        visit_id = int(ctx.params["id"])
        ctx.home(keep_data=True)
        if option_id != "yes":
            ctx.say(texts.VISITS_CANCEL_KEPT)
            ctx.go("visits.mine")
            return
        ctx.memo.clear()
        visit = await cancel_booking(s.db, visit_id, channel=ctx.event.channel, user_id=ctx.event.user_id,
                                     now=ctx.now)
        if visit is None:
            await open_cancel(ctx, visit_id)  # says why: not yours, already cancelled or begun
            return
        await drop_reminders(s, visit.id)
        ctx.say(texts.VISITS_CANCELLED.format(id=visit.id, when=when(s, visit, accusative=True)))
        for notice in staff_notice(s, visit, texts.VISITS_STAFF_CANCEL):
            ctx.send(notice)
        ctx.go("visits.mine")


@action("vcancel")
async def cancel_from_message(ctx: Context, arg: str) -> None:
    """The cancel button of a reminder or a confirmation: works from any old message."""
    visit_id = parse_id(arg)
    if visit_id is None:
        ctx.say(texts.VISITS_NOT_YOURS)
        ctx.go("visits.mine")
        return
    await open_cancel(ctx, visit_id)


@action("vrebook")
async def rebook_from_message(ctx: Context, arg: str) -> None:
    """"Choose another time" under a notice that staff cancelled a visit."""
    ctx.data.pop("visit", None)
    if department(ctx.services, arg) is None:
        ctx.go("visits.start", {})
    else:
        ctx.go("visits.start", {"dep": arg})


menu_entry(40, "visits", texts.BTN_VISITS, "visits.start")
menu_shortcut("myvisits", texts.BTN_VISITS_MINE, "visits.mine")

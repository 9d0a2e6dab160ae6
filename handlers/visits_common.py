"""What the citizen's and the staff's sides of personal visits share: Russian dates (in the case
their sentence needs), the booking confirmation (the way there, a map link, venue and .ics file),
reminders as stored jobs, and staff notices."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from icalendar import Alarm, Calendar
from icalendar import Event as IcsEvent

from handlers import texts
from handlers.destinations import to_staff
from handlers.directions import accessibility_line, map_button, route_lines
from handlers.domain.calendar import WEEKDAY_NAMES_ACC
from handlers.domain.directory import Department, VisitSettings
from handlers.domain.fields import phone_display
from handlers.domain.slots import Slot, free_slots, last_day
from handlers.models import Address, Document, Outgoing, Reply, Venue
from handlers.services import Services
from storage.db import Database, Transaction
from storage.jobs import JobSpec, cancel_jobs
from storage.visits import Visit, occupancy

REMINDER_KIND = "visit_reminder"
FOLLOWUP_KIND = "visit_followup"  # when a visit is over: the satisfaction survey may be offered
MIN_REMINDER_LEAD = timedelta(minutes=30)  # a reminder right after booking would be noise

MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
          "ноября", "декабря")
WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
WEEKDAYS_FULL = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
# after «на» (accusative): «Запись № 1 на пятницу…», «На среду … свободного времени нет»
WEEKDAYS_ACC = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье")


def hm(moment: datetime) -> str:
    return f"{moment.hour}:{moment.minute:02d}"


def day_label(day: date) -> str:
    """``Ср, 18 марта``: a button."""
    return f"{WEEKDAYS_SHORT[day.weekday()].capitalize()}, {day.day} {MONTHS[day.month - 1]}"


def day_long(day: date, *, accusative: bool = False) -> str:
    """``среда, 18 марта 2026``; after «на» (``accusative``) ``среду, 18 марта 2026``."""
    weekday = (WEEKDAYS_ACC if accusative else WEEKDAYS_FULL)[day.weekday()]
    return f"{weekday}, {day.day} {MONTHS[day.month - 1]} {day.year}"


def relative_day(day: date, today: date) -> str:
    if day == today:
        return "сегодня"
    if day == today + timedelta(days=1):
        return "завтра"
    return f"{WEEKDAYS_SHORT[day.weekday()]}, {day.day} {MONTHS[day.month - 1]}"


def relative_when(day: date, today: date) -> str:
    """When a visit is, said in a sentence: ``завтра``, ``в пятницу, 20 марта,``."""
    if day in (today, today + timedelta(days=1)):
        return relative_day(day, today)
    return f"{WEEKDAY_NAMES_ACC[day.weekday()]}, {day.day} {MONTHS[day.month - 1]},"


def period(services: Services, start: datetime, end: datetime, *, accusative: bool = False) -> str:
    """``среда, 18 марта 2026, 10:30–11:00`` (``среду, …`` after «на»)."""
    start, end = start.astimezone(services.tz), end.astimezone(services.tz)
    return f"{day_long(start.date(), accusative=accusative)}, {hm(start)}–{hm(end)}"


def when(services: Services, visit: Visit, *, accusative: bool = False) -> str:
    return period(services, visit.start, visit.end, accusative=accusative)


async def open_slots(services: Services, db: Database | Transaction, dep_id: str, rules: VisitSettings,
                     now: datetime, *, priority: bool = False) -> list[Slot]:
    """The slots of a department a client may book now (only really free ones), earliest first;
    ``db`` may be a booking's transaction. Storage tells what is taken and closed; the rules of
    the calendar and of the priority reserve are the domain's."""
    if not rules.enabled:
        return []
    tz = services.tz
    since = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    until = datetime.combine(last_day(rules, now, tz) + timedelta(days=1), time(0), tzinfo=tz)
    facts = await occupancy(db, dep_id, since, until)
    taken: dict[datetime, int] = {}
    priority_taken: dict[date, int] = {}
    for start, prio in facts.booked:
        taken[start] = taken.get(start, 0) + 1
        if prio:
            day = start.astimezone(tz).date()
            priority_taken[day] = priority_taken.get(day, 0) + 1
    return free_slots(services.calendar, services.directory.hours.visits, rules, now, tz, taken=taken,
                      priority_taken=priority_taken, closures=facts.closed, priority=priority)


def when_short(services: Services, visit: Visit) -> str:
    """``18.03 10:30``: fits a button."""
    start = visit.start.astimezone(services.tz)
    return f"{start:%d.%m} {hm(start)}"


def plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def hours_text(hours: float) -> str:
    """``24 часа``, ``1 час``, ``30 минут``."""
    if hours < 1 or hours != int(hours):
        minutes = round(hours * 60)
        return f"{minutes} {plural(minutes, 'минуту', 'минуты', 'минут')}"
    n = int(hours)
    return f"{n} {plural(n, 'час', 'часа', 'часов')}"


def department(services: Services, dep_id: str) -> Department | None:
    return next((d for d in services.directory.departments if d.id == dep_id), None)


def rules(services: Services, dep_id: str) -> VisitSettings:
    dep = department(services, dep_id)
    return dep.visits if dep else VisitSettings(enabled=False)


def department_phones(services: Services, dep_id: str) -> str:
    topic = next((t for t in services.directory.topics if t.department == dep_id), None)
    return ", ".join(phone_display(p) for p in topic.phones) if topic else ""


def venue(services: Services) -> Venue:
    place = services.directory.visit_place
    return Venue(place.latitude, place.longitude, texts.BTN_VISITS, place.address)


def visit_ics(services: Services, visit: Visit, now: datetime) -> Document:
    """An iCalendar file of the visit, with the place, the way there and an alarm 2 hours before."""
    place = services.directory.visit_place
    dep = department(services, visit.department)
    summary = texts.VISITS_ICS_SUMMARY.format(department=dep.name if dep else visit.department)
    cal = Calendar()
    cal.add("prodid", "-//consult-bot//visits//RU")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = IcsEvent()
    event.add("uid", f"visit-{visit.id}@consult-bot")
    event.add("dtstamp", now)
    event.add("dtstart", visit.start)
    event.add("dtend", visit.end)
    event.add("summary", summary)
    event.add("location", place.address)
    event.add("geo", (place.latitude, place.longitude))
    event.add("description", texts.VISITS_ICS_DESCRIPTION.format(how="\n".join(route_lines(place)),
                                                                 bring=place.what_to_bring or "—", id=visit.id))
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", timedelta(hours=-2))
    event.add_component(alarm)
    cal.add_component(event)
    return Document(filename=f"priem-{visit.id}.ics", content=cal.to_ical(), mime="text/calendar",
                    caption=texts.VISITS_ICS_CAPTION)


def confirmation(services: Services, visit: Visit, reminders: list[float], now: datetime) -> Reply:
    """What a client gets on booking: when, where, how to get there, what to bring; the place on
    a map where the channel can show one and a calendar file where it can send documents."""
    place = services.directory.visit_place
    dep = department(services, visit.department)
    lines = [texts.VISITS_BOOKED.format(when=when(services, visit), department=dep.name if dep else visit.department,
                                        address=place.address, route="\n".join(route_lines(place)),
                                        bring=place.what_to_bring or "—", id=visit.id)]
    lines += accessibility_line(place)
    category = services.directory.booking.category(visit.priority)
    if category:
        lines.append(texts.VISITS_CONFIRM_PRIORITY.format(category=category.label))
    if reminders:
        lines.append(texts.VISITS_BOOKED_REMIND.format(hours=" и ".join(hours_text(h) for h in reminders)))
    else:
        lines.append(texts.VISITS_BOOKED_NO_REMIND)
    return Reply(text="\n\n".join(lines), venue=venue(services), document=visit_ics(services, visit, now),
                 buttons=[[map_button(place)]], tag=f"visit:{visit.id}")


def reminder_key(visit_id: int, hours: float) -> str:
    return f"visit:{visit_id}:{hours:g}h"


def visit_jobs(services: Services, visit: Visit, now: datetime) -> list[JobSpec]:
    """The jobs of a new visit, stored with the booking: a reminder for every configured lead time
    still ahead, and the follow-up when the visit is over."""
    jobs = [JobSpec(REMINDER_KIND, visit.start - timedelta(hours=hours), {"visit": visit.id, "hours": hours},
                    reminder_key(visit.id, hours)) for hours in reminder_hours(services, visit, now)]
    jobs.append(JobSpec(FOLLOWUP_KIND, visit.end, {"visit": visit.id}, f"visit:{visit.id}:after"))
    return jobs


def reminder_hours(services: Services, visit: Visit, now: datetime) -> list[float]:
    """The configured lead times (hours) of reminders still ahead of ``visit``."""
    return [hours for hours in services.directory.booking.reminders_hours
            if visit.start - timedelta(hours=hours) > now + MIN_REMINDER_LEAD]


async def drop_reminders(services: Services, visit_id: int) -> int:
    """Cancel every job of a visit: reminders and the follow-up."""
    return await cancel_jobs(services.db, f"visit:{visit_id}:")


def visitor_lines(services: Services, visit: Visit) -> list[str]:
    lines = [texts.VISITS_STAFF_WHO.format(name=visit.name or "не указано", phone=visit.phone or "не указан")]
    topic = services.directory.topic(visit.topic or "")
    if topic:
        lines.append(texts.VISITS_STAFF_TOPIC.format(topic=topic.short))
    category = services.directory.booking.category(visit.priority)
    if category:
        lines.append(texts.VISITS_STAFF_PRIORITY.format(category=category.label))
    return lines


def staff_notice(services: Services, visit: Visit, template: str) -> list[Outgoing]:
    """A booking or cancellation for every staff destination of the department (none when it has
    none: the agenda and the web workspace show visits anyway)."""
    dep = department(services, visit.department)
    text = template.format(id=visit.id, when=when(services, visit), department=dep.name if dep else "",
                           who="\n".join(visitor_lines(services, visit)))
    return to_staff(services, visit.department, Reply(text=text, tag=f"visit:{visit.id}"), required=False)


def client_address(visit: Visit) -> Address:
    return Address(visit.channel, visit.chat_id, user_id=visit.user_id)

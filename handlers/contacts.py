"""Contacts and hours: every consultation line, the place of personal visits and how to get there."""

from __future__ import annotations

from handlers import texts
from handlers.domain.calendar import describe_schedule, line_status
from handlers.domain.fields import phone_display
from handlers.engine import Context, Option, Screen, Step, step
from handlers.menu import menu_entry
from handlers.models import Venue


@step
class ContactsStep(Step):
    name = "contacts"

    async def screen(self, ctx: Context) -> Screen:
        d = ctx.services.directory
        line = line_status(ctx.services.calendar, d.hours.line, ctx.now, ctx.services.tz)
        lines = [texts.CONTACTS_HEAD.format(hours=describe_schedule(d.hours.line)), line.text, ""]
        for t in d.topics:
            lines.append(f"• {t.short}: {', '.join(phone_display(p) for p in t.phones)}")
        place = d.visit_place
        visits = line_status(ctx.services.calendar, d.hours.visits, ctx.now, ctx.services.tz)
        lines += ["", texts.VISIT_PLACE.format(address=place.address, hours=describe_schedule(d.hours.visits),
                                               status=visits.text, how=place.how_to_get)]
        for c in d.organization.general_contacts:
            lines.append(f"{c.name}: {c.url or ', '.join(c.phones)}")
        lines += ["", texts.CONTACTS_PICK]
        return Screen(text="\n".join(lines), rows=[[Option(t.id, t.short)] for t in d.topics],
                      venue=Venue(place.latitude, place.longitude, "Личный приём", place.address), menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        ctx.go("need.result", {"topic": option_id, "node": None})


menu_entry(90, "contacts", texts.BTN_CONTACTS, "contacts")

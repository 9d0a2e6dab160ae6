"""Contacts and hours: every consultation line, the place of personal visits, how to get there
(metro, entrance, accessibility) and a map link."""

from __future__ import annotations

from handlers import texts
from handlers.directions import accessibility_line, map_button, route_lines, topic_phones
from handlers.domain.calendar import describe_schedule, line_status
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
        lines += topic_phones(d)
        place = d.visit_place
        visits = line_status(ctx.services.calendar, d.hours.visits, ctx.now, ctx.services.tz)
        lines += ["", texts.VISIT_PLACE.format(address=place.address, hours=describe_schedule(d.hours.visits),
                                               status=visits.text), *route_lines(place), *accessibility_line(place)]
        for c in d.organization.general_contacts:
            lines.append(f"{c.name}: {c.url or ', '.join(c.phones)}")
        lines += ["", texts.CONTACTS_PICK]
        link = map_button(place)
        return Screen(text="\n".join(lines), rows=[[Option("map", link.label, url=link.url)],
                                                   *([Option(t.id, t.short)] for t in d.topics)],
                      venue=Venue(place.latitude, place.longitude, texts.BTN_VISITS, place.address), menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        ctx.go("need.result", {"topic": option_id, "node": None})


menu_entry(90, "contacts", texts.BTN_CONTACTS, "contacts", aliases=("контакты", "телефоны"))

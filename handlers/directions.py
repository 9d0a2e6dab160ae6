"""How to reach the place of personal visits, in one wording for every screen that tells it (the
contacts, the answers to «адрес» and «есть ли пандус», a booking's confirmation): metro stations
with walking time, the entrance, accessibility (section 5 of the order) and a map link button."""

from __future__ import annotations

from handlers import texts
from handlers.domain.directory import Directory, Metro, Place
from handlers.domain.fields import phone_display
from handlers.models import Button


def _metro(m: Metro) -> str:
    walk = texts.PLACE_WALK.format(minutes=m.walk_minutes) if m.walk_minutes else ""
    return texts.PLACE_METRO.format(station=m.station, walk=walk, then=f" {m.then}" if m.then else "")


def route_lines(place: Place) -> list[str]:
    """Metro, the way from it and the entrance."""
    lines = [_metro(m) for m in place.metro]
    if place.how_to_get:
        lines.append(texts.PLACE_HOW.format(how=place.how_to_get))
    if place.entrance:
        lines.append(texts.PLACE_ENTRANCE.format(entrance=place.entrance))
    return lines


def accessibility_line(place: Place) -> list[str]:
    return [texts.PLACE_ACCESSIBILITY.format(text=place.accessibility)] if place.accessibility else []


def map_button(place: Place) -> Button:
    return Button(texts.BTN_MAP, url=place.map_link)


def topic_phones(directory: Directory) -> list[str]:
    """``• Аттестация: +7 (812) 539-46-67, …`` — every consultation line by topic."""
    return [f"• {t.short}: {', '.join(phone_display(p) for p in t.phones)}" for t in directory.topics]


def topic_emails(directory: Directory) -> list[str]:
    return [f"• {t.short}: {', '.join(t.emails)}" for t in directory.topics]

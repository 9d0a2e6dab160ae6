"""Where a department's staff are reached: every staff destination of the department (chats,
forum topics, mailboxes of any channel), each message to them one outbox row with the department
set, so that what cannot be delivered is listed by /undelivered to that department."""

from __future__ import annotations

import logging
from collections.abc import Callable

from handlers.models import Address, Outgoing, Reply
from handlers.services import Services

log = logging.getLogger(__name__)

# The address of a department with no staff destination: no channel has this name, so the message
# is given up at once and listed by /undelivered (the console demo prints it).
NOWHERE = "staff"

_warned: set[str] = set()


def destinations(services: Services, department: str) -> list[Address]:
    """The department's staff destinations, in the order configured."""
    dep = next((d for d in services.directory.departments if d.id == department), None)
    return [] if dep is None else [Address(d.channel, d.chat_id, d.thread_id) for d in dep.destinations]


def to_staff(services: Services, department: str, reply: Reply | Callable[[Address], Reply], *,
             required: bool = True) -> list[Outgoing]:
    """One message for every staff destination of ``department``; ``reply`` may be made for each
    (a card lists files as the destination will show them). A department with no destination gets
    one undeliverable message when ``required`` (the client was told his request was passed on:
    staff must be able to find it), else none."""
    targets = destinations(services, department)
    if not targets:
        if department not in _warned:
            _warned.add(department)
            log.warning("department %s has no staff destination (directory.yaml staff_destinations or "
                        "STAFF_CHATS)", department)
        if not required:
            return []
        targets = [Address(NOWHERE, department)]
    return [Outgoing(a, reply(a) if callable(reply) else reply, staff=True, department=department) for a in targets]


def is_destination(services: Services, department: str, channel: str, chat_id: str,
                   thread_id: int | None = None) -> bool:
    """Whether a chat (the one an event came from) is one of the department's destinations."""
    return any((a.channel, a.chat_id, a.thread_id) == (channel, chat_id, thread_id)
               for a in destinations(services, department))

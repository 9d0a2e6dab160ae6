"""Who may see what of which department: one rule for the chat and the web workspace.

- *Staff* of a department: listed in its ``staff`` (directory.yaml or DEPARTMENT_STAFF), or a member
  of its staff chat acting there (the chat vouches for him: only staff are in it). Listed staff act
  from their private dialogue with the bot too.
- *Heads* (``heads``, DEPARTMENT_HEADS) are staff of their department who also see its reports and
  set shortened and extended deadlines.
- *Admins* (STAFF_ADMIN_IDS) are heads of every department.

A person is named channel-qualified, as in the directory: ``telegram:123``, ``vk:456``, ``max:789``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from handlers.models import Event
    from handlers.services import Services


@dataclass(frozen=True, slots=True)
class Rights:
    person: str  # channel:user id
    admin: bool
    staff_of: frozenset[str]  # department ids, heads' departments included
    head_of: frozenset[str]

    @property
    def any(self) -> bool:
        """Whether this person is staff at all."""
        return self.admin or bool(self.staff_of)

    def sees(self, department: str) -> bool:
        return self.admin or department in self.staff_of

    def heads(self, department: str) -> bool:
        return self.admin or department in self.head_of

    def departments(self, services: Services) -> list[str]:
        """The departments this person sees, in the directory's order."""
        return [d.id for d in services.directory.departments if self.sees(d.id)]

    def headed(self, services: Services) -> list[str]:
        """The departments whose reports this person sees, in the directory's order."""
        return [d.id for d in services.directory.departments if self.heads(d.id)]


def person_id(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


def chat_department(services: Services, channel: str, chat_id: str, thread_id: int | None = None) -> str | None:
    """The department whose staff chat (or forum topic) this is, if it is one."""
    return services.chat_department(channel, chat_id, thread_id)


def rights_of(services: Services, person: str, chat_departments: Iterable[str] = ()) -> Rights:
    """What ``person`` may see: by the directory and STAFF_ADMIN_IDS, plus the departments whose
    staff chat he asked in (``chat_departments``; unknown ids are ignored)."""
    known = {d.id for d in services.directory.departments}
    head_of = frozenset(d.id for d in services.directory.departments if person in d.heads)
    listed = frozenset(d.id for d in services.directory.departments if person in d.staff)
    staff_of = head_of | listed | (frozenset(chat_departments) & known)
    return Rights(person, person in services.admin_ids, staff_of, head_of)


def event_rights(services: Services, event: Event) -> Rights:
    """What the person of ``event`` may see where he writes: by the directory and admins, plus the
    department of the staff chat (or forum topic) he writes in."""
    chat = services.chat_department(event.channel, event.chat_id, event.thread_id)
    return rights_of(services, person_id(event.channel, event.user_id), [chat] if chat else [])


def scope(services: Services, event: Event) -> list[str]:
    """The departments an event speaks for: its staff chat's (an admin's too), else every one the
    person sees (a private dialogue), in the directory's order."""
    chat = services.chat_department(event.channel, event.chat_id, event.thread_id)
    return [chat] if chat else event_rights(services, event).departments(services)

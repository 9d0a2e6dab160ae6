"""Who may see what of which department: one rule for the chat and the web workspace.

- *Staff* of a department: listed in its ``staff`` (directory.yaml or DEPARTMENT_STAFF), or a member
  of its staff chat who asked for access there (the chat vouches for him: only staff are in it).
- *Heads* (``heads``, DEPARTMENT_HEADS) are staff of their department who also see its reports and
  set shortened and extended deadlines.
- *Admins* (STAFF_ADMIN_IDS) are heads of every department.

A person is named channel-qualified, as in the directory: ``telegram:123``, ``vk:456``, ``max:789``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def chat_department(services: Services, channel: str, chat_id: str) -> str | None:
    """The department whose staff chat this is, if it is one."""
    return services.staff_chats.get((channel, chat_id))


def rights_of(services: Services, person: str, chat_departments: Iterable[str] = ()) -> Rights:
    """What ``person`` may see: by the directory and STAFF_ADMIN_IDS, plus the departments whose
    staff chat he asked in (``chat_departments``; unknown ids are ignored)."""
    known = {d.id for d in services.directory.departments}
    head_of = frozenset(d.id for d in services.directory.departments if person in d.heads)
    listed = frozenset(d.id for d in services.directory.departments if person in d.staff)
    staff_of = head_of | listed | (frozenset(chat_departments) & known)
    return Rights(person, person in services.admin_ids, staff_of, head_of)

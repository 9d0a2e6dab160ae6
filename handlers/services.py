"""Everything flows may use besides the event: content, storage, clock, understanding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from handlers.rights import event_rights

if TYPE_CHECKING:
    from handlers.domain.calendar import WorkCalendar
    from handlers.domain.directory import Directory
    from handlers.domain.survey import SurveyFile
    from handlers.models import Event
    from handlers.understanding import Understanding
    from storage.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    directory: Directory
    surveys: SurveyFile
    calendar: WorkCalendar
    db: Database
    understanding: Understanding
    clock: Callable[[], datetime] = utc_now
    admin_ids: frozenset[str] = frozenset()  # "channel:user" of those who may act for any department
    survey_salt: str = ""  # keys the survey's anonymous receipts (HMAC)
    web_base_url: str | None = None  # where the staff's web workspace is reached (without /staff/)
    # Filled by the application from the departments' staff destinations: (channel, chat id, forum
    # topic or None) -> department id. A forum topic is its department's; a whole chat (no topic)
    # is the department's unless a topic of it is another's.
    staff_chats: dict[tuple[str, str, int | None], str] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.directory.hours.timezone)

    def chat_department(self, channel: str, chat_id: str, thread_id: int | None = None) -> str | None:
        """The department whose staff chat (or forum topic) this is, if it is one."""
        found = self.staff_chats.get((channel, chat_id, thread_id))
        if found is None and thread_id is not None:
            found = self.staff_chats.get((channel, chat_id, None))
        return found

    def is_staff_chat(self, channel: str, chat_id: str) -> bool:
        """A chat where staff work (any of its topics): no citizen's conversation happens there."""
        return any(c == channel and chat == chat_id for c, chat, _ in self.staff_chats)

    def staff_chat_ids(self, channel: str) -> set[str]:
        return {chat for c, chat, _ in self.staff_chats if c == channel}

    def is_staff(self, event: Event) -> bool:
        """Whether the person of ``event`` may act as staff there (handlers.rights)."""
        return event_rights(self, event).any

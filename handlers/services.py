"""Everything flows may use besides the event: content, storage, clock, understanding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

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
    # Filled by the application: which (channel, chat id) pairs are staff chats.
    staff_chats: dict[tuple[str, str], str] = field(default_factory=dict)  # -> department id
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.directory.hours.timezone)

    def is_staff(self, event: Event) -> bool:
        return ((event.channel, event.chat_id) in self.staff_chats
                or f"{event.channel}:{event.user_id}" in self.admin_ids)

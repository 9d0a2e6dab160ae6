"""Everything flows may use besides the event: content, storage, clock, understanding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.config import Directory, SurveyFile
    from bot.settings import Settings
    from bot.worktime import WorkCalendar
    from handlers.models import Event
    from handlers.understanding import Understanding
    from storage.db import Database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    directory: Directory
    surveys: SurveyFile
    calendar: WorkCalendar
    db: Database
    understanding: Understanding
    clock: Callable[[], datetime] = utc_now
    # Filled by the application: which (channel, chat id) pairs are staff chats.
    staff_chats: dict[tuple[str, str], str] = field(default_factory=dict)  # -> department id
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.directory.hours.timezone)

    def is_staff(self, event: Event) -> bool:
        return ((event.channel, event.chat_id) in self.staff_chats
                or f"{event.channel}:{event.user_id}" in self.settings.admin_ids)

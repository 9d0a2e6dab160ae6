"""Application wiring: settings -> content -> database -> engine -> outbox sender -> channels."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.channels.admission import Admission
from bot.channels.registry import configured_channels
from bot.delivery import Sender
from bot.overrides import admin_ids, with_staff_overrides
from bot.settings import Settings
from handlers import flows  # noqa: F401  (registers every step)
from handlers.domain.calendar import CalendarFile, WorkCalendar
from handlers.domain.directory import Directory
from handlers.domain.loading import load_content as domain_load
from handlers.domain.survey import SurveyFile
from handlers.engine import Engine
from handlers.models import Outgoing
from handlers.services import Services, utc_now
from handlers.understanding import Understanding
from storage.db import Database

if TYPE_CHECKING:
    from bot.channels.base import Channel
    from bot.web_server import WebServer

log = logging.getLogger(__name__)


def load_content(settings: Settings) -> tuple[Directory, SurveyFile, CalendarFile]:
    """Every content file, validated; raises ConfigError listing all problems at once."""
    return domain_load(settings.directory_file, settings.survey_file, settings.calendar_file)


def staff_chats(directory: Directory) -> dict[tuple[str, str, int | None], str]:
    """The chats (and forum topics) of every channel where a department's staff work: (channel,
    chat id, topic or None) -> department. Mailboxes are not chats: nobody writes from them."""
    return {d.key: dep.id for dep in directory.departments for d in dep.destinations if d.is_chat}


class App:
    def __init__(self, services: Services, settings: Settings) -> None:
        self.services = services
        self.settings = settings
        self.engine = Engine(services)
        self.sender = Sender(self)
        self.admission = Admission(rate=settings.new_people_rate, burst=settings.new_people_burst,
                                   established_after=settings.established_after,
                                   max_in_flight=settings.max_events_in_flight, busy_at=settings.busy_at)
        self.channels: dict[str, Channel] = {}
        # The channels this deployment has settings for: a message to one of them that is not
        # connected at the moment waits in the outbox; to any other it is given up at once.
        self.configured: set[str] = set(configured_channels(settings))
        self.fallback: Channel | None = None  # the console shows every message in the demo
        self.web: WebServer | None = None  # the web server of ``consult-bot run`` (webhooks, /healthz)

    @classmethod
    async def create(cls, settings: Settings | None = None, *, clock: Callable[[], datetime] = utc_now,
                     migrate: bool = True) -> App:
        settings = settings or Settings()
        directory, surveys, calendar = load_content(settings)
        directory = with_staff_overrides(directory, settings.staff_chats, settings.department_heads,
                                         settings.department_staff)
        db = Database(settings.database_url)
        if migrate:
            await db.migrate()
        services = Services(directory=directory, surveys=surveys, calendar=WorkCalendar(calendar), db=db,
                            understanding=Understanding(directory), clock=clock,
                            admin_ids=admin_ids(settings.staff_admin_ids),
                            survey_salt=settings.survey_salt.get_secret_value(),
                            web_base_url=settings.web_base_url)
        services.staff_chats.update(staff_chats(directory))
        return cls(services, settings)

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel
        self.configured.add(channel.name)

    def remove_channel(self, channel: Channel) -> None:
        if self.channels.get(channel.name) is channel:
            del self.channels[channel.name]

    def channel_for(self, name: str) -> Channel | None:
        return self.channels.get(name) or self.fallback

    async def deliver(self, out: Outgoing) -> bool:
        """Send one message now, outside the outbox: True delivered, False refused, unreachable or
        no such channel; raises ``SendFailed`` when it is worth trying again later."""
        channel = self.channel_for(out.address.channel)
        if channel is None:
            log.error("no channel %r to deliver a message to", out.address.channel)
            return False
        return await channel.deliver(out)

    async def close(self) -> None:
        await self.services.db.close()

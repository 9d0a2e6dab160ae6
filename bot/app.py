"""Application wiring: settings -> content -> database -> engine -> channels."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.mailer import send_mail
from bot.outbox import keep_for_retry
from bot.overrides import with_staff_overrides
from bot.settings import Settings
from handlers import flows  # noqa: F401  (registers every step)
from handlers.domain.calendar import CalendarFile, WorkCalendar
from handlers.domain.directory import Directory
from handlers.domain.loading import load_content as domain_load
from handlers.domain.survey import SurveyFile
from handlers.engine import Engine
from handlers.models import Outgoing, TransientSendError
from handlers.services import Services, utc_now
from handlers.understanding import Understanding
from storage.db import Database

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def deliver(self, out: Outgoing) -> bool:
        """Send a message that is not an answer in the current chat: True sent, False the recipient
        cannot receive it; raise TransientSendError when it is worth trying again later."""
        ...


def load_content(settings: Settings) -> tuple[Directory, SurveyFile, CalendarFile]:
    """Every content file, validated; raises ConfigError listing all problems at once."""
    return domain_load(settings.directory_file, settings.survey_file, settings.calendar_file)


class App:
    def __init__(self, services: Services, settings: Settings) -> None:
        self.services = services
        self.settings = settings
        self.engine = Engine(services)
        self.channels: dict[str, Channel] = {}
        self.fallback: Channel | None = None  # the console shows every message in the demo

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
                            understanding=Understanding(directory), clock=clock, admin_ids=settings.admin_ids,
                            survey_salt=settings.survey_salt.get_secret_value(),
                            send_mail=lambda to, subject, body: send_mail(settings, to, subject, body),
                            web_base_url=settings.web_base_url)
        for dep in directory.departments:
            if dep.staff_chat:
                services.staff_chats[("telegram", dep.staff_chat)] = dep.id
        return cls(services, settings)

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    async def send_now(self, out: Outgoing) -> bool:
        """Send at once: True delivered, False the recipient cannot receive it (blocked, unknown
        chat); raises TransientSendError when it is worth trying again later."""
        channel = self.channels.get(out.address.channel) or self.fallback
        if channel is None:
            log.error("no channel %r to deliver a message to %s", out.address.channel, out.address.chat_id)
            ok = False
        else:
            ok = await channel.deliver(out)
        if out.on_result is not None:  # the sender wants to know (e.g. staff answer not delivered)
            try:
                follow = await out.on_result(ok)
            except Exception:
                log.exception("delivery result handler failed for %s:%s", out.address.channel,
                              out.address.chat_id)
                follow = []
            for nxt in follow:
                await self.deliver(nxt)
        return ok

    async def deliver(self, out: Outgoing) -> bool:
        """Send, or keep the message in the outbox when the channel fails for now: it is retried
        with backoff by the scheduler and listed to staff (/undelivered) if it never goes through."""
        try:
            return await self.send_now(out)
        except TransientSendError as exc:
            await keep_for_retry(self.services, out, str(exc) or type(exc).__name__)
            return True

    async def close(self) -> None:
        await self.services.db.close()

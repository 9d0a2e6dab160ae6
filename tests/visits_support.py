"""Helpers of the visit tests: a directory with staff chats, button presses, a booking dialogue,
and a job runner that keeps what it delivers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.app import App
from bot.channels.console import render_text
from bot.scheduler import JobRunner
from handlers.engine import queued_outgoing
from handlers.models import Event, Outgoing
from storage.outbox import Queued
from tests.conftest import ROOT, Dialogue, handle

MSK = ZoneInfo("Europe/Moscow")
STAFF_CHATS = {"selection": "-1001", "civil_service": "-1002", "training": "-1003", "personnel": "-1004",
               "awards": "-1005"}


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


def directory_with_staff_chats(tmp_path: Path) -> Path:
    """The real directory.yaml with a Telegram staff chat for every department."""
    data = yaml.safe_load((ROOT / "directory.yaml").read_text(encoding="utf-8"))
    for dep in data["departments"]:
        dep["staff_chat"] = STAFF_CHATS[dep["id"]]
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


async def press(app: App, payload: str, user: str = "console", channel: str = "console") -> str:
    """A button press (callback payload) from any message; returns what the user sees."""
    outs = await handle(app, Event(channel=channel, user_id=user, chat_id=user, payload=payload))
    return "\n\n".join(render_text(o.reply) for o in outs if o.address.chat_id == user and not o.staff)


async def send(app: App, text: str, user: str, channel: str = "console", chat: str | None = None) -> str:
    outs = await handle(app, Event(channel=channel, user_id=user, chat_id=chat or user, text=text))
    return "\n\n".join(render_text(o.reply) for o in outs if o.address.chat_id == (chat or user) and not o.staff)


async def book(d: Dialogue, *, topic: str = "Государственные награды", day: str = "Чт, 19 марта",
               half: str = "утро", time: str = "10:00", name: str = "Иванов Иван",
               phone: str = "+7 911 123-45-67", survey: bool = True) -> str:
    """Book through the menu: Личный приём -> topic -> day -> half -> time -> personal data -> confirm;
    then the survey invitations are offered once (``survey``: agreed), and the booking's screen is back."""
    await d.say("меню")
    await d.say("Личный приём")
    assert "Выберите удобный день" in await d.say(topic)
    assert "Когда вам удобнее" in await d.say(day)
    assert "Выберите время приёма" in await d.say(half)
    answer = await d.say(time)
    if "Вы согласны" in answer:
        answer = await d.say("Согласен(на)")
    if "Как к вам обращаться" in answer:
        answer = await d.say(name)
    if "номер телефона" in answer:
        answer = await d.say(phone)
    assert "Проверьте, пожалуйста, запись" in answer, answer
    done = await d.say("Записаться")
    if "Можно прислать вам приглашение оценить качество" in done:
        done += "\n\n" + await d.say("Согласен(на)" if survey else "Не согласен(на)")
    return done


class Collector:
    """A job runner whose deliveries are kept (to press their buttons later) and shown in the console."""

    def __init__(self, app: App, worker: str = "test") -> None:
        self.app = app
        self.sent: list[Outgoing] = []
        self.runner = JobRunner(app, worker=worker)
        original = app.sender.deliver

        async def deliver(rows: Sequence[Queued], **kwargs: Any) -> None:
            self.sent.extend(queued_outgoing(r) for r in rows)
            await original(rows, **kwargs)

        app.sender.deliver = deliver  # type: ignore[method-assign]

    async def run_due(self) -> list[Outgoing]:
        before = len(self.sent)
        await self.runner.run_due()
        return self.sent[before:]

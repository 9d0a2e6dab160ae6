"""What an administrator should know about the staff side of a deployment, before anything is lost:
``consult-bot check-config`` prints these warnings and ``consult-bot run`` logs them at start.

- a department with no staff destination: requests on its topics would go nowhere (the client
  is still told that his request was passed on; the card waits in /undelivered);
- a destination, staff member, head or admin on a channel this deployment has no settings for;
- the deprecated forms of a Telegram staff chat (``staff_chat``/``staff_thread``, a bare number in
  ``STAFF_CHATS``) with their new spelling.

Errors (an address or id that cannot be read) are not here: loading the configuration refuses them
(``handlers.domain.addresses``, ``bot.overrides``).
"""

from __future__ import annotations

from bot.channels.registry import CHANNELS, configured_channels
from bot.overrides import admin_ids, deprecated_staff_chats
from bot.settings import Settings
from handlers import texts
from handlers.domain.directory import Directory


def _channel(name: str) -> str:
    return texts.CHANNEL_NAMES.get(name, name)


def _what_to_set(name: str) -> str:
    spec = next((s for s in CHANNELS if s.name == name), None)
    return f" (задайте {spec.what_to_set})" if spec else ""


def staff_warnings(settings: Settings, directory: Directory) -> list[str]:
    """Warnings about staff destinations and ids, for ``directory`` after the environment overrides."""
    source = settings.directory_file
    configured = set(configured_channels(settings))
    out: list[str] = []
    for dep in directory.departments:
        where = f"{source}: departments.{dep.id}"
        if not dep.destinations:
            topics = [f"«{t.short}»" for t in directory.topics if t.department == dep.id]
            about = f"{'темам' if len(topics) > 1 else 'теме'} {', '.join(topics)}"
            lost = (f"обращения по {about} никуда не попадут (клиенту при этом скажут, что обращение передано)"
                    if topics else "записи на приём и сводки никуда не попадут")
            out.append(f"{where}: у отдела нет адреса для сотрудников (staff_destinations или STAFF_CHATS) — {lost}")
        for d in dep.destinations:
            if d.channel not in configured:
                out.append(f"{where}: адрес {d} — канал «{_channel(d.channel)}» в этом развёртывании не настроен"
                           f"{_what_to_set(d.channel)}: сообщения туда не дойдут")
        if dep.staff_chat is not None:
            new = next(str(d) for d in dep.destinations if d.legacy)
            out.append(f"{where}.staff_chat: устаревшая запись — пишите staff_destinations: [{new}]")
        for kind, people in (("руководитель", dep.heads), ("сотрудник", dep.staff)):
            for person in people:
                channel = person.partition(":")[0]
                if channel not in configured:
                    out.append(f"{where}: {kind} {person} — канал «{_channel(channel)}» не настроен: "
                               f"из него он с ботом не поработает")
    out += deprecated_staff_chats(settings.staff_chats)
    for person in sorted(admin_ids(settings.staff_admin_ids)):
        channel = person.partition(":")[0]
        if channel not in configured:
            out.append(f"STAFF_ADMIN_IDS: {person} — канал «{_channel(channel)}» не настроен")
    return out

"""Pages from Jinja2 templates (package data under bot/web/templates), escaped by default: a
client's text is data, never markup. Times are shown in the directory's zone (Moscow)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.web.context import signed_in_user, user, workspace
from handlers import texts

WEEKDAYS = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")
MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября",
          "ноября", "декабря")

_env = Environment(loader=PackageLoader("bot.web", "templates"), autoescape=select_autoescape(default=True),
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def _long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}, {WEEKDAYS[day.weekday()]}"


_env.filters["long_date"] = _long_date
_env.filters["ru_date"] = lambda day: f"{day:%d.%m.%Y}" if day else "—"
_env.filters["hm"] = lambda moment: f"{moment:%H:%M}"
_env.globals["texts"] = texts


def render(request: web.Request, template: str, *, status: int = 200, **values: Any) -> web.Response:
    ws = workspace(request)
    tz = ws.services.tz

    def local(moment: datetime | None) -> str:
        return f"{moment.astimezone(tz):%d.%m.%Y %H:%M}" if moment else "—"

    def local_date(moment: datetime | None) -> str:
        return f"{moment.astimezone(tz):%d.%m.%Y}" if moment else "—"

    me = signed_in_user(request)
    body = _env.get_template(template).render(
        request=request, me=me, local=local, local_date=local_date, nav=_nav(request) if me else [],
        path=request.path, **values)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _nav(request: web.Request) -> list[tuple[str, str]]:
    """The header's links: the reports only for those who see some."""
    me = user(request)
    items = [("/staff/", "Обращения"), ("/staff/visits", "Приём")]
    if me.rights.headed(workspace(request).services):
        items.append(("/staff/reports", "Отчёты"))
    items.append(("/staff/health", "Состояние"))
    return items


def page_error(request: web.Request, status: int, title: str, message: str) -> web.Response:
    """A plain page that says what went wrong and what to do."""
    return render(request, "message.html", status=status, title=title, message=message)


def download(content: bytes, filename: str, mime: str) -> web.Response:
    """A file to save (never shown in the page), its name as is for browsers and an ASCII fallback."""
    stem, dot, suffix = filename.rpartition(".") if "." in filename else (filename, "", "")
    ascii_stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_") or "file"
    ascii_name = ascii_stem + (dot + re.sub(r"[^A-Za-z0-9]+", "", suffix) if suffix else "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    return web.Response(body=content, headers={"Content-Type": mime, "Content-Disposition": disposition})

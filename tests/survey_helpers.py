"""Helpers shared by the survey tests: pressing a button payload, a custom questionnaire."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.app import App
from bot.channels.console import render_text
from handlers.models import Event, Outgoing
from tests.conftest import ROOT
from tests.conftest import handle as handle_event

Q1_START = "Вы скорее удовлетворены или скорее не удовлетворены"
BOTH_SOURCES = [
    "Официальный сайт Администрации Губернатора и Правительства Ленинградской области",
    'Официальная страница Администрации Губернатора и Правительства Ленинградской области в социальной сети '
    '"ВКонтакте"',
]


async def press(app: App, payload: str, user: str = "console") -> str:
    """A button press (callback payload) of a console user; returns what he sees."""
    outs = await handle_event(app, Event(channel="console", user_id=user, chat_id=user, payload=payload))
    return "\n\n".join(render_text(o.reply) for o in outs if o.address.chat_id == user)


async def handle(app: App, text: str, user: str = "console") -> list[Outgoing]:
    return await handle_event(app, Event(channel="console", user_id=user, chat_id=user, text=text))


def custom_survey_file(tmp_path: Path, **invitations: object) -> Path:
    """The real survey.yaml plus a short survey with every optional feature, made the default."""
    data = yaml.safe_load((ROOT / "survey.yaml").read_text(encoding="utf-8"))
    data["surveys"].append({
        "id": "short",
        "title": "Короткий опрос",
        "intro": "Три вопроса о приёме.",
        "thanks": "Благодарим за ответы!",
        "questions": [
            {"id": "s1", "type": "single", "text": "Вы были на приёме?", "options": ["Да", "Нет"]},
            {"id": "s2", "type": "scale", "text": "Оцените приём", "required": False,
             "scale_min_label": "плохо", "scale_max_label": "отлично", "show_if": {"question": "s1", "equals": "Да"}},
            {"id": "s3", "type": "multiple", "text": "Что было удобно?", "required": False,
             "options": ["Время", "Место", "Вежливость"]},
            {"id": "s4", "type": "text", "text": "Ваш комментарий", "required": False, "max_length": 20},
        ],
    })
    data["default"] = "short"
    data["invitations"]["survey"] = "short"
    data["invitations"].update(invitations)
    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

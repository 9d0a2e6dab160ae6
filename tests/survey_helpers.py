"""Helpers shared by the survey tests: pressing a button payload, a custom questionnaire."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.app import App
from bot.channels.console import render_text
from handlers.models import Event, Outgoing
from tests.conftest import ROOT
from tests.conftest import handle as handle_event

Q1_START = "Вы скорее удовлетворены или скорее не удовлетворены"
ORDER_NAME = "order-2025-12-18-01-02-10.md"


def order_file() -> Path | None:
    """The order in ``shared/seed/`` next to the repository (or next to the folder of git worktrees
    the repository is checked out in); None when it is not there."""
    for parent in Path(__file__).resolve().parents[1:4]:
        path = parent / "shared" / "seed" / ORDER_NAME
        if path.exists():
            return path
    return None


def appendix1(order: str) -> str:
    """The text of Appendix 1 (the questionnaire) of the order."""
    start = order.index("**Оценка удовлетворенности доступностью")
    return order[start:order.index("Приложение № 2", start)]


def appendix1_options(order: str) -> dict[int, list[str]]:
    """The answer options of every question of Appendix 1, in the order and wording it prints them
    (``5: ["5 баллов", "4 балла", …]``); a text question has none."""
    parts = re.split(r"^\*\*(\d+)\. ", appendix1(order), flags=re.M)
    return {int(number): re.findall(r"^\d+\. (.+?)\s*$", block, re.M) for number, block in zip(parts[1::2], parts[2::2],
                                                                                               strict=True)}
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


def custom_survey_file(tmp_path: Path, *, required_text: bool = False, **invitations: object) -> Path:
    """The real survey.yaml plus a short survey with every optional feature, made the default
    (``required_text``: its last, text question must be answered)."""
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
            {"id": "s4", "type": "text", "text": "Ваш комментарий", "required": required_text, "max_length": 20},
        ],
    })
    data["default"] = "short"
    data["invitations"]["survey"] = "short"
    data["invitations"].update(invitations)
    path = tmp_path / "survey.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path

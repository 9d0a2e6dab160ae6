"""Who is staff of which department, who is a head, who is an admin: one rule (handlers/rights.py)
from directory.yaml (``staff``, ``heads``), the environment and the staff chat one asks in."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import App
from bot.overrides import with_staff_overrides
from bot.settings import Settings
from handlers import texts
from handlers.domain.fields import ConfigError
from handlers.domain.loading import load_directory
from handlers.rights import rights_of
from tests.conftest import ROOT, FakeClock
from tests.requests_helpers import RecordingChannel, staff_settings
from tests.web.support import ask_link, served


def test_staff_heads_admins_and_the_chat_one_asks_in(tmp_path: Path) -> None:
    directory = with_staff_overrides(load_directory(ROOT / "directory.yaml"), heads="personnel=telegram:1",
                                     staff="personnel=vk:2,max:3;awards=telegram:4")

    class Services:  # what rights_of reads
        admin_ids = frozenset({"telegram:9"})

    services = Services()
    services.directory = directory  # type: ignore[attr-defined]
    head = rights_of(services, "telegram:1")  # type: ignore[arg-type]
    assert head.any and head.sees("personnel") and head.heads("personnel") and not head.sees("awards")
    listed = rights_of(services, "vk:2")  # type: ignore[arg-type]
    assert listed.sees("personnel") and not listed.heads("personnel")
    nobody = rights_of(services, "telegram:5")  # type: ignore[arg-type]
    assert not nobody.any
    in_chat = rights_of(services, "telegram:5", ["awards", "no_such_department"])  # type: ignore[arg-type]
    assert in_chat.staff_of == {"awards"} and not in_chat.heads("awards")
    admin = rights_of(services, "telegram:9")  # type: ignore[arg-type]
    assert admin.heads("selection") and admin.sees("awards")
    assert admin.departments(services) == [d.id for d in directory.departments]  # type: ignore[arg-type]


def test_staff_ids_are_checked_like_the_rest_of_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        with_staff_overrides(load_directory(ROOT / "directory.yaml"), staff="personnel=telegram:1,icq:2")
    assert any("сотрудник 'icq:2': ожидается канал:id, где канал — telegram, vk, max, console" in p
               for p in exc.value.problems)
    text = (ROOT / "directory.yaml").read_text(encoding="utf-8").replace(
        "  - id: awards\n", "  - id: awards\n    staff: [\"telegram:1\", \"telegram:1\"]\n", 1)
    bad = tmp_path / "directory.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_directory(bad)
    assert any("departments.awards.staff: сотрудник 'telegram:1' указан дважды" in p for p in exc.value.problems)


async def test_staff_listed_in_the_directory_ask_privately(settings: Settings, clock: FakeClock) -> None:
    app = await App.create(staff_settings(settings, department_staff="awards=telegram:4242"), clock=clock,
                           migrate=False)
    try:
        tg = RecordingChannel(app)
        app.add_channel(tg)
        async with served(app) as site:
            link = await ask_link(tg, "4242", name="Иван Наградов")  # his private dialogue
            assert texts.WEB_LINK.split("{")[0] in tg.last("4242")
            page = await site.browser().sign_in(link)
            assert "Обращения Отдел наградной политики" in page.text and "Отчёты" not in page.text
    finally:
        await app.close()

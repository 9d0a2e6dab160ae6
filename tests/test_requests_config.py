"""Staff destinations, heads, staff and admins: from directory.yaml or, per deployment, from the
environment; one parser of channel-qualified addresses for both, with errors that name the place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from bot.app import staff_chats
from bot.overrides import admin_ids, deprecated_staff_chats, with_staff_overrides
from handlers.domain.addresses import Destination, parse_destination, parse_person
from handlers.domain.fields import ConfigError
from handlers.domain.loading import load_directory

ROOT = Path(__file__).resolve().parent.parent


def _directory(tmp_path: Path, **departments: dict) -> Path:
    data = yaml.safe_load((ROOT / "directory.yaml").read_text(encoding="utf-8"))
    for dep in data["departments"]:
        dep.update(departments.get(dep["id"], {}))
    path = tmp_path / "directory.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "parsed"), [
    ("telegram:-1001234567890/2", Destination("telegram", "-1001234567890", 2)),
    ("telegram:-1001234567890", Destination("telegram", "-1001234567890")),
    ("vk:2000000001", Destination("vk", "2000000001")),
    ("max:-68012345", Destination("max", "-68012345")),
    ("email:OK@lenreg.ru", Destination("email", "ok@lenreg.ru")),
    (" Telegram:-100/3 ", Destination("telegram", "-100", 3)),
    ("-1001234567890/2", Destination("telegram", "-1001234567890", 2, legacy=True)),
    ("-100987", Destination("telegram", "-100987", legacy=True)),
])
def test_addresses_are_read_and_printed_one_way(text: str, parsed: Destination) -> None:
    assert parse_destination(text) == parsed
    assert parse_destination(str(parsed)) == Destination(parsed.channel, parsed.chat_id, parsed.thread_id)


@pytest.mark.parametrize(("text", "why"), [
    ("чат", "ожидается канал:адрес, например telegram:-1001234567890/2, vk:2000000001"),
    ("sms:123", "неизвестный канал 'sms'; допустимы telegram, vk, max, email, console"),
    ("vk:club77", "id беседы ВКонтакте — число 2000000000 + номер беседы"),
    ("vk:2000000001/2", "темы (/номер) бывают только у групп Telegram"),
    ("telegram:-100/тема", "номер темы форума 'тема' — не число"),
    ("email:ok@", "ожидается адрес электронной почты"),
])
def test_a_bad_address_says_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_destination(text)


def test_people_are_channel_and_number() -> None:
    assert parse_person(" VK:456 ") == "vk:456"
    assert parse_person("console:admin") == "console:admin"
    with pytest.raises(ValueError, match="id пользователя telegram — число"):
        parse_person("telegram:ivanov")
    with pytest.raises(ValueError, match="ожидается канал:id"):
        parse_person("123")


def test_environment_sets_destinations_heads_and_staff() -> None:
    directory = with_staff_overrides(
        load_directory(ROOT / "directory.yaml"),
        "selection=telegram:-1001234567890/2,email:Podbor@lenreg.ru; awards=vk:2000000001;personnel=-100987/5",
        "selection=telegram:111,vk:222", "awards=max:7")
    selection, awards = directory.department("selection"), directory.department("awards")
    assert [str(d) for d in selection.destinations] == ["telegram:-1001234567890/2", "email:podbor@lenreg.ru"]
    assert selection.heads == ["telegram:111", "vk:222"]
    assert [str(d) for d in awards.destinations] == ["vk:2000000001"] and awards.staff == ["max:7"]
    # the old form still means a Telegram chat (and its topic)
    assert [str(d) for d in directory.department("personnel").destinations] == ["telegram:-100987/5"]
    assert directory.department("training").destinations == []
    # staff chats of every channel, topics apart; a mailbox is no chat
    assert staff_chats(directory) == {("telegram", "-1001234567890", 2): "selection",
                                      ("vk", "2000000001", None): "awards",
                                      ("telegram", "-100987", 5): "personnel"}
    assert deprecated_staff_chats("personnel=-100987/5;awards=vk:2000000001") == [
        "STAFF_CHATS: personnel: '-100987/5' — устаревшая запись, пишите telegram:-100987/5"]


def test_the_file_takes_destinations_and_the_old_staff_chat(tmp_path: Path) -> None:
    path = _directory(tmp_path, selection={"staff_destinations": ["telegram:-100500/2", "max:-68012345"]},
                      awards={"staff_chat": "-100600", "staff_thread": 3})
    directory = load_directory(path)
    assert [str(d) for d in directory.department("selection").destinations] == ["telegram:-100500/2",
                                                                                "max:-68012345"]
    [legacy] = directory.department("awards").destinations
    assert (str(legacy), legacy.legacy) == ("telegram:-100600/3", True)


def test_every_mistake_in_the_environment_is_named() -> None:
    with pytest.raises(ConfigError) as exc:
        with_staff_overrides(load_directory(ROOT / "directory.yaml"), "nosuch=-1;selection=чат;awards",
                             "personnel=telegram 1")
    problems = "\n".join(exc.value.problems)
    assert "STAFF_CHATS: 'awards': ожидается отдел=значение" in problems


def test_env_values_are_checked_like_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        with_staff_overrides(load_directory(ROOT / "directory.yaml"), "nosuch=-1;selection=чат,vk:x",
                             "personnel=telegram 1", "awards=vk:5,vk:5")
    problems = exc.value.problems
    assert "STAFF_CHATS: нет отдела с id 'nosuch'" in problems
    assert any(p.startswith("STAFF_CHATS: selection: адрес 'чат': ожидается канал:адрес") for p in problems)
    assert any(p.startswith("DEPARTMENT_HEADS: personnel: руководитель 'telegram 1': ожидается канал:id")
               for p in problems)
    assert "DEPARTMENT_STAFF: awards: сотрудник 'vk:5' указан дважды" in problems
    path = _directory(tmp_path, awards={"heads": ["123"], "staff_destinations": ["vk:abc"]})
    with pytest.raises(ConfigError) as exc:
        load_directory(path)
    assert any(p.startswith(f"{path}: departments.awards.heads: руководитель '123': ожидается канал:id")
               for p in exc.value.problems)
    assert any(p.startswith(f"{path}: departments.awards.staff_destinations: адрес 'vk:abc': id беседы")
               for p in exc.value.problems)


def test_one_chat_or_topic_is_one_department(tmp_path: Path) -> None:
    """Two departments in one forum group: each its own topic; the same topic twice is refused."""
    directory = with_staff_overrides(load_directory(ROOT / "directory.yaml"),
                                     "personnel=telegram:-100700/2;awards=telegram:-100700/3,email:ok@lenreg.ru;"
                                     "selection=email:ok@lenreg.ru")
    assert staff_chats(directory) == {("telegram", "-100700", 2): "personnel", ("telegram", "-100700", 3): "awards"}
    with pytest.raises(ConfigError) as exc:
        with_staff_overrides(load_directory(ROOT / "directory.yaml"), "personnel=vk:2000000001;awards=vk:2000000001")
    assert exc.value.problems == ["STAFF_CHATS: awards: vk:2000000001 уже указан у отдела 'personnel' — у каждого "
                                  "отдела свой чат или своя тема форума"]
    path = _directory(tmp_path, personnel={"staff_chat": "-100700", "staff_thread": 2},
                      awards={"staff_destinations": ["telegram:-100700/2"]})
    with pytest.raises(ConfigError) as exc:
        load_directory(path)
    assert any("departments.awards.staff_destinations: telegram:-100700/2 уже указан у отдела 'personnel'" in p
               for p in exc.value.problems)


def test_admin_ids_are_checked() -> None:
    assert admin_ids("telegram:1, max:3,console:admin") == {"telegram:1", "max:3", "console:admin"}
    with pytest.raises(ConfigError) as exc:
        admin_ids("telegram:1,12345,vk:petrov")
    assert exc.value.problems[0].startswith("STAFF_ADMIN_IDS: '12345': ожидается канал:id")
    assert exc.value.problems[1].startswith("STAFF_ADMIN_IDS: 'vk:petrov': id пользователя vk — число")

"""check-config for MAX: webhook settings MAX would refuse, a token MAX does not accept, and staff
chats where the bot does not see every message (it must be an administrator with «Читать все
сообщения»), against the fake MAX API; and the command itself when MAX cannot be reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.channels.max.api import MaxApi
from bot.channels.max.checks import check, webhook_problems
from bot.cli import main
from bot.settings import Settings
from tests.conftest import ROOT
from tests.fake_max_api import FakeMax

pytest_plugins = ["tests.max_fixtures"]  # fake_max, max_api, make_api


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, max_token="max-test-token", **values)  # type: ignore[call-arg, arg-type]


def test_webhook_settings_max_would_refuse() -> None:
    assert webhook_problems(settings()) == []  # polling
    assert "не задан MAX_WEBHOOK_URL" in webhook_problems(settings(max_mode="webhook"))[0]
    for url in ("http://bot.example.ru", "https://bot.example.ru:8443", "https://"):
        assert "только по HTTPS на порт 443" in webhook_problems(settings(max_mode="webhook", max_webhook_url=url))[0]
    good = settings(max_mode="webhook", max_webhook_url="https://bot.lenreg.ru:443")
    assert webhook_problems(good) == []
    assert "MAX_WEBHOOK_SECRET" in webhook_problems(settings(max_mode="webhook", max_webhook_url="https://b.ru",
                                                             max_webhook_secret="with space"))[0]


async def test_staff_chats_where_the_bot_does_not_see_everything(fake_max: FakeMax, max_api: MaxApi) -> None:
    seeing = fake_max.group("Кадры")
    blind = fake_max.group("Награды", read_all=False)
    member = fake_max.group("Отбор", admin=False)
    gone = fake_max.group("Старый чат")
    fake_max.chats[gone].bot_status = "removed"
    found = await check(settings(), [str(seeing), str(blind), str(member), str(gone)], max_api)
    assert found.errors == []
    assert found.notes == ["MAX: бот @consult_bot — токен принят",
                           f"MAX: чат сотрудников {seeing} — бот видит все сообщения"]
    assert [w.split(" — ")[0] for w in found.warnings] == [
        f"MAX: в чате сотрудников {blind} бот не видит все сообщения",
        f"MAX: в чате сотрудников {member} бот не видит все сообщения",
        f"MAX: чат сотрудников {gone} недоступен боту (403 chat.denied)"]
    assert all("администратор" in w for w in found.warnings)


async def test_a_token_max_does_not_accept(fake_max: FakeMax, make_api) -> None:  # type: ignore[no-untyped-def]
    found = await check(settings(), [], make_api(token="revoked"))
    assert found.errors == ["MAX не принимает MAX_TOKEN (401): проверьте токен на платформе MAX для партнёров "
                            "(Чат-боты → ⋮ → Настройки)"]


def test_the_command_says_what_it_could_not_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("directory", "survey", "calendar"):
        monkeypatch.setenv(f"{name.upper()}_FILE", str(ROOT / f"{name}.yaml"))
    monkeypatch.setenv("MAX_TOKEN", "max-test-token")
    monkeypatch.setenv("MAX_API_URL", "http://127.0.0.1:9")  # nothing listens there
    assert main(["check-config"]) == 0
    out = capsys.readouterr().out
    assert "Предупреждение: MAX не ответил (0 network): токен и права бота в чатах сотрудников не проверены" in out
    monkeypatch.setenv("MAX_MODE", "webhook")
    monkeypatch.setenv("MAX_WEBHOOK_URL", "http://bot.example.ru")
    assert main(["check-config"]) == 1
    assert "Ошибка: MAX_WEBHOOK_URL=http://bot.example.ru: MAX доставляет события только по HTTPS" in \
        capsys.readouterr().err

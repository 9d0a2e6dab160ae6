"""``consult-bot run``: without tokens it says what to set; with a Telegram token it starts Telegram."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.channels.registry import channel_main, configured_channels
from bot.channels.telegram import run_telegram, webhook_secret, webhook_url
from bot.cli import main
from bot.settings import Settings


def test_run_without_any_token_says_which_variables_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in list(os.environ):
        if name.startswith(("TELEGRAM_", "VK_")):
            monkeypatch.delenv(name)
    assert main(["run"]) == 2
    out = capsys.readouterr().out
    assert "Не задан ни один канал" in out
    assert "TELEGRAM_TOKEN=" in out and "VK_TOKEN=" in out and "VK_GROUP_ID=" in out
    assert "consult-bot demo" in out


def test_telegram_token_starts_the_telegram_channel() -> None:
    settings = Settings(_env_file=None, telegram_token="123456:ABC")  # type: ignore[call-arg]
    assert "telegram" in configured_channels(settings) and channel_main("telegram") is run_telegram
    assert "telegram" not in configured_channels(Settings(_env_file=None))  # type: ignore[call-arg]


def test_webhook_address_and_secret() -> None:
    s = Settings(_env_file=None, telegram_token="123456:ABC",  # type: ignore[call-arg]
                 telegram_webhook_url="https://bot.example.ru/", telegram_webhook_path="telegram/webhook")
    assert webhook_url(s) == "https://bot.example.ru/telegram/webhook"
    same = Settings(_env_file=None, telegram_token="123456:ABC",  # type: ignore[call-arg]
                    telegram_webhook_url="https://bot.example.ru/telegram/webhook")
    assert webhook_url(same) == "https://bot.example.ru/telegram/webhook"
    # No secret configured: one derived from the token, the same on every instance behind the proxy.
    assert webhook_secret(s) == webhook_secret(same) and len(webhook_secret(s)) == 64
    other = Settings(_env_file=None, telegram_token="654321:XYZ")  # type: ignore[call-arg]
    assert webhook_secret(other) != webhook_secret(s)
    explicit = Settings(_env_file=None, telegram_token="1:a", telegram_webhook_secret="abc_DEF-1")  # type: ignore[call-arg]
    assert webhook_secret(explicit) == "abc_DEF-1"

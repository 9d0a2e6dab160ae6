"""The deployment files say what the code does: variables that exist, commands that exist, the
webhook path, port and health endpoint the Telegram channel really serves."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import Settings
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
NGINX = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
UNIT = (ROOT / "deploy" / "consult-bot@.service").read_text(encoding="utf-8")
DEFAULTS = Settings(_env_file=None)  # type: ignore[call-arg]
CLI_COMMANDS = {"demo", "run", "check-config", "migrate", "survey-report"}


def _env_names(text: str) -> set[str]:
    return set(re.findall(r"^\s*#?\s*([A-Z][A-Z0-9_]+)=", text, re.MULTILINE))


def test_compose_runs_two_bots_and_migrates_first() -> None:
    services = COMPOSE["services"]
    assert {"db", "migrate", "bot1", "bot2", "proxy"} <= set(services)
    assert services["migrate"]["command"] == ["consult-bot", "migrate"]
    for bot in ("bot1", "bot2"):
        assert services[bot]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert services[bot]["environment"]["TELEGRAM_MODE"] == "webhook"


def test_every_variable_in_the_deployment_files_is_a_setting() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    used = set()
    for name, service in COMPOSE["services"].items():
        if name != "db":  # the PostgreSQL image has variables of its own
            used |= set((service.get("environment") or {}).keys())
    used |= _env_names((ROOT / ".env.example").read_text(encoding="utf-8"))
    assert used - fields == set(), f"not settings: {used - fields}"


def test_env_example_lists_every_setting() -> None:
    listed = _env_names((ROOT / ".env.example").read_text(encoding="utf-8"))
    missing = {name.upper() for name in Settings.model_fields} - listed
    assert missing == set(), f".env.example does not mention {missing}"


def _upstream(name: str) -> str:
    found = re.search(r"upstream " + name + r" \{(.*?)\}", NGINX, re.DOTALL)
    assert found, f"no upstream {name} in deploy/nginx.conf"
    return found.group(1)


def test_proxy_targets_the_webhook_the_bot_serves() -> None:
    port = COMPOSE["x-bot"]["environment"]["TELEGRAM_WEBHOOK_PORT"]
    assert re.findall(r"server bot[12]:(\d+)", _upstream("consult_bot")) == [port, port]
    assert f"location {DEFAULTS.telegram_webhook_path} " in NGINX
    assert f"location = {DEFAULTS.telegram_health_path} " in NGINX


def test_systemd_unit_runs_the_cli() -> None:
    exec_start = re.search(r"^ExecStart=(.+)$", UNIT, re.MULTILINE)
    assert exec_start and exec_start.group(1).split()[-1] in CLI_COMMANDS
    assert "EnvironmentFile=/etc/consult-bot/%i.env" in UNIT


def test_dockerfile_ships_the_content_files() -> None:
    docker = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for name in ("directory.yaml", "survey.yaml", "calendar.yaml", "bot", "handlers", "storage"):
        assert name in docker
    assert Path(ROOT / "storage" / "migrations" / "env.py").exists()


def test_proxy_serves_the_staff_workspace_where_the_bots_listen() -> None:
    env = COMPOSE["x-bot"]["environment"]
    assert re.findall(r"server bot[12]:(\d+)", _upstream("consult_staff")) == [env["WEB_PORT"], env["WEB_PORT"]]
    assert env["WEB_HOST"] == "0.0.0.0"
    assert "location /staff/ {\n        proxy_pass http://consult_staff;" in NGINX
    assert "location /staff/login/ {\n        access_log off;" in NGINX

"""The deployment files say what the code does: variables that exist, commands that exist, the
webhook paths, the port and the health endpoint the bot's web server really serves."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.settings import Settings
from bot.web_server import listeners
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


def test_proxy_targets_the_port_where_the_bot_serves_everything() -> None:
    env = COMPOSE["x-bot"]["environment"]
    port = env["HTTP_PORT"]
    assert env["HTTP_HOST"] == "0.0.0.0" and env["MAX_MODE"] == "webhook"
    assert not {"TELEGRAM_WEBHOOK_PORT", "MAX_WEBHOOK_PORT", "WEB_PORT"} & set(env)  # one port: no listener apart
    deployed = Settings(_env_file=None, telegram_token="1:a", max_token="m", web_base_url="https://b.ru",  # type: ignore[call-arg]
                        **{k.lower(): v for k, v in env.items() if k != "DATABASE_URL"})
    assert list(listeners(deployed)) == [("0.0.0.0", int(port))]
    assert {p.name for p in listeners(deployed)[("0.0.0.0", int(port))]} == {"telegram", "max", "staff"}
    assert re.findall(r"server bot[12]:(\d+)", _upstream("consult_bot")) == [port, port]
    assert re.findall(r"^upstream (\w+)", NGINX, re.MULTILINE) == ["consult_bot"]
    for path in (DEFAULTS.telegram_webhook_path, DEFAULTS.max_webhook_path):
        assert f"location {path} {{\n        proxy_pass http://consult_bot;" in NGINX
    assert f"location = {DEFAULTS.telegram_health_path} {{\n        proxy_pass http://consult_bot;" in NGINX


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
    assert "location /staff/ {\n        proxy_pass http://consult_bot;" in NGINX
    assert "location /staff/login/ {\n        access_log off;\n        proxy_pass http://consult_bot;" in NGINX

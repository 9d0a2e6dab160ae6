"""Deployment settings from the environment or a ``.env`` file (see ``.env.example``).

Nothing is required: with no variables at all the bot runs the console demo on a SQLite file
under ``./data/``. Tokens and passwords only ever come from here, never from the repository.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SALT = "change-me"
MIN_SALT = 32  # characters of SURVEY_SALT at least


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      env_ignore_empty=True)

    # --- content files
    directory_file: Path = Path("directory.yaml")
    survey_file: Path = Path("survey.yaml")
    calendar_file: Path = Path("calendar.yaml")

    # --- storage
    database_url: str = "sqlite:///./data/consult-bot.db"
    redis_url: str | None = None
    data_dir: Path = Path("data")

    # --- the bot's one web server: /healthz, the messengers' webhooks, the staff workspace (/staff/)
    http_host: str = Field(default="0.0.0.0", description="where the web server listens")
    http_port: int = Field(default=8080, ge=1, le=65535)

    # --- Telegram
    telegram_token: SecretStr | None = None
    telegram_mode: Literal["polling", "webhook"] = "polling"
    telegram_api_server: str | None = Field(
        default=None, description="URL of a self-hosted Bot API server; the public one if empty")
    telegram_webhook_url: str | None = None
    telegram_webhook_path: str = "/telegram/webhook"
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_host: str | None = Field(default=None, description="empty: HTTP_HOST")
    telegram_webhook_port: int | None = Field(default=None, ge=1, le=65535,
                                              description="empty: HTTP_PORT; another port: a listener of its own")
    telegram_health_path: str = Field(default="/healthz", description="GET: the bot's health, on every listener")
    telegram_polling_timeout: int = Field(default=25, ge=0, le=50, description="long-poll wait, seconds")
    telegram_request_timeout: float = Field(default=30.0, gt=0, description="one Bot API call, seconds")
    telegram_send_attempts: int = Field(default=5, ge=1, le=10, description="calls in all on 429/5xx/network errors")
    telegram_retry_delay: float = Field(default=1.0, ge=0, description="first pause after a 5xx, doubled each time")
    telegram_max_retry_after: float = Field(default=120.0, ge=1, description="longest 429 pause waited out")
    telegram_broadcast_rate: float = Field(
        default=28.0, gt=0, le=1000, description="messages a second the scheduler sends (Telegram takes about 30)")

    # --- VK
    vk_token: SecretStr | None = None
    vk_group_id: int | None = None
    vk_api_rps: float = Field(default=19.0, gt=0, le=20)
    vk_wait: int = Field(default=25, ge=1, le=90)

    # --- files passed from one messenger to another
    file_max_mb: int = Field(default=20, ge=1, le=200, description="largest client file brought over, MB")

    # --- MAX (the token from the MAX for partners platform: Чат-боты → ⋮ → Настройки)
    max_token: SecretStr | None = None
    max_mode: Literal["polling", "webhook"] = "polling"
    max_api_url: str = Field(default="https://platform-api2.max.ru",
                             description="the Bot API address; tests point it at a fake")
    max_webhook_url: str | None = Field(default=None, description="public https base URL (port 443); path appended")
    max_webhook_path: str = "/max/webhook"
    max_webhook_secret: SecretStr | None = Field(
        default=None, description="5-256 of A-Z a-z 0-9 _ -, checked in X-Max-Bot-Api-Secret; empty: from the token")
    max_webhook_host: str | None = Field(default=None, description="empty: HTTP_HOST")
    max_webhook_port: int | None = Field(default=None, ge=1, le=65535,
                                         description="empty: HTTP_PORT; another port: a listener of its own")
    max_polling_timeout: int = Field(default=25, ge=0, le=30, description="long-poll wait, seconds (MAX: at most 30)")
    max_api_rps: float = Field(default=28.0, gt=0, le=30, description="requests a second (MAX takes about 30)")
    max_ca_file: Path | None = Field(
        default=None, description="extra trusted CA certificates (PEM), e.g. the Russian Trusted Root CA")

    # --- staff
    staff_admin_ids: str = Field(default="", description="comma-separated channel:user ids, e.g. telegram:123")
    staff_chats: str = Field(default="", description="department=channel:address,...;... over directory.yaml, "
                                                     "e.g. personnel=telegram:-100123/2,email:ok@lenreg.ru")
    department_heads: str = Field(default="", description="department=channel:user id,...;... over directory.yaml")
    department_staff: str = Field(default="", description="department=channel:user id,...;... over directory.yaml")

    # --- the staff's web workspace (/staff/)
    web_base_url: str | None = Field(
        default=None, description="public address of the workspace without /staff/, e.g. https://bot.example.ru; "
                                  "when set, `consult-bot run` serves it")
    web_host: str | None = Field(default=None, description="empty: HTTP_HOST (the demo: 127.0.0.1)")
    web_port: int | None = Field(default=None, ge=1, le=65535, description="empty: HTTP_PORT (the demo: 8090)")
    web_cookie_secure: bool | None = Field(
        default=None, description="Secure session cookie; by default when WEB_BASE_URL starts with https://")

    # --- anti-flood
    flood_rate: float = Field(default=2.0, gt=0, description="messages per second a client may send")
    flood_burst: int = Field(default=8, ge=1)
    # A flood from many accounts (bot.channels.admission): once BUSY_AT events wait, events of people this
    # process has not known for ESTABLISHED_AFTER seconds share one bucket; at most MAX_EVENTS_IN_FLIGHT wait.
    new_people_rate: float = Field(default=30.0, gt=0, description="events a second from new people, all together")
    new_people_burst: int = Field(default=60, ge=1)
    established_after: float = Field(default=120.0, ge=0, description="seconds after which a person is no longer new")
    max_events_in_flight: int = Field(default=2000, ge=10)
    busy_at: int = Field(default=250, ge=1, description="events waiting before new people are slowed")

    # --- e-mail: copies of answers to clients, department mailboxes as staff destinations
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "consult-bot@localhost"
    smtp_starttls: bool = False  # STARTTLS after connecting (port 587)
    smtp_tls: bool = False  # implicit TLS from the first byte (port 465)

    # --- personal data and surveys
    survey_salt: SecretStr = SecretStr(DEFAULT_SALT)
    log_level: str = "INFO"

    def salt_problem(self) -> str | None:
        """Why SURVEY_SALT will not do for real work (``consult-bot run`` refuses it), or None. The
        survey's anonymity rests on this key: with a known one, whoever holds a copy of the database
        computes every client's receipt and sees who answered (storage.survey)."""
        salt = self.survey_salt.get_secret_value()
        if salt == DEFAULT_SALT:
            return "SURVEY_SALT не задан"
        if len(salt) < MIN_SALT:
            return f"SURVEY_SALT короче {MIN_SALT} символов"
        return None

"""``consult-bot check-config`` for MAX: the webhook settings MAX would refuse, whether MAX accepts
the token, and whether the bot sees every message in the departments' MAX staff chats (it must be
an administrator there with «Читать все сообщения», else staff replies to cards and commands never
reach it). Messages are for the administrator, in Russian, like the rest of check-config."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.channels.max.api import MaxApi, MaxApiError, reads_all_messages
from bot.channels.max.webhook import valid_secret
from bot.settings import Settings


@dataclass
class Findings:
    errors: list[str] = field(default_factory=list)  # the channel will not work
    warnings: list[str] = field(default_factory=list)  # it works, something is missing
    notes: list[str] = field(default_factory=list)  # what was found in order


def webhook_problems(settings: Settings) -> list[str]:
    if settings.max_mode != "webhook":
        return []
    url = settings.max_webhook_url
    if not url:
        return ["MAX_MODE=webhook: не задан MAX_WEBHOOK_URL — публичный адрес https этого сервера"]
    found = []
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.port not in (None, 443):
        found.append(f"MAX_WEBHOOK_URL={url}: MAX доставляет события только по HTTPS на порт 443 — нужен адрес "
                     "вида https://bot.example.ru (без порта), сертификат доверенного центра или Минцифры")
    secret = settings.max_webhook_secret
    if secret is not None and not valid_secret(secret.get_secret_value()):
        found.append("MAX_WEBHOOK_SECRET: от 5 до 256 символов A–Z, a–z, 0–9, «_» и «-» (или не задавайте — "
                     "он будет выведен из токена)")
    return found


async def check(settings: Settings, staff_chats: Iterable[str], api: MaxApi | None = None) -> Findings:
    """Everything above; ``staff_chats``: the ids of the MAX staff chats in the settings."""
    found = Findings(errors=webhook_problems(settings))
    if settings.max_token is None:
        return found
    own = api is None
    api = api or MaxApi(settings.max_token.get_secret_value(), settings.max_api_url, attempts=2,
                        request_timeout=10, ca_file=settings.max_ca_file)
    try:
        try:
            me = await api.get_me()
        except MaxApiError as exc:
            if exc.status == 401:
                found.errors.append("MAX не принимает MAX_TOKEN (401): проверьте токен на платформе MAX для партнёров "
                                    "(Чат-боты → ⋮ → Настройки)")
            else:
                found.warnings.append(f"MAX не ответил ({exc.status} {exc.code}): токен и права бота в чатах "
                                      "сотрудников не проверены")
            return found
        found.notes.append(f"MAX: бот @{me.get('username') or me['user_id']} — токен принят")
        for chat in staff_chats:
            try:
                member = await api.get_membership(int(chat))
            except MaxApiError as exc:
                found.warnings.append(f"MAX: чат сотрудников {chat} недоступен боту ({exc.status} {exc.code}) — "
                                      "добавьте бота в чат и назначьте администратором")
                continue
            if reads_all_messages(member):
                found.notes.append(f"MAX: чат сотрудников {chat} — бот видит все сообщения")
            else:
                found.warnings.append(f"MAX: в чате сотрудников {chat} бот не видит все сообщения — ответы на "
                                      "карточки и команды до него не дойдут. Назначьте бота администратором чата "
                                      "с правом «Читать все сообщения»")
    finally:
        if own:
            await api.close()
    return found

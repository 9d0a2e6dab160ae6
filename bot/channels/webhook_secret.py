"""The secret header of a webhook, checked whatever its bytes.

aiohttp hands a header value over as text decoded from UTF-8 with ``surrogateescape``; comparing
such text with ``hmac.compare_digest`` raises ``TypeError`` as soon as it is not ASCII (a 500 with a
traceback instead of 401). Here the bytes that came are compared with the secret's bytes, in
constant time, and anything that is not exactly the secret is refused.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.webhook.aiohttp_server import SimpleRequestHandler

from bot.web_server import secret_matches  # also MAX's, in a module without aiogram

__all__ = ["SecretRequestHandler", "secret_matches"]


class SecretRequestHandler(SimpleRequestHandler):
    """aiogram's webhook handler for one bot, with the secret compared as bytes (see above)."""

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        return secret_matches(telegram_secret_token, self.secret_token or "")

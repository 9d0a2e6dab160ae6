"""The secret header of a webhook, checked whatever its bytes.

aiohttp hands a header value over as text decoded from UTF-8 with ``surrogateescape``; comparing
such text with ``hmac.compare_digest`` raises ``TypeError`` as soon as it is not ASCII (a 500 with a
traceback instead of 401). Here the bytes that came are compared with the secret's bytes, in
constant time, and anything that is not exactly the secret is refused.
"""

from __future__ import annotations

import hmac

from aiogram import Bot
from aiogram.webhook.aiohttp_server import SimpleRequestHandler


def secret_matches(received: str, expected: str) -> bool:
    """Whether a received header value is the expected secret (an empty secret matches nothing)."""
    if not expected:
        return False
    try:
        got = received.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that no byte of the request could have made
        return False
    return hmac.compare_digest(got, expected.encode("utf-8"))


class SecretRequestHandler(SimpleRequestHandler):
    """aiogram's webhook handler for one bot, with the secret compared as bytes (see above)."""

    def verify_secret(self, telegram_secret_token: str, bot: Bot) -> bool:
        return secret_matches(telegram_secret_token, self.secret_token or "")

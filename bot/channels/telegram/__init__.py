"""The Telegram channel: ``run_telegram`` for ``consult-bot run`` — long polling (default) or a
webhook on the bot's web server (``bot.web_server``, with ``/healthz``) with the secret header
checked; the command menu is set at start-up. The adapter itself is ``channel.TelegramChannel``.

An update is confirmed to Telegram only after its unit of work committed: polling asks for the
next updates only when every update of the batch is handled, a webhook answers after handling.
After a crash Telegram delivers the unconfirmed updates again, and those already committed are
recognised by their ``update_id`` and not handled twice (their messages wait in the outbox)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from contextlib import suppress

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError
from aiogram.types import Update

from bot.app import App
from bot.channels.telegram.channel import ALLOWED_UPDATES, BOT_DEFAULTS, CHANNEL, TelegramChannel
from bot.channels.telegram.pacer import PacerMiddleware
from bot.channels.telegram.retry import RetryMiddleware, RetryPolicy, Sleep
from bot.pacing import Pacer
from bot.settings import Settings

__all__ = ["BOT_DEFAULTS", "TelegramChannel", "create_bot", "run_telegram", "webhook_secret", "webhook_url"]
log = logging.getLogger(__name__)


def create_bot(settings: Settings, *, sleep: Sleep = asyncio.sleep) -> Bot:
    """A Bot on the public Bot API or a self-hosted one, with bounded retries of every call and the
    scheduler's messages paced under Telegram's limits."""
    if settings.telegram_token is None:
        raise ValueError("TELEGRAM_TOKEN is not set")
    api = TelegramAPIServer.from_base(settings.telegram_api_server) if settings.telegram_api_server else PRODUCTION
    session = AiohttpSession(api=api, timeout=settings.telegram_request_timeout)
    session.middleware(RetryMiddleware(RetryPolicy(
        attempts=settings.telegram_send_attempts, delay=settings.telegram_retry_delay,
        max_retry_after=settings.telegram_max_retry_after), sleep=sleep))
    session.middleware(PacerMiddleware(Pacer(settings.telegram_broadcast_rate, sleep=sleep)))  # inside the retries
    return Bot(token=settings.telegram_token.get_secret_value(), session=session, default=BOT_DEFAULTS)


def webhook_secret(settings: Settings) -> str:
    """TELEGRAM_WEBHOOK_SECRET, or one derived from the token: the same on every instance behind
    the proxy, and unknown to anyone who does not have the token anyway."""
    if settings.telegram_webhook_secret:
        return settings.telegram_webhook_secret.get_secret_value()
    assert settings.telegram_token is not None
    token = settings.telegram_token.get_secret_value().encode()
    return hmac.new(token, b"consult-bot webhook", hashlib.sha256).hexdigest()


def webhook_url(settings: Settings) -> str:
    base = (settings.telegram_webhook_url or "").rstrip("/")
    path = "/" + settings.telegram_webhook_path.lstrip("/")
    return base if base.endswith(path) else base + path


def _chat_of(update: Update) -> object:
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None:
        msg = update.callback_query.message
        return msg.chat.id if msg is not None else update.callback_query.from_user.id
    if update.my_chat_member is not None:
        return update.my_chat_member.chat.id
    return update.update_id


async def _feed(dp: Dispatcher, bot: Bot, updates: list[Update]) -> None:
    for update in updates:
        try:
            await dp.feed_update(bot, update)
        except Exception:  # the channel's error guard apologised already; the next update goes on
            log.exception("telegram: update %s failed", update.update_id)


async def _run_polling(channel: TelegramChannel, stop: asyncio.Event) -> None:
    settings = channel.app.settings
    bot, dp = channel.bot, channel.dispatcher
    await bot.delete_webhook(drop_pending_updates=False)  # getUpdates is refused while a webhook is set
    offset: int | None = None
    pause = 1.0
    channel.connected = True
    try:
        while not stop.is_set():
            fetch = asyncio.create_task(bot.get_updates(offset=offset, timeout=settings.telegram_polling_timeout,
                                                        allowed_updates=ALLOWED_UPDATES))
            waiter = asyncio.create_task(stop.wait())
            await asyncio.wait({fetch, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if not fetch.done():
                fetch.cancel()
                with suppress(asyncio.CancelledError):
                    await fetch
                break
            try:
                updates = fetch.result()
            except TelegramUnauthorizedError:
                raise
            except TelegramAPIError as exc:
                log.warning("telegram: getUpdates failed (%s); again in %.0f s", type(exc).__name__, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 30.0)
                continue
            pause = 1.0
            if not updates:
                continue
            # The chats of a batch are handled concurrently, each chat's updates one after another;
            # the batch is confirmed only when all of it is handled: the next getUpdates says so.
            by_chat: dict[object, list[Update]] = {}
            for update in updates:
                by_chat.setdefault(_chat_of(update), []).append(update)
            await asyncio.gather(*(_feed(dp, bot, chat_updates) for chat_updates in by_chat.values()))
            offset = updates[-1].update_id + 1
    finally:
        channel.connected = False


async def _run_webhook(channel: TelegramChannel, stop: asyncio.Event) -> None:
    from bot.channels.webhook_secret import SecretRequestHandler

    settings = channel.app.settings
    server = channel.app.web
    if server is None:
        log.error("telegram: webhook mode needs the bot's web server (bot.web_server, started by consult-bot run); "
                  "the Telegram channel is not started")
        return
    secret = webhook_secret(settings)
    # Answered after handling (a few milliseconds): Telegram sends an update again until it has a 200,
    # so one that a crash interrupted is not lost.
    feed = SecretRequestHandler(dispatcher=channel.dispatcher, bot=channel.bot, secret_token=secret,
                                handle_in_background=False)

    receive = feed.handle  # the secret header checked as bytes (bot.channels.webhook_secret)
    server.serve(CHANNEL, receive)  # on the bot's one web server, beside /healthz and the others
    try:
        await channel.bot.set_webhook(url=webhook_url(settings), secret_token=secret,
                                      allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)
        channel.connected = True
        log.info("telegram: webhook at %s, served on port %s", webhook_url(settings), server.port(CHANNEL))
        await stop.wait()
    finally:
        server.withdraw(CHANNEL, receive)


async def run_telegram(app: App, stop: asyncio.Event, *, bot: Bot | None = None) -> None:
    """The Telegram channel until ``stop`` is set (``consult-bot run``); ``bot`` is for tests."""
    settings = app.settings
    if settings.telegram_mode == "webhook" and not settings.telegram_webhook_url:
        log.error("TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_URL (the public https address of this server); "
                  "the Telegram channel is not started")
        return
    own_bot = bot is None
    bot = bot or create_bot(settings)
    channel = TelegramChannel(app, bot)
    app.add_channel(channel)
    try:
        try:
            me = await bot.me()
        except TelegramUnauthorizedError:  # restarting would not help
            log.error("telegram: Telegram does not accept TELEGRAM_TOKEN (401 Unauthorized); check the token "
                      "from @BotFather. The Telegram channel is not started")
            return
        log.info("telegram: bot @%s (%s mode)", me.username, settings.telegram_mode)
        await channel.setup_commands()
        if settings.telegram_mode == "webhook":
            await _run_webhook(channel, stop)
        else:
            await _run_polling(channel, stop)
    finally:
        channel.connected = False
        app.remove_channel(channel)
        await channel.close()
        if own_bot:
            await bot.session.close()

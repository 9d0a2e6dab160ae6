"""``consult-bot run``: the web server (``/healthz``, webhooks, the staff workspace), then every
channel that has credentials, plus the scheduler.

A channel that fails is logged and restarted with a growing pause; it never takes the others down.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys

from bot.app import App
from bot.channels.registry import CHANNELS, ChannelMain, channel_main, configured_channels
from bot.scheduler import JobRunner
from bot.settings import MIN_SALT, Settings
from bot.staff_config import staff_warnings
from bot.web_server import WebServer, parts

log = logging.getLogger(__name__)

def no_channels_text() -> str:
    lines = ["Не задан ни один канал. Укажите переменные окружения (или файл .env):"]
    lines += [f"  {spec.what_to_set}" for spec in CHANNELS if spec.name != "email"]
    lines.append("Попробовать бота без токенов: consult-bot demo")
    return "\n".join(lines)


def salt_text(problem: str) -> str:
    return (f"{problem}: бот не запущен. Задайте в окружении или в .env длинное случайное значение, не короче "
            f"{MIN_SALT} символов, например:\n  SURVEY_SALT=$(python3 -c 'import secrets; "
            "print(secrets.token_urlsafe(32))')\nБез него по копии базы можно узнать, кто ответил на анкету. "
            "Потом его не меняйте: прежние отметки «уже ответил» перестанут узнаваться.")


HEALTHY_RUN = 60.0  # seconds: a channel that worked this long before failing restarts after a short pause


async def supervise(name: str, main: ChannelMain, app: App, stop: asyncio.Event) -> None:
    delay = 1.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        try:
            await main(app, stop)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            if loop.time() - started >= HEALTHY_RUN:
                delay = 1.0  # not a crash loop: one failure after days of work waits no 5 minutes
            log.exception("channel %s failed; restarting in %.0f s", name, delay)
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
        except TimeoutError:
            pass
        delay = min(delay * 2, 300)


async def run_channels(settings: Settings) -> int:
    names = configured_channels(settings)
    if not [n for n in names if n != "email"]:
        print(no_channels_text())
        return 2
    if (problem := settings.salt_problem()) is not None:
        print(salt_text(problem), file=sys.stderr)
        return 2
    channels = {name: channel_main(name) for name in names}
    app = await App.create(settings)
    for warning in staff_warnings(settings, app.services.directory):  # as check-config says, once at start
        log.warning("configuration: %s", warning)
    # What start-up built (aiogram's ~300 models, the dictionaries, the content) is never garbage:
    # frozen, it is left out of full collections, which otherwise stall every answer for ~170 ms.
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    server = WebServer(app)
    try:
        await server.start()  # /healthz answers before any messenger connects
    except (OSError, ValueError) as exc:
        await app.close()
        print(f"Веб-сервер бота не запущен: {exc}. Проверьте HTTP_HOST и HTTP_PORT (и *_WEBHOOK_PORT, WEB_PORT).")
        return 2
    app.web = server
    runner = JobRunner(app)
    runner.start()
    log.info("starting channels: %s%s", ", ".join(channels),
             "; staff workspace at /staff/" if any(p.name == "staff" for p in parts(settings)) else "")
    try:
        await asyncio.gather(*(supervise(name, main, app, stop) for name, main in channels.items()))
    finally:
        runner.stop()
        app.web = None
        await server.close()
        await app.close()
    return 0

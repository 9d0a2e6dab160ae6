"""Idle memory of a MAX+VK deployment, the one this administration runs: ``python -m bench.max_rss
--db URL --out result.json``. A process of its own builds what ``consult-bot run`` builds with MAX
and VK configured (the channel modules as the registry imports them, the app with its content,
dictionaries and database, the web server, the MAX and VK channel objects, the scheduler), never
imports aiogram, freezes start-up objects as ``run`` does, and reads its resident memory, also after
each stage so the figure can be explained."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import socket
import sys
from pathlib import Path
from typing import Any

from bench.stats import rss_mb


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def measure(url: str) -> dict[str, Any]:
    stages: dict[str, float] = {"python and the benchmark's imports": rss_mb()}
    from bench.common import NOW, settings_for
    from bot.app import App
    from bot.channels.registry import channel_main, configured_channels
    from bot.scheduler import JobRunner
    from bot.web_server import WebServer

    settings = settings_for(url, max_token="bench", max_mode="webhook", max_webhook_url="https://bench.example",
                            vk_token="bench", vk_group_id=1, http_host="127.0.0.1", http_port=_free_port())
    names = configured_channels(settings)
    for name in names:
        channel_main(name)  # the channel's module, as ``run`` imports it
    stages["the bot's modules (core, MAX, VK)"] = rss_mb()
    app = await App.create(settings, clock=lambda: NOW)  # with the check of migrations, as ``run`` does
    stages["the app: content, dictionaries, database (migrations checked)"] = rss_mb()
    server = WebServer(app)
    await server.start()
    app.web = server
    from bot.channels.max.channel import MaxChannel, make_api
    from bot.channels.vk import VkChannel, VkConfig

    max_channel = MaxChannel(app, make_api(settings))
    vk_channel = VkChannel(app, VkConfig.from_settings(settings))
    app.add_channel(max_channel)
    app.add_channel(vk_channel)
    runner = JobRunner(app)
    runner.start()
    gc.collect()  # as ``consult-bot run`` does after start-up
    gc.freeze()
    await asyncio.sleep(0.5)
    idle = rss_mb()
    stages["web server, channels, scheduler: idle"] = idle
    try:
        return {"idle_rss_mb": idle, "stages_mb": stages, "channels": names,
                "aiogram_imported": "aiogram" in sys.modules, "modules": len(sys.modules)}
    finally:
        runner.stop()
        await max_channel.close()
        await server.close()
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="database URL, migrated")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--log", type=Path, help="unused; for the same command line as the others")
    args = parser.parse_args()
    args.out.write_text(json.dumps(asyncio.run(measure(args.db)), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

"""A VK-only deployment is a process of its own that never imports aiogram: the application is
built, the VK channel started through the channel registry against the fake VK API (over real
HTTP, from another process), a citizen answered and a staff card posted in the VK staff chat;
then the process reports what it imported and its resident memory at rest."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
from pathlib import Path

from tests.fake_vk_api import FakeVk
from tests.vk_harness import wait_until

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk

ROOT = Path(__file__).resolve().parent.parent
STAFF_CHAT = 2_000_000_001

# The bot's process: what `consult-bot run` does for a VK-only deployment (settings, App, the
# registry's channel), the VK API host sent to the fake. It runs until a line comes on stdin,
# then prints a JSON report.
SCRIPT = textwrap.dedent("""
    import asyncio, gc, json, sys
    from urllib.parse import urlsplit

    import requests
    from requests.adapters import HTTPAdapter

    from bot.app import App
    from bot.channels.registry import channel_main, configured_channels
    from bot.settings import Settings

    class ToFake(HTTPAdapter):
        def send(self, request, **kwargs):
            parts = urlsplit(request.url)
            request.url = sys.argv[1] + parts.path + ("?" + parts.query if parts.query else "")
            return super().send(request, **kwargs)

    def session():
        s = requests.Session()
        s.mount("https://api.vk.ru", ToFake())
        return s

    def rss_kb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    async def main():
        settings = Settings()
        names = configured_channels(settings)
        app = await App.create(settings)
        stop = asyncio.Event()
        task = asyncio.create_task(channel_main("vk")(app, stop, session_factory=session))
        print("started", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        gc.collect()
        report = {"channels": names, "aiogram": sorted(m for m in sys.modules if m.split(".")[0] == "aiogram"),
                  "vk": "bot.channels.vk" in sys.modules, "rss_kb": rss_kb()}
        stop.set()
        await task
        await app.close()
        print(json.dumps(report), flush=True)

    asyncio.run(main())
""")


async def test_a_vk_only_deployment_never_imports_aiogram(fake_vk: FakeVk, tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "VK_TOKEN": fake_vk.token,
           "VK_GROUP_ID": str(fake_vk.group_id), "VK_WAIT": "1", "DATABASE_URL": f"sqlite:///{tmp_path}/bot.db",
           "DIRECTORY_FILE": str(ROOT / "directory.yaml"), "SURVEY_FILE": str(ROOT / "survey.yaml"),
           "CALENDAR_FILE": str(ROOT / "calendar.yaml"), "STAFF_CHATS": f"personnel=vk:{STAFF_CHAT}",
           "LOG_LEVEL": "WARNING"}
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", SCRIPT, fake_vk.base_url, cwd=tmp_path, env=env,
                                                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        assert (await asyncio.wait_for(proc.stdout.readline(), 60)).strip() == b"started"
        await wait_until(lambda: bool(fake_vk.lp_requests), 30, "the long poll of the bot's process")
        fake_vk.push_message(401, "Начать")
        await wait_until(lambda: bool(fake_vk.sent_to(401)), 30, "the answer to the citizen")
        assert "Здравствуйте" in fake_vk.sent_to(401)[0].text
        await asyncio.sleep(1.0)  # at rest
        proc.stdin.write(b"report\n")
        await proc.stdin.drain()
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["channels"] == ["vk"] and report["vk"] is True
    assert report["aiogram"] == [], "a VK-only deployment imported aiogram"
    print(f"VK-only process at rest: {report['rss_kb'] / 1024:.0f} MB resident")
    assert report["rss_kb"] < 150 * 1024  # aiogram alone would add 135 MB

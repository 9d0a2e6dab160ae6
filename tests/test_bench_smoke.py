"""The benchmark's machinery with tiny numbers: the real flows are walked through the Telegram
adapter by pressing the buttons the bot sent, the fake Bot API enforces Telegram's limits, and the
report has the columns the README table needs. Figures are not asserted: they depend on the machine."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession

from bench.broadcast import LimitedBotAPI, run_broadcast
from bench.load import TINY, measure_flood, measure_load
from bench.mocked import TOKEN
from bench.prefill import prefill, temp_database, user_id
from bench.report import checks, markdown
from bench.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_freeze(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench freezes start-up objects as the bot does; not in the test process."""
    monkeypatch.setattr(gc, "freeze", lambda: None)


async def test_load_flood_and_broadcast_make_the_report() -> None:
    async with temp_database("sqlite") as url:
        await prefill(url, 60)
        load = await measure_load(url, 60, TINY, breakdown=True)
        flood = await measure_flood(url, 60, TINY)
    broadcast = await run_broadcast(12)

    assert set(load["scenarios"]) == set(SCENARIOS)
    for name, figures in load["scenarios"].items():
        assert figures["completed"] == figures["people"] > 0, (name, load["scenario_errors"])
        assert figures["updates"] >= TINY.updates_per_scenario
    assert load["scenario_error_count"] == 0 and load["apologies"] == 0, load["scenario_errors"]
    assert load["concurrent"]["completed"] == load["concurrent"]["people"] == TINY.concurrent_users
    assert load["api_calls"]["answerCallbackQuery"] > 0 and load["api_calls"]["sendDocument"] > 0  # the .ics
    assert load["floor"]["updates"] == load["sequential"]["updates"]
    assert load["breakdown_ms"]["slowest_steps"]
    assert 0 < load["idle_rss_mb"] <= load["peak_rss_mb"]

    assert flood["flooder"]["sent"] > 10 and flood["flooder"]["flood_notices"] >= 1
    assert flood["flooder"]["answered"] < flood["flooder"]["sent"] / 2  # most of the flood was dropped
    assert flood["others_with_flooder"]["updates"] > 0

    assert broadcast["delivered"] == 12 and broadcast["lost"] == broadcast["duplicated"] == 0
    assert broadcast["wrong_text"] == 0 and broadcast["answered_429"] == 0  # paced under the limit

    results: dict[str, Any] = {
        "date": "2026-03-17 07:00 UTC", "mode": "tiny", "concurrent_users": TINY.concurrent_users, "skipped": [],
        "machine": {"cpus": 2, "cpu": "test", "ram_gb": 1, "os": "Linux", "python": "3.11", "aiogram": "3",
                    "sqlalchemy": "2", "load_average": "0"},
        "load": [{**load, "db": "sqlite"}, {**load, "db": "sqlite", "clients": 600}],
        "flood": flood, "broadcast": broadcast,
    }
    table = markdown(results)
    assert "| Database | Stored clients | Scenario | Updates | Updates/s | p50, ms | p95, ms | p99, ms |" in table
    assert "| Database | Stored clients | Idle RSS, MB | Peak RSS, MB | Floor, updates/s |" in table
    assert "| SQLite | 60 → 600 |" in table  # the degradation line
    assert "| whole update |" in table and "| – state save |" in table
    assert "| with the flooder |" in table and "Broadcast (survey invitations" in table
    verdicts = checks(results)
    assert {c.verdict for c in verdicts} <= {"PASS", "FAIL"}
    assert any("broadcast within 10% of the limit" in c.target for c in verdicts)
    assert all(f"| {c.target} | {c.measured} | **{c.verdict}** |" in table for c in verdicts)


async def test_fake_bot_api_enforces_telegram_limits() -> None:
    async with LimitedBotAPI(rate=5) as api, ClientSession() as http:
        async def send(chat: int) -> tuple[int, dict[str, Any]]:
            async with http.post(f"{api.base_url}/bot{TOKEN}/sendMessage", json={"chat_id": chat, "text": "x"}) as r:
                return r.status, await r.json()

        first = await send(user_id(0))
        again = await send(user_id(0))  # the same chat within a second
        assert first[0] == 200 and again[0] == 429 and again[1]["parameters"]["retry_after"] == 1
        statuses = [(await send(user_id(n)))[0] for n in range(1, 8)]
        assert statuses == [200, 200, 200, 200, 429, 429, 429]  # 5 a second overall
        assert api.busiest_second() == 5 and api.refused == 4
        assert sum(api.per_chat.values()) == 5


def test_command_line_help() -> None:
    done = subprocess.run([sys.executable, "-m", "bench", "--help"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and "--quick" in done.stdout


async def test_the_max_path_and_the_memory_of_a_max_vk_deployment() -> None:
    """The MAX path walks the same scenarios through the MAX channel module; the MAX+VK process
    never imports aiogram; the report has the MAX section and its three targets."""
    from bench.max_load import SIZES, measure

    async with temp_database("sqlite") as url:
        await prefill(url, 60, channel="max")
        load = await measure(url, 60, SIZES["tiny"], breakdown=True, profile=True)
        out = Path(tempfile.mkdtemp(prefix="consult-bench-test-")) / "rss.json"
        child = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.max_rss", "--db", url, "--out",
                                                     str(out), cwd=ROOT, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(child.communicate(), 120)
        assert child.returncode == 0, stderr.decode()[-2000:]
        rss = json.loads(out.read_text())
    assert load["scenario_error_count"] == 0 and load["apologies"] == 0, load["scenario_errors"]
    assert all(s["completed"] == s["people"] > 0 for s in load["scenarios"].values())
    assert load["concurrent"]["completed"] == load["concurrent"]["people"] == SIZES["tiny"].concurrent_users
    assert load["api_calls"]["POST /answers"] > 0 and load["api_calls"]["POST /uploads"] > 0  # presses, the .ics
    assert load["floor"]["updates"] == load["sequential"]["updates"]
    assert load["breakdown_ms"]["parts_ms"]["engine"] > 0 and load["profile"]
    assert rss["channels"] == ["vk", "max"] and rss["aiogram_imported"] is False and 0 < rss["idle_rss_mb"]
    results: dict[str, Any] = {
        "date": "2026-03-17 07:00 UTC", "mode": "tiny", "skipped": [], "max_rss": rss,
        "machine": {"cpus": 2, "cpu": "test", "ram_gb": 1, "os": "Linux", "python": "3.11", "aiogram": "3",
                    "sqlalchemy": "2", "load_average": "0"},
        "max_load": [{**load, "db": "sqlite"}],
    }
    table = markdown(results)
    assert "### MAX" in table and "| whole update |" in table and "| web server, channels, scheduler: idle |" in table
    targets = [c.target for c in checks(results)]
    assert targets == ["MAX: ≥ 1 000 updates/s per process (SQLite, 60 clients)",
                       "MAX: p99 ≤ 5 ms (SQLite, 60 clients)", "MAX+VK deployment: idle RSS ≤ 120 MB, no aiogram"]

"""``python -m bench`` (``make bench``): the whole benchmark, about 20 minutes on 2 cores;
``python -m bench --quick`` for a short one (1,000 and 10,000 clients, 1,000 invitations).
Beside the Telegram path: the MAX path (``bench.max_load``, the smaller database size) and the
idle memory of a MAX+VK deployment (``bench.max_rss``), in processes that never import aiogram.

Every measurement runs in a process of its own (so memory figures are the bot's alone) on a
throw-away database: SQLite in a temp file, PostgreSQL in a database created for the run and
dropped after it (``CONSULT_BENCH_PG``, default the local server; skipped with a note if it does
not answer). The table is printed and written to bench/results/latest.md and latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.prefill import postgres_available, prefill, temp_database
from bench.report import markdown


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _machine() -> dict[str, Any]:
    import aiogram
    import sqlalchemy

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        ram = 0.0
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return {"cpus": os.cpu_count(), "cpu": cpu, "ram_gb": ram, "os": platform.platform(terse=True),
            "python": platform.python_version(), "aiogram": aiogram.__version__, "sqlalchemy": sqlalchemy.__version__,
            "load_average": load}


async def _pg_version() -> str | None:
    from bench.prefill import PG_ADMIN_URL

    try:
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(PG_ADMIN_URL)
        conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username, password=url.password,
                                     database=url.database, timeout=5)
        try:
            return str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()
    except Exception:
        return None


def _child(module: str, args: list[str], out: Path, log: Path) -> dict[str, Any]:
    """Run ``python -m <module> ...`` and read its JSON; its output would not fit the table."""
    cmd = [sys.executable, "-m", module, *args, "--out", str(out), "--log", str(log)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(out.read_text())


async def _load_runs(kinds: list[str], sizes: list[int], size: str, repeat: int, work: Path,
                     logs: Path) -> list[dict[str, Any]]:
    """Each database and size ``repeat`` times (interleaved, each on a fresh database), keeping the
    run with the highest throughput: the one least disturbed by whatever else the machine did."""
    runs = []
    for kind in kinds:
        tries: dict[int, list[dict[str, Any]]] = {clients: [] for clients in sizes}
        for attempt in range(repeat):
            for clients in sizes:
                _say(f"{kind}, {clients:,} stored clients (run {attempt + 1} of {repeat}): filling the database…")
                async with temp_database(kind) as url:
                    began = time.perf_counter()
                    await prefill(url, clients)
                    filled = time.perf_counter() - began
                    _say(f"  filled in {filled:.1f} s; measuring…")
                    args = ["--db", url, "--clients", str(clients), "--size", size]
                    if kind == "sqlite" and clients == sizes[0] and attempt == 0:
                        args.append("--breakdown")
                    name = f"{kind}-{clients}-{attempt + 1}"
                    result = _child("bench.load", args, work / f"{name}.json", logs / f"{name}.log")
                result.update(db=kind, prefill_s=filled)
                _say(f"  one at a time: mean {result['sequential']['mean_ms']:.1f} ms, p99 "
                     f"{result['sequential']['p99_ms']:.1f} ms; {result['concurrent']['users']} at once: "
                     f"{result['concurrent']['per_s']:.0f} updates/s")
                tries[clients].append(result)
        for clients in sizes:
            best = max(tries[clients], key=lambda r: r["concurrent"]["per_s"])
            best["breakdown_ms"] = next((r["breakdown_ms"] for r in tries[clients] if r.get("breakdown_ms")), None)
            best["runs"] = [{"updates_per_s": r["concurrent"]["per_s"], "mean_ms": r["sequential"]["mean_ms"],
                             "p99_ms": r["sequential"]["p99_ms"]} for r in tries[clients]]
            runs.append(best)
    return runs


async def _flood(size: str, clients: int, work: Path, logs: Path) -> dict[str, Any]:
    _say("anti-flood: people at a human pace, then with one sending 100 messages a second…")
    async with temp_database("sqlite") as url:
        await prefill(url, clients)
        return _child("bench.load", ["--db", url, "--clients", str(clients), "--size", size, "--mode", "flood"],
                      work / "flood.json", logs / "flood.log")


async def _max_runs(kinds: list[str], clients: int, size: str, repeat: int, work: Path,
                   logs: Path) -> list[dict[str, Any]]:
    """The MAX path (no aiogram in its process) on each database, the best of ``repeat`` runs."""
    runs = []
    for kind in kinds:
        tries = []
        for attempt in range(repeat):
            _say(f"MAX, {kind}, {clients:,} stored clients (run {attempt + 1} of {repeat})…")
            async with temp_database(kind) as url:
                await prefill(url, clients, channel="max")
                args = ["--db", url, "--clients", str(clients), "--size", size]
                if kind == "sqlite" and attempt == 0:
                    args += ["--breakdown", "--profile"]
                name = f"max-{kind}-{clients}-{attempt + 1}"
                result = _child("bench.max_load", args, work / f"{name}.json", logs / f"{name}.log")
            result["db"] = kind
            _say(f"  one at a time: mean {result['sequential']['mean_ms']:.2f} ms, p99 "
                 f"{result['sequential']['p99_ms']:.2f} ms; {result['concurrent']['users']} at once: "
                 f"{result['concurrent']['per_s']:.0f} updates/s")
            tries.append(result)
        best = max(tries, key=lambda r: r["concurrent"]["per_s"])
        for key in ("breakdown_ms", "profile"):
            best[key] = next((r[key] for r in tries if r.get(key)), None)
        best["runs"] = [{"updates_per_s": r["concurrent"]["per_s"], "mean_ms": r["sequential"]["mean_ms"],
                         "p99_ms": r["sequential"]["p99_ms"]} for r in tries]
        runs.append(best)
    return runs


async def _max_rss(work: Path, logs: Path) -> dict[str, Any]:
    _say("idle memory of a MAX+VK deployment…")
    async with temp_database("sqlite") as url:
        return _child("bench.max_rss", ["--db", url], work / "max-rss.json", logs / "max-rss.log")


def _broadcast(messages: int, work: Path, logs: Path) -> dict[str, Any]:
    _say(f"broadcast: {messages:,} survey invitations at Telegram's limits (about {messages / 28 / 60:.0f} min)…")
    return _child("bench.broadcast", ["--messages", str(messages)], work / "broadcast.json", logs / "broadcast.log")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    size = "tiny" if args.tiny else "quick" if args.quick else "full"
    sizes = [200, 400] if args.tiny else [1_000, 10_000] if args.quick else [1_000, 100_000]
    messages = 40 if args.tiny else 1_000 if args.quick else 10_000
    results: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "mode": size,
                               "machine": _machine(), "skipped": [], "concurrent_users": 8 if args.tiny else 200}
    kinds = [k for k in ("sqlite", "postgresql") if args.only in (None, k)]
    if "postgresql" in kinds:
        why = await postgres_available()
        if why is not None:
            kinds.remove("postgresql")
            results["skipped"].append(f"PostgreSQL is not reachable ({why}).")
        else:
            results["machine"]["postgresql"] = await _pg_version()
    args.out.mkdir(parents=True, exist_ok=True)
    logs = args.out / "logs"
    with tempfile.TemporaryDirectory(prefix="consult-bench-") as tmp:
        work = Path(tmp)
        repeat = args.repeat or (1 if args.quick or args.tiny else 2)
        if not args.max_only:
            results["load"] = await _load_runs(kinds, sizes, size, repeat, work, logs)
        if not args.no_max:
            results["max_rss"] = await _max_rss(work, logs)
            results["max_load"] = await _max_runs(kinds, sizes[0], size, repeat, work, logs)
        if not args.no_flood and not args.max_only:
            results["flood"] = await _flood(size, sizes[0], work, logs)
        if not args.no_broadcast and not args.max_only:
            results["broadcast"] = _broadcast(messages, work, logs)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller numbers: a few minutes")
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # the smoke test
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--repeat", type=int, help="runs of each measurement, the best kept (full: 2, quick: 1)")
    parser.add_argument("--no-flood", action="store_true", help="skip the anti-flood measurement")
    parser.add_argument("--no-broadcast", action="store_true", help="skip the broadcast")
    parser.add_argument("--no-max", action="store_true", help="skip the MAX path")
    parser.add_argument("--max-only", action="store_true", help="the MAX path and the MAX+VK memory only")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="where latest.md/.json go")
    args = parser.parse_args()
    began = time.perf_counter()
    results = asyncio.run(run(args))
    results["took_s"] = time.perf_counter() - began
    table = markdown(results)
    (args.out / "latest.json").write_text(json.dumps(results, ensure_ascii=False, indent=1))
    (args.out / "latest.md").write_text(table + "\n")
    print(table)
    _say(f"done in {results['took_s'] / 60:.1f} min; written to {args.out / 'latest.md'} and latest.json")


if __name__ == "__main__":
    main()

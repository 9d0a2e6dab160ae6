"""The results as Markdown tables, with the targets of issue 9 marked PASS or FAIL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Targets of the MAX+VK deployment (issue 15): per process on SQLite, per update, memory.
MAX_MIN_UPDATES_PER_S = 1000.0
MAX_MAX_P99_MS = 5.0
MAX_MAX_IDLE_RSS_MB = 120.0

# Targets (a 2-core machine): per process on SQLite, per update, memory, and growth of the database.
MIN_UPDATES_PER_S = 1000.0
MAX_P99_MS = 10.0
MAX_IDLE_RSS_MB = 150.0
MAX_DEGRADATION_PCT = 20.0
BROADCAST_TOLERANCE_PCT = 10.0
FLOOD_MAX_P99_CHANGE_PCT = 20.0


@dataclass(frozen=True)
class Check:
    target: str
    measured: str
    passed: bool

    @property
    def verdict(self) -> str:
        return "PASS" if self.passed else "FAIL"


def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}".replace(",", " ")


def _ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _pct(value: float) -> str:
    return f"{value:+.0f}%"


def _db_name(kind: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(kind, kind)


def degradation(small: dict[str, Any], big: dict[str, Any]) -> dict[str, float]:
    """How much worse (%) the big database is: throughput down, latencies up (negative: better)."""
    def worse_up(a: float, b: float) -> float:
        return (b - a) / a * 100 if a else 0.0

    return {
        "updates_per_s": -worse_up(small["concurrent"]["per_s"], big["concurrent"]["per_s"]),
        "mean_ms": worse_up(small["sequential"]["mean_ms"], big["sequential"]["mean_ms"]),
        "p99_ms": worse_up(small["sequential"]["p99_ms"], big["sequential"]["p99_ms"]),
    }


def checks(results: dict[str, Any]) -> list[Check]:
    out: list[Check] = []
    loads = results.get("load", [])
    for run in loads:
        db, clients = _db_name(run["db"]), _n(run["clients"])
        if run["db"] == "sqlite":
            rate = run["concurrent"]["per_s"]
            out.append(Check(f"≥ {_n(MIN_UPDATES_PER_S)} updates/s per process ({db}, {clients} clients)",
                             f"{_n(rate)} updates/s", rate >= MIN_UPDATES_PER_S))
        p99 = run["sequential"]["p99_ms"]
        out.append(Check(f"p99 < {_n(MAX_P99_MS)} ms ({db}, {clients} clients)", f"{_ms(p99)} ms", p99 < MAX_P99_MS))
    idle = [run["idle_rss_mb"] for run in loads]
    if idle:
        out.append(Check(f"idle RSS < {_n(MAX_IDLE_RSS_MB)} MB", f"{_n(max(idle))} MB (the largest)",
                         max(idle) < MAX_IDLE_RSS_MB))
    for small, big in _pairs(loads):
        d = degradation(small, big)
        worst = max(d.values())
        out.append(Check(f"≤ {_n(MAX_DEGRADATION_PCT)}% worse with {_n(big['clients'])} than with "
                         f"{_n(small['clients'])} clients ({_db_name(small['db'])})",
                         f"updates/s {_pct(-d['updates_per_s'])}, mean {_pct(d['mean_ms'])}, p99 {_pct(d['p99_ms'])}",
                         worst <= MAX_DEGRADATION_PCT))
    flood = results.get("flood")
    if flood:
        change = flood["p99_change_pct"]
        out.append(Check("anti-flood: the flooder is told to slow down",
                         f"{flood['flooder']['flood_notices']} notices", flood["flooder"]["flood_notices"] > 0))
        out.append(Check(f"anti-flood: others' p99 within {_n(FLOOD_MAX_P99_CHANGE_PCT)}% of a calm run",
                         _pct(change), change <= FLOOD_MAX_P99_CHANGE_PCT))
    for run in results.get("max_load", []):
        db, clients = _db_name(run["db"]), _n(run["clients"])
        if run["db"] == "sqlite":
            rate = run["concurrent"]["per_s"]
            out.append(Check(f"MAX: ≥ {_n(MAX_MIN_UPDATES_PER_S)} updates/s per process ({db}, {clients} clients)",
                             f"{_n(rate)} updates/s", rate >= MAX_MIN_UPDATES_PER_S))
            p99 = run["sequential"]["p99_ms"]
            out.append(Check(f"MAX: p99 ≤ {_n(MAX_MAX_P99_MS)} ms ({db}, {clients} clients)", f"{_ms(p99)} ms",
                             p99 <= MAX_MAX_P99_MS))
    rss = results.get("max_rss")
    if rss:
        aiogram = "loaded" if rss["aiogram_imported"] else "not loaded"
        out.append(Check(f"MAX+VK deployment: idle RSS ≤ {_n(MAX_MAX_IDLE_RSS_MB)} MB, no aiogram",
                         f"{rss['idle_rss_mb']:.1f} MB, aiogram {aiogram}",
                         rss["idle_rss_mb"] <= MAX_MAX_IDLE_RSS_MB and not rss["aiogram_imported"]))
    bc = results.get("broadcast")
    if bc:
        off = abs(100 - bc["of_limit_pct"])
        out.append(Check(f"broadcast within {_n(BROADCAST_TOLERANCE_PCT)}% of the limit",
                         f"{bc['sustained_per_s']:.1f}/s of {bc['limit_per_s']}/s ({bc['of_limit_pct']:.1f}%)",
                         off <= BROADCAST_TOLERANCE_PCT))
        out.append(Check("broadcast: nothing lost or duplicated",
                         f"{bc['lost']} lost, {bc['duplicated']} duplicated of {_n(bc['messages'])}",
                         bc["lost"] == 0 and bc["duplicated"] == 0 and bc["delivered"] == bc["messages"]))
    return out


def _pairs(loads: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    pairs = []
    for kind in dict.fromkeys(run["db"] for run in loads):
        runs = sorted((r for r in loads if r["db"] == kind), key=lambda r: r["clients"])
        if len(runs) >= 2:
            pairs.append((runs[0], runs[-1]))
    return pairs


def markdown(results: dict[str, Any]) -> str:
    lines: list[str] = []
    add = lines.append
    m = results["machine"]
    add(f"## Benchmark, {results['date']} ({results['mode']} run)")
    add("")
    add(f"Machine: {m['cpus']} CPU ({m['cpu']}), {m['ram_gb']:.0f} GB RAM, {m['os']}; Python {m['python']}, "
        f"aiogram {m['aiogram']}, SQLAlchemy {m['sqlalchemy']}"
        + (f", PostgreSQL {m['postgresql']}" if m.get("postgresql") else "") + f". Load average at start: "
        f"{m['load_average']}.")
    add("")
    add("Each update goes through aiogram's `Dispatcher.feed_update` into the real Telegram adapter "
        "(middlewares, anti-flood, engine, state load and save, flows, rendering, Bot API calls on a "
        "recording session without network). Latency is per update, people one after another; "
        f"updates/s is with {results.get('concurrent_users', 200)} people at once.")
    add("")
    loads = results.get("load", [])
    if loads:
        add("| Database | Stored clients | Scenario | Updates | Updates/s | p50, ms | p95, ms | p99, ms |")
        add("|---|---:|---|---:|---:|---:|---:|---:|")
        for run in loads:
            db, clients = _db_name(run["db"]), _n(run["clients"])
            for name, s in run["scenarios"].items():
                add(f"| {db} | {clients} | {name} | {_n(s['updates'])} | {_n(s['per_s'])} | {_ms(s['p50_ms'])} | "
                    f"{_ms(s['p95_ms'])} | {_ms(s['p99_ms'])} |")
            s = run["sequential"]
            add(f"| {db} | {clients} | **all, one at a time** | {_n(s['updates'])} | {_n(s['per_s'])} | "
                f"{_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} | {_ms(s['p99_ms'])} |")
            c = run["concurrent"]
            add(f"| {db} | {clients} | **{c['users']} people at once** | {_n(c['updates'])} | **{_n(c['per_s'])}** | "
                f"{_ms(c['p50_ms'])} | {_ms(c['p95_ms'])} | {_ms(c['p99_ms'])} |")
        add("")
        add("| Database | Stored clients | Idle RSS, MB | Peak RSS, MB | Floor, updates/s | Floor mean, ms | "
            "Our mean, ms | Our path / floor | Apologies | Scenarios done |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for run in loads:
            f = run["floor"]
            done = sum(s["completed"] for s in run["scenarios"].values()) + run["concurrent"]["completed"]
            people = sum(s["people"] for s in run["scenarios"].values()) + run["concurrent"]["people"]
            add(f"| {_db_name(run['db'])} | {_n(run['clients'])} | {_n(run['idle_rss_mb'])} | "
                f"{_n(run['peak_rss_mb'])} | {_n(f['per_s'])} | {_ms(f['mean_ms'])} | "
                f"{_ms(run['sequential']['mean_ms'])} | {run['floor_ratio']:.0f}× | {run['apologies']} | "
                f"{done}/{people} |")
        add("")
        pairs = _pairs(loads)
        if pairs:
            add("| Database | Stored clients | Updates/s at once | Mean, ms | p99, ms |")
            add("|---|---|---:|---:|---:|")
            for small, big in pairs:
                d = degradation(small, big)
                add(f"| {_db_name(small['db'])} | {_n(small['clients'])} → {_n(big['clients'])} | "
                    f"{_n(small['concurrent']['per_s'])} → {_n(big['concurrent']['per_s'])} "
                    f"({_pct(-d['updates_per_s'])}) | "
                    f"{_ms(small['sequential']['mean_ms'])} → {_ms(big['sequential']['mean_ms'])} "
                    f"({_pct(d['mean_ms'])}) | "
                    f"{_ms(small['sequential']['p99_ms'])} → {_ms(big['sequential']['p99_ms'])} "
                    f"({_pct(d['p99_ms'])}) |")
            add("")
    breakdown = next((run["breakdown_ms"] for run in loads if run.get("breakdown_ms")), None)
    if breakdown:
        parts = breakdown["parts_ms"]
        from bench.breakdown import PARTS

        add("Where the time of an update goes (SQLite, the smaller database, people one after another; CPU "
            "time of the event-loop thread per update, the four scenarios together):")
        add("")
        add("| Part | ms per update | share |")
        add("|---|---:|---:|")
        for key, label in PARTS:
            add(f"| {label} | {parts[key]:.2f} | {parts[key] / parts['total'] * 100:.0f}% |")
        add("")
        add("The slowest steps (mean latency of an update that moved a person from one step to another):")
        add("")
        add("| Step | Updates | Mean, ms |")
        add("|---|---:|---:|")
        for row in breakdown["slowest_steps"]:
            add(f"| {row['step']} | {row['updates']} | {_ms(row['mean_ms'])} |")
        add("")
    runs_note = [run for run in loads if len(run.get("runs", [])) > 1]
    if runs_note:
        add(f"Each database and size was measured {len(runs_note[0]['runs'])} times on a fresh database; the run "
            "with the highest throughput is shown (all runs are in latest.json).")
        add("")
    for note in results.get("skipped", []):
        add(f"*Skipped:* {note}")
        add("")
    _max_section(results, add)
    flood = results.get("flood")
    if flood:
        fl, calm, busy = flood["flooder"], flood["others_without_flooder"], flood["others_with_flooder"]
        add(f"Anti-flood (SQLite, real time; limit {flood['limit']['rate_per_s']:g} messages/s, burst "
            f"{flood['limit']['burst']}): one person sent {_n(fl['sent'])} messages in {fl['seconds']:.1f} s "
            f"({_n(fl['per_s'])}/s); {fl['answered']} answers, {fl['flood_notices']} \"please slow down\" notices, "
            f"the rest dropped.")
        add("")
        add("| Other people | Updates | p50, ms | p95, ms | p99, ms |")
        add("|---|---:|---:|---:|---:|")
        for label, s in (("without the flooder", calm), ("with the flooder", busy)):
            add(f"| {label} | {_n(s['updates'])} | {_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} | {_ms(s['p99_ms'])} |")
        add("")
    bc = results.get("broadcast")
    if bc:
        add(f"Broadcast (survey invitations through the scheduler, `TelegramChannel.deliver`, aiogram over HTTP to a "
            f"local Bot API limited to {bc['limit_per_s']} messages/s and 1/s per chat): {_n(bc['delivered'])} of "
            f"{_n(bc['messages'])} delivered in {bc['sent_in_s']:.0f} s, sustained {bc['sustained_per_s']:.1f}/s "
            f"({bc['of_limit_pct']:.1f}% of the limit), busiest second {bc['busiest_second']}, "
            f"{bc['answered_429']} answers 429, {bc['lost']} lost, {bc['duplicated']} duplicated.")
        add("")
    add("| Target | Measured | |")
    add("|---|---|---|")
    for c in checks(results):
        add(f"| {c.target} | {c.measured} | **{c.verdict}** |")
    add("")
    return "\n".join(lines)


def _max_section(results: dict[str, Any], add: Any) -> None:
    """The MAX path and the memory of a MAX+VK deployment."""
    runs = results.get("max_load", [])
    rss = results.get("max_rss")
    if not runs and not rss:
        return
    add("### MAX")
    add("")
    add("Each update is the JSON MAX posts to the webhook, parsed and handed to the real MAX channel module "
        "(`MaxChannel.feed`: update parsing, anti-flood, admission, the engine's unit of work, the outbox, "
        "rendering, the bot's own MAX client with its pacing) over a recording transport without network, in a "
        "process that never imports aiogram. The floor: the same raw updates parsed (`json.loads` + "
        "`parse_update`) and dispatched to an empty handler. MAX itself takes about 30 requests a second per bot: "
        "these figures are the bot's CPU, not what one MAX bot can be sent.")
    add("")
    if runs:
        add("| Database | Stored clients | Scenario | Updates | Updates/s | p50, ms | p95, ms | p99, ms |")
        add("|---|---:|---|---:|---:|---:|---:|---:|")
        for run in runs:
            db, clients = _db_name(run["db"]), _n(run["clients"])
            for name, s in run["scenarios"].items():
                add(f"| {db} | {clients} | {name} | {_n(s['updates'])} | {_n(s['per_s'])} | {_ms(s['p50_ms'])} | "
                    f"{_ms(s['p95_ms'])} | {_ms(s['p99_ms'])} |")
            s = run["sequential"]
            add(f"| {db} | {clients} | **all, one at a time** | {_n(s['updates'])} | {_n(s['per_s'])} | "
                f"{_ms(s['p50_ms'])} | {_ms(s['p95_ms'])} | {_ms(s['p99_ms'])} |")
            c = run["concurrent"]
            add(f"| {db} | {clients} | **{c['users']} people at once** | {_n(c['updates'])} | **{_n(c['per_s'])}** | "
                f"{_ms(c['p50_ms'])} | {_ms(c['p95_ms'])} | {_ms(c['p99_ms'])} |")
        add("")
        add("| Database | Floor, updates/s | Floor mean, ms | Our mean, ms | Our path / floor | CPU per update at "
            "once, ms | Updates/s on a core of its own | Apologies | Scenarios done | MAX API calls |")
        add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for run in runs:
            f = run["floor"]
            done = sum(s["completed"] for s in run["scenarios"].values()) + run["concurrent"]["completed"]
            people = sum(s["people"] for s in run["scenarios"].values()) + run["concurrent"]["people"]
            calls = ", ".join(f"{k} {v}" for k, v in sorted(run["api_calls"].items()))
            cpu = run["concurrent"].get("cpu_ms_per_update", 0.0)
            add(f"| {_db_name(run['db'])} | {_n(f['per_s'])} | {_ms(f['mean_ms'])} | "
                f"{_ms(run['sequential']['mean_ms'])} | {run['floor_ratio']:.0f}× | {_ms(cpu)} | "
                f"{_n(1000 / cpu) if cpu else '–'} | {run['apologies']} | {done}/{people} | {calls} |")
        add("")
        telegram = [r for r in results.get("load", []) if r["concurrent"].get("cpu_ms_per_update")]
        if telegram:
            add("The Telegram path in the same run, for comparison: "
                + "; ".join(f"{_db_name(r['db'])}, {_n(r['clients'])} clients: {_n(r['concurrent']['per_s'])} "
                            f"updates/s at once, {_ms(r['concurrent']['cpu_ms_per_update'])} ms CPU per update"
                            for r in telegram) + ".")
            add("")
        parts = next((run["breakdown_ms"] for run in runs if run.get("breakdown_ms")), None)
        if parts:
            from bench.max_load import PARTS

            ms = parts["parts_ms"]
            add("Where the time of a MAX update goes (SQLite, one at a time, CPU time of the loop's thread):")
            add("")
            add("| Part | ms per update | share |")
            add("|---|---:|---:|")
            for key, label in PARTS:
                add(f"| {label} | {ms.get(key, 0.0):.3f} | {ms.get(key, 0.0) / ms['total'] * 100:.0f}% |")
            add("")
        profile = next((run["profile"] for run in runs if run.get("profile")), None)
        if profile:
            total = sum(r["own_s"] for r in profile)
            add("The functions with the most CPU time of their own (cProfile, SQLite, one at a time; the top 12):")
            add("")
            add("| Function | Calls | Own time, s |")
            add("|---|---:|---:|")
            for row in profile[:12]:
                add(f"| `{row['function']}` | {row['calls']} | {row['own_s']:.3f} |")
            add(f"| (these {min(12, len(profile))} of the top {len(profile)}) | | "
                f"{sum(r['own_s'] for r in profile[:12]):.3f} of {total:.3f} |")
            add("")
    if rss:
        add(f"Idle memory of a MAX+VK deployment (`bench.max_rss`: what `consult-bot run` builds with MAX and VK "
            f"configured; channels {', '.join(rss['channels'])}; aiogram "
            f"{'loaded' if rss['aiogram_imported'] else 'not loaded'}; {rss['modules']} modules):")
        add("")
        add("| After | RSS, MB |")
        add("|---|---:|")
        for stage, mb in rss["stages_mb"].items():
            add(f"| {stage} | {mb:.1f} |")
        add("")

"""Figures: latency percentiles and the memory of this process."""

from __future__ import annotations

import math
import resource
from pathlib import Path


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(seconds: list[float], wall: float | None = None) -> dict[str, float]:
    """Milliseconds: mean and p50/p95/p99/max; ``per_s`` is updates per second of ``wall`` time
    (or of the summed latencies when the updates ran one after another)."""
    values = sorted(seconds)
    total = sum(values)
    elapsed = wall if wall is not None else total
    return {
        "updates": len(values),
        "per_s": len(values) / elapsed if elapsed > 0 else 0.0,
        "mean_ms": total / len(values) * 1000 if values else 0.0,
        "p50_ms": percentile(values, 50) * 1000,
        "p95_ms": percentile(values, 95) * 1000,
        "p99_ms": percentile(values, 99) * 1000,
        "max_ms": (values[-1] if values else 0.0) * 1000,
    }


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Resident memory now (MB)."""
    kb = _status_kb("VmRSS")
    if kb is None:  # not Linux: the peak is the best we have
        return peak_rss_mb()
    return kb / 1024


def peak_rss_mb() -> float:
    """The highest resident memory of this process so far (MB)."""
    kb = _status_kb("VmHWM")
    if kb is None:
        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    return kb / 1024

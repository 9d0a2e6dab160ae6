"""The bot's log during a measurement goes to a file (it would drown the table), counted by level."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path


class _Counting(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.counts[record.levelname.lower()] += 1


def capture(path: Path | None) -> Counter[str]:
    """Send warnings and errors to ``path`` (or nowhere) and return the live counts by level."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.WARNING)
    counting = _Counting()
    root.addHandler(counting)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        file = logging.FileHandler(path, mode="w", encoding="utf-8")
        file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(file)
    return counting.counts

"""What the benchmark's processes share, without importing any messenger library (the MAX+VK
measurements must not load aiogram): the moment the bench runs at, its settings, the paced clock,
the error of a scenario that did not get where it leads."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bot.settings import Settings

# A Tuesday, 10:00 in Moscow: an ordinary working day, so the booking offers the usual days.
NOW = datetime(2026, 3, 17, 7, 0, tzinfo=UTC)


def settings_for(url: str, data_dir: Path | None = None, **overrides: object) -> Settings:
    """The deployment's settings (content files from the working directory or the environment), with
    the benchmark's database and no .env file: a real token or Redis must not leak in."""
    data = data_dir or Path(tempfile.mkdtemp(prefix="consult-bench-"))
    values: dict[str, object] = {"database_url": url, "data_dir": data, "redis_url": None, **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


class PacedClock:
    """The anti-flood clock when people act at a human pace: it moves ``step`` seconds per update
    fed, whatever the wall time, so a fast benchmark is not mistaken for a flood."""

    def __init__(self, step: float = 1.0) -> None:
        self.now = 0.0
        self.step = step

    def tick(self) -> None:
        self.now += self.step

    def __call__(self) -> float:
        return self.now


class ScenarioError(Exception):
    """The bot did not show what a person needs to go on (a missing button)."""

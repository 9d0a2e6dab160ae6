"""The process is killed (SIGKILL) in the middle of a booking, a survey and a request; after a
restart the client continues at the same step with what he had entered, and nothing is half-written.
The real ``consult-bot demo`` process is used, on a SQLite file that outlives it."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


class DemoProcess:
    def __init__(self, db: Path, data: Path) -> None:
        self.env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "DATA_DIR": str(data),
                    "PYTHONUNBUFFERED": "1"}
        self.proc: asyncio.subprocess.Process | None = None
        self.out = ""

    async def start(self, expect: str) -> str:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "demo", cwd=ROOT, env=self.env, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
        self.out = ""
        return await self._until(expect, 0)

    async def say(self, line: str, expect: str) -> str:
        assert self.proc and self.proc.stdin
        mark = len(self.out)
        self.proc.stdin.write((line + "\n").encode())
        await self.proc.stdin.drain()
        return await self._until(expect, mark)

    async def _until(self, expect: str, mark: int) -> str:
        assert self.proc and self.proc.stdout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        while expect not in self.out[mark:]:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"never saw {expect!r}; the demo printed:\n{self.out[mark:][-2000:]}")
            try:
                chunk = await asyncio.wait_for(self.proc.stdout.read(4096), left)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"the demo exited; it printed:\n{self.out[mark:][-2000:]}")
            self.out += chunk.decode(errors="replace")
        return self.out[mark:]

    async def kill(self) -> None:
        assert self.proc
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        assert self.proc.returncode == -signal.SIGKILL


@pytest.fixture
def demo(tmp_path: Path) -> DemoProcess:
    return DemoProcess(tmp_path / "bot.db", tmp_path / "data")


async def test_killed_during_a_booking(demo: DemoProcess, tmp_path: Path) -> None:
    await demo.start("Выберите тему вопроса")
    await demo.say("Личный приём", "я запишу вас в нужный отдел")
    await demo.say("1", "Выберите удобный день")
    await demo.say("1", "Когда вам удобнее")
    await demo.say("1", "Выберите время приёма")
    await demo.say("1", "согласны на обработку персональных данных")
    await demo.say("1", "Как к вам обращаться")
    await demo.kill()

    answer = await demo.start("Как к вам обращаться")
    assert "Продолжим с того места" in answer
    await demo.say("Иван Петров", "номер телефона")
    answer = await demo.say("+7 911 123-45-67", "Проверьте")
    assert "Иван Петров" in answer
    await demo.kill()
    answer = await demo.start("Проверьте")  # killed on the confirmation: still there, nothing booked yet
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT count(*) FROM visit_bookings").fetchone()[0] == 0
    answer = await demo.say("1", "Суворовский пр-кт, д. 67")
    assert "Вы записаны" in answer
    await demo.kill()
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT count(*) FROM visit_bookings WHERE status = 'active'").fetchone()[0] == 1


async def test_killed_during_a_survey(demo: DemoProcess) -> None:
    await demo.start("Выберите тему вопроса")
    await demo.say("Оценить качество", "анонимн")
    await demo.say("1", "Вопрос 1 из 9")
    await demo.say("1", "Вопрос 2 из 9")
    await demo.say("1", "✅")
    await demo.kill()

    answer = await demo.start("Вопрос 2 из 9")
    assert "✅" in answer, "the ticked option is still ticked"
    await demo.say("Готово", "Вопрос 3 из 9")
    await demo.kill()


async def test_killed_while_writing_a_request(demo: DemoProcess, tmp_path: Path) -> None:
    await demo.start("Выберите тему вопроса")
    await demo.say("Написать в отдел", "Напишите обращение")
    await demo.say("Прошу выдать справку о стаже работы в администрации за 2020-2025 годы.", "Готово")
    await demo.kill()

    answer = await demo.start("Готово")
    assert "Продолжим с того места" in answer
    await demo.say("Готово", "согласны на обработку персональных данных")
    with sqlite3.connect(tmp_path / "bot.db") as db:
        assert db.execute("SELECT count(*) FROM requests").fetchone()[0] == 0, "nothing half-registered"
    await demo.kill()

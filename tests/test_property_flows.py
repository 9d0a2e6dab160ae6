"""Random sequences of updates — texts, buttons from other steps, stale callback data, huge texts,
unicode, files — never crash the flows, and every update gets a reply."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.settings import Settings
from handlers.models import Attachment, Contact, Event
from tests.conftest import ROOT, FakeClock, handle

WORDS = ["привет", "назад", "меню", "отмена", "помощь", "да", "нет", "1", "2", "7", "15", "0", "/start",
         "/forget", "/requests", "/visits", "как попасть в кадровый резерв", "наградной лист", "налоговый вычет",
         "Готово", "Пропустить", "+7 911 123-45-67", "Иванов Иван", "2026-03-20", "а" * 10_000]

action = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(WORDS)),
    st.tuples(st.just("text"), st.text(max_size=300)),
    st.tuples(st.just("seen"), st.integers(min_value=0, max_value=10_000)),  # a button seen earlier
    st.tuples(st.just("payload"), st.text(alphabet="abcdef0123456789._gat", max_size=64)),
    st.tuples(st.just("file"), st.sampled_from(["sticker", "photo", "document", "voice"])),
    st.tuples(st.just("contact"), st.sampled_from(["+79111234567", "не телефон"])),
)


async def _play(template: Path, steps: list[tuple[str, object]]) -> None:
    workdir = Path(tempfile.mkdtemp())
    try:
        db = workdir / "bot.db"
        shutil.copy(template, db)
        app = await App.create(Settings(_env_file=None, database_url=f"sqlite:///{db}",  # type: ignore[call-arg]
                                        data_dir=workdir, directory_file=ROOT / "directory.yaml",
                                        survey_file=ROOT / "survey.yaml", calendar_file=ROOT / "calendar.yaml"),
                               clock=FakeClock(), migrate=False)
        seen: list[str] = []
        try:
            for kind, value in steps:
                ev = Event("telegram", "7", "7")
                if kind == "text":
                    ev = Event("telegram", "7", "7", text=str(value))
                elif kind == "seen":
                    ev = Event("telegram", "7", "7", payload=seen[int(value) % len(seen)] if seen else "g.menu")
                elif kind == "payload":
                    ev = Event("telegram", "7", "7", payload=str(value) or "x")
                elif kind == "file":
                    ev = Event("telegram", "7", "7", attachments=(Attachment(str(value), file_id="f1"),))
                elif kind == "contact":
                    ev = Event("telegram", "7", "7", contact=Contact(str(value)))
                outs = await handle(app, ev)
                mine = [o for o in outs if o.address.chat_id == "7" and not o.staff]
                assert mine, f"no reply to {kind} {str(value)[:40]!r}"
                assert all(o.reply.text.strip() for o in mine)
                assert not any("Произошла ошибка" in o.reply.text or "произошла ошибка" in o.reply.text
                               for o in mine), f"internal error on {kind} {str(value)[:40]!r}"
                seen += [b.payload for o in mine for row in o.reply.buttons for b in row if b.payload]
        finally:
            await app.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(action, min_size=1, max_size=25))
def test_random_updates_never_crash_and_always_get_a_reply(sqlite_template: Path,
                                                           steps: list[tuple[str, object]]) -> None:
    asyncio.run(_play(sqlite_template, steps))

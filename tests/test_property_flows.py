"""Random sequences of updates never crash the flows, never stall the bot, and every update of a
person in a private chat gets a reply: typed text at every step (Unicode digits, huge and negative
numbers, dates at the ends of the calendar), buttons seen earlier, the same buttons with their
argument replaced, every action button (``a.<name>.<argument>``) with arbitrary arguments and
other people's ids, files and contacts — from a citizen, and staff commands, buttons and replies
to cards with arbitrary arguments from a staff member, a department head and a staff admin.

The number of examples is ``CONSULT_FUZZ_EXAMPLES`` (default: what fits CI in about half a minute).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.settings import Settings
from handlers import texts
from handlers.engine import ACTIONS, COMMANDS
from handlers.models import Attachment, Contact, Event
from storage.db import Database
from storage.sent import record_sent
from tests.conftest import ROOT, FakeClock, handle

EXAMPLES = int(os.environ.get("CONSULT_FUZZ_EXAMPLES", "300"))
# CPU seconds one event may take at most (a forged deadline button once froze the loop for 8.8 s);
# CPU, not wall time, so that a busy shared machine does not fail the test.
STALL = 2.0

CITIZEN, OTHER = "7", "8"  # OTHER booked a visit and wrote request 1 before every example
STAFF_CHAT, MEMBER, HEAD, ADMIN = "-1001", "97", "98", "99"
CARD_MESSAGE = "555"  # the staff card of request 1 in the staff chat
HUGE = "1" * 54

WORDS = ["привет", "назад", "меню", "отмена", "помощь", "да", "нет", "1", "2", "7", "15", "0", "/start",
         "/forget", "/requests", "/visits", "как попасть в кадровый резерв", "наградной лист", "налоговый вычет",
         "Готово", "Пропустить", "+7 911 123-45-67", "Иванов Иван", "2026-03-20", "а" * 10_000,
         "Личный приём", "Написать в отдел", "Мои записи", "Оценить качество", "Начать опрос", "Записаться"]
NUMBERS = ["", "0", "1", "2", "3", "-1", "²", "³", "١٢", "１", "٣", HUGE, str(2**63), str(2**63 - 1), str(2**64),
           "1.5", "№1", "№ 2", " 1", "\x00", "1\x00", "9" * 12, "1e9", "0x10", "+1", "1 2", "1,2", "١, ٢"]
DATES = ["31.12.9999", "01.01.0001", "29.02.2026", "31.02.2026", "19.03", "19.03.2026", "25.03-20.03",
         "20.03-31.12.2099", "10:00-09:00", "99:99-10:00", "10:00-12:00", "2026-01-01", "0000-00-00",
         "9999-12-31", "²².03", "завтра", "25:61", "в 10:00", "19 марта 9999", "32 марта"]
NAMES = ["personnel", "awards", "nosuch", "да", "нет", "info", "documents", "1:1", "1:0", "competitions"]

hostile = st.sampled_from(NUMBERS)
arg = st.one_of(hostile, hostile, hostile, st.sampled_from(DATES), st.sampled_from(NAMES),
                st.integers(min_value=-(2**80), max_value=2**80).map(str), st.text(max_size=20))
ids = st.one_of(st.sampled_from(["1", "1", "2"]), hostile)  # 1: the other person's visit and request
action_arg = st.one_of(arg, st.tuples(ids, arg).map(":".join), st.tuples(ids, hostile).map(":".join))
typed = st.one_of(st.sampled_from(WORDS), st.sampled_from(NUMBERS + DATES), st.text(max_size=300),
                  st.tuples(arg, arg).map(" ".join))
staff_commands = sorted(name for name, cmd in COMMANDS.items() if cmd.staff)
command = st.tuples(st.sampled_from(staff_commands), st.lists(arg, max_size=3)).map(
    lambda c: " ".join([c[0], *c[1]]))
action = st.tuples(st.sampled_from(sorted(ACTIONS)), action_arg).map(lambda a: f"a.{a[0]}.{a[1]}")

citizen_step = st.one_of(
    st.tuples(st.just("text"), typed),
    st.tuples(st.just("text"), typed),
    st.tuples(st.just("seen"), st.integers(min_value=0, max_value=10_000)),  # a button seen earlier
    st.tuples(st.just("seen"), st.integers(min_value=0, max_value=10_000)),
    st.tuples(st.just("mutate"), st.tuples(st.integers(min_value=0, max_value=10_000), arg)),  # its argument replaced
    st.tuples(st.just("action"), action),
    st.tuples(st.just("action"), action),
    st.tuples(st.just("action"), action),
    st.tuples(st.just("action"), action),
    st.tuples(st.just("action"), action),
    st.tuples(st.just("payload"), st.text(alphabet="abcdef0123456789._gat", max_size=64)),
    st.tuples(st.just("file"), st.sampled_from(["sticker", "photo", "document", "voice"])),
    st.tuples(st.just("contact"), st.sampled_from(["+79111234567", "не телефон", "²⁷", "\x00"])),
    st.tuples(st.just("command"), command),  # staff commands from a citizen: refused
)
staff_step = st.tuples(
    st.just("staff"),
    st.tuples(st.sampled_from([MEMBER, HEAD, ADMIN]),
              st.one_of(st.tuples(st.just("command"), command), st.tuples(st.just("command"), command),
                        st.tuples(st.just("action"), action), st.tuples(st.just("action"), action),
                        st.tuples(st.just("reply"), st.tuples(st.sampled_from([CARD_MESSAGE, "1", HUGE, "\x00"]),
                                                              typed)),
                        st.tuples(st.just("text"), typed))))
steps = st.lists(st.one_of(citizen_step, citizen_step, staff_step), min_size=3, max_size=25)


def _settings(url: str, workdir: Path) -> Settings:
    return Settings(_env_file=None, database_url=url, data_dir=workdir,  # type: ignore[call-arg]
                    directory_file=ROOT / "directory.yaml", survey_file=ROOT / "survey.yaml",
                    calendar_file=ROOT / "calendar.yaml", staff_chats=f"personnel={STAFF_CHAT}",
                    department_heads=f"personnel=telegram:{HEAD}", staff_admin_ids=f"telegram:{ADMIN}")


async def _seed(path: Path) -> None:
    """Another person's visit (№ 1) and request (№ 1, its card in the staff chat)."""
    app = await App.create(_settings(f"sqlite:///{path}", path.parent), clock=FakeClock(), migrate=False)

    async def say(text: str) -> str:
        outs = await handle(app, Event("telegram", OTHER, OTHER, text=text))
        return "\n".join(o.reply.text for o in outs if o.address.chat_id == OTHER)

    try:
        for text in ("Личный приём", "Государственные награды", "19.03", "утро", "10:00", "Согласен(на)",
                     "Пётр Сидоров", "+7 911 000-11-22"):
            await say(text)
        assert "Вы записаны на личный приём" in await say("Записаться")
        for text in ("меню", "Написать в отдел", "Прошу выдать справку о стаже работы для оформления пенсии.",
                     "Готово", "Согласен(на)", "Пётр Сидоров", "+7 911 000-11-22", "1"):  # a consent of its own
            await say(text)
        assert "Обращение №1 принято" in await say("Отправить")
        await record_sent(app.services.db, "telegram", STAFF_CHAT, [CARD_MESSAGE], "request:1", app.services.clock())
    finally:
        await app.close()


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, App]:
    """The seeded database file, and an app whose content every example shares (loading it is slow)."""
    path = tmp_path_factory.mktemp("fuzz") / "seeded.db"
    shutil.copy(sqlite_template, path)
    asyncio.run(_seed(path))

    async def content() -> App:
        app = await App.create(_settings(f"sqlite:///{path}", path.parent), migrate=False)
        await app.close()
        return app

    return path, asyncio.run(content())


def _event(kind: str, value: object, seen: list[str]) -> Event:
    ev = Event("telegram", CITIZEN, CITIZEN)
    if kind in ("text", "command"):
        ev = replace(ev, text=str(value))
    elif kind == "seen":
        ev = replace(ev, payload=seen[int(value) % len(seen)] if seen else "g.menu")  # type: ignore[call-overload]
    elif kind == "mutate":
        index, new = value  # type: ignore[misc]
        old = seen[index % len(seen)] if seen else "g.menu"
        head, _, option = old.rpartition(".")
        ev = replace(ev, payload=f"{head}.{option[:1]}{new}")
    elif kind in ("action", "payload"):
        ev = replace(ev, payload=str(value) or "x")
    elif kind == "file":
        ev = replace(ev, attachments=(Attachment(str(value), file_id="f1"),))
    elif kind == "contact":
        ev = replace(ev, contact=Contact(str(value)))
    return ev


def _staff_event(who: str, kind: str, value: object) -> Event:
    chat = ADMIN if who == ADMIN else STAFF_CHAT  # the admin in a private chat, the others in the staff chat
    ev = Event("telegram", who, chat, user_name="Сотрудник")
    if kind == "reply":
        message, text = value  # type: ignore[misc]
        return replace(ev, text=text, reply_to=message)
    if kind == "action":
        return replace(ev, payload=str(value))
    return replace(ev, text=str(value))


async def _play(seeded: tuple[Path, App], steps: list[tuple[str, object]]) -> None:
    template, app = seeded
    workdir = Path(tempfile.mkdtemp())
    db = Database(f"sqlite:///{workdir / 'bot.db'}")
    shutil.copy(template, workdir / "bot.db")
    app = App(replace(app.services, db=db, clock=FakeClock(), staff_chats=dict(app.services.staff_chats)), app.settings)
    seen: list[str] = []
    try:
        for kind, value in steps:
            if kind == "staff":
                who, (what, detail) = value  # type: ignore[misc]
                ev = _staff_event(who, what, detail)
            else:
                ev = _event(kind, value, seen)
            started = time.process_time()
            outs = await handle(app, ev)  # committed messages (then delivered) and screens, in order
            took = time.process_time() - started
            said = f"{kind} {str(value)[:60]!r}"
            assert took < STALL, f"{said} took {took:.1f} s of CPU"
            for out in outs:
                assert out.reply.text.strip() or out.reply.document or out.reply.image, f"empty reply to {said}"
                for bad in (texts.INTERNAL_ERROR, texts.DB_UNAVAILABLE, texts.BUSY):
                    assert bad not in out.reply.text, f"{out.reply.text[:60]!r} to {said}"
            mine = [o for o in outs if o.address.chat_id == ev.chat_id and not o.staff]
            if ev.chat_id != STAFF_CHAT:  # staff talk in a staff chat may get no answer
                assert mine, f"no reply to {said}"
            if ev.user_id == CITIZEN:
                seen += [b.payload for o in mine for row in o.reply.buttons for b in row if b.payload]
    finally:
        await db.close()
        shutil.rmtree(workdir, ignore_errors=True)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])
@given(steps=steps)
def test_random_updates_never_crash_stall_or_go_unanswered(seeded: tuple[Path, App],
                                                           steps: list[tuple[str, object]]) -> None:
    asyncio.run(_play(seeded, steps))

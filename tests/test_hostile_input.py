"""Hostile input gets the polite answer of its step, never the apology for an internal error, and
never stalls the bot: Unicode digits, ids beyond 64 bits, forged button payloads, dates at the end
of the calendar, NUL characters — from citizens and from staff, on both databases."""

from __future__ import annotations

import time

import pytest

from bot.app import App
from handlers import texts
from handlers.engine import action_payload
from storage.requests import get_request, request_messages
from tests.conftest import Dialogue
from tests.requests_helpers import HEAD, STAFF_CHAT, RecordingChannel, write_request
from tests.visits_support import press

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner

HUGE = "1" * 54  # an id no database integer holds
CLIENT = "5001"
STAFF = "9001"  # a member of the personnel staff chat, not its head


def _no_error(answer: str) -> None:
    assert texts.INTERNAL_ERROR not in answer and texts.DB_UNAVAILABLE not in answer, answer


async def test_unicode_digit_at_a_multiple_choice_survey_question(console: Dialogue) -> None:
    await console.say("Оценить качество")
    await console.say("Начать опрос")
    question = await console.say("1")
    assert texts.SURVEY_HINT_MULTIPLE in question
    for typed in ("²", "١", "１, ２", "³ и 1"):
        answer = await console.say(typed)
        _no_error(answer)
        assert texts.SURVEY_NOT_UNDERSTOOD_MULTIPLE in answer, typed
    # ASCII numbers still answer the question
    assert "【Вопрос 3 из 9】" in await console.say("1, 2")


@pytest.mark.parametrize("arg", ["²", HUGE, "-1", "0", "", "1.5", "١٢", " 1", "9223372036854775808"])
async def test_forged_visit_cancel_button(app: App, arg: str) -> None:
    answer = await press(app, f"a.vcancel.{arg}")
    _no_error(answer)
    assert texts.VISITS_NOT_YOURS in answer


@pytest.mark.parametrize("name", ["rq_view", "rq_reply"])
async def test_forged_request_buttons_of_a_client(tg: RecordingChannel, name: str) -> None:
    await write_request(tg, CLIENT)
    for arg in ("²", HUGE, "-1", "", "1:2", "9223372036854775807", "\x00"):
        answer = await tg.send("5002", payload=f"a.{name}.{arg}")  # another person, or nonsense
        _no_error(answer)
        assert texts.RQ_NOT_FOUND in answer, arg
    assert texts.RQ_NOT_FOUND not in await tg.send(CLIENT, payload=f"a.{name}.1")  # his own still opens


async def test_a_forged_deadline_button_of_a_non_head_is_refused_before_any_work(tg: RecordingChannel) -> None:
    await write_request(tg, CLIENT)
    await tg.send(STAFF, chat_id=STAFF_CHAT, payload=action_payload("rq_urgent", "1:1"))
    started = time.process_time()
    answer = await tg.send(STAFF, chat_id=STAFF_CHAT, payload="a.rq_short.1:" + "9" * 12)
    assert time.process_time() - started < 0.5  # CPU seconds; was 8.8 s of counting working days
    assert answer == texts.ST_ONLY_HEAD
    # the head pressing the same forged button: a polite refusal, again without counting
    started = time.process_time()
    answer = await tg.send(HEAD, chat_id=STAFF_CHAT, payload="a.rq_short.1:" + "9" * 12)
    assert time.process_time() - started < 0.5
    assert answer == texts.ST_BAD_BUTTON.format(number=1)


async def test_forged_staff_buttons_and_odd_commands(tg: RecordingChannel, staff_app: App) -> None:
    await write_request(tg, CLIENT)
    bad_button = texts.ST_BAD_BUTTON.format(number=1)
    cases = {
        "a.rq_short.1:²": bad_button,
        "a.rq_ext.1:²": bad_button,
        "a.rq_ext.1:" + HUGE: bad_button,
        "a.rq_ext.1:-5": bad_button,
        "a.rq_urgent.1:yes": bad_button,
        "a.rq_topic.1:" + "x" * 40: bad_button,
        "a.rq_need.1:": bad_button,
        "a.rq_card.²": texts.ST_HELP,
        "a.rq_take." + HUGE: texts.ST_HELP,
        "a.rq_close.-1": texts.ST_HELP,
        "a.rq_card.9223372036854775807": texts.ST_NO_REQUEST.format(number=9223372036854775807),
    }
    for payload, expected in cases.items():
        answer = await tg.send(HEAD, chat_id=STAFF_CHAT, payload=payload)
        _no_error(answer)
        assert answer == expected, payload
    commands = {
        "/extend 1 ²": texts.ST_BAD_DAYS.format(limit=30),
        "/extend 1 " + HUGE: texts.ST_BAD_DAYS.format(limit=30),
        "/extend 1 сорок": texts.ST_BAD_DAYS.format(limit=30),
        "/deadline 1 31.12.9999": texts.ST_BAD_DATE.format(number=1),
        "/deadline 1 ²².03.2026": texts.ST_BAD_DATE.format(number=1),
        "/request " + HUGE: texts.ST_HELP,
        "/answer ² текст": texts.ST_HELP,
        "/clarify 1²": texts.ST_HELP,
        "/take ٣": texts.ST_HELP,
        "/urgent " + HUGE + " да": texts.ST_HELP,
        "/close 0": texts.ST_HELP,
        "/request 18446744073709551616": texts.ST_HELP,
    }
    for command, expected in commands.items():
        answer = await tg.send(HEAD, command, chat_id=STAFF_CHAT)
        _no_error(answer)
        assert answer == expected, command
    rq = await get_request(staff_app.services.db, 1)
    assert rq is not None and rq.status == "received" and not rq.extended


async def test_nul_in_a_staff_reply_is_not_stored(tg: RecordingChannel, staff_app: App, runner: object) -> None:
    await write_request(tg, CLIENT)
    card_id = tg.message_id(STAFF_CHAT, "Обращение №1")
    answer = await tg.send(STAFF, "Справка\x00 готова", chat_id=STAFF_CHAT, reply_to=card_id,
                           user_name="Мария\x00 Кадрова")
    assert answer == texts.ST_ANSWER_ACCEPTED.format(number=1, channel="Telegram")
    messages = await request_messages(staff_app.services.db, 1)
    assert messages[-1].text == "Справка готова"


async def test_staff_visit_commands_with_odd_arguments(app: App, admin_dialogue: Dialogue) -> None:
    for command in ("/visits_reopen ²", "/visits_reopen " + HUGE, "/visits_reopen -3", "/visits_reopen"):
        answer = await admin_dialogue.say(command)
        _no_error(answer)
        assert texts.VISITS_REOPEN_USAGE in answer, command
    for command in ("/visits_close personnel 31.12.9999", "/visits_close personnel 01.01.0001",
                    "/visits_close personnel ²².03", "/visits_close personnel 99.99"):
        answer = await admin_dialogue.say(command)
        _no_error(answer)
        assert texts.VISITS_CLOSE_USAGE in answer, command
    started = time.process_time()
    answer = await admin_dialogue.say("/visits_close personnel 20.03.2026-31.12.2099 10:00-12:00 отпуск")
    assert time.process_time() - started < 0.5
    assert texts.VISITS_CLOSE_TOO_LONG in answer
    for command in ("/survey 0001-01-01 9999-12-31", "/survey ²⁰²⁶-01-01 2026-03-31"):
        answer = await admin_dialogue.say(command)
        _no_error(answer)
        assert "/survey" in answer and "Файл" not in answer, command


async def test_forged_survey_invitation_token(app: App) -> None:
    for token in ("\x00", "x" * 200, "../../", "²"):
        answer = await press(app, f"a.svy.{token}")
        _no_error(answer)
        assert "Опрос анонимный" in answer or texts.SURVEY_DONE_RECENTLY.split("{")[0] in answer


@pytest.fixture
def admin_dialogue(app: App, tmp_path: object) -> Dialogue:
    """A staff admin at the console (``console:admin`` in the test settings)."""
    import io
    from pathlib import Path

    from bot.channels.console import ConsoleChannel

    log = io.StringIO()
    return Dialogue(ConsoleChannel(app, stdin=io.StringIO(), stdout=log, user_id="admin",
                                   files_dir=Path(str(tmp_path)) / "admin-files"), log)


def test_long_words_do_not_grow_the_understanding_caches() -> None:
    """The caches count entries; each entry is bounded too, so their bytes are bounded (README)."""
    import random

    from handlers.domain.loading import load_directory
    from handlers.understanding import MAX_WORD, Understanding, _lemma
    from tests.conftest import ROOT

    understanding = Understanding(load_directory(ROOT / "directory.yaml"))
    understanding.understand("как попасть в кадровый резерв")
    lemmas, fixes = _lemma.cache_info().currsize, understanding._fix.cache_info().currsize
    rng = random.Random(7)
    for _ in range(300):
        word = "".join(rng.choice("абвгдежзиклмнопрстуфхцчшщэюя") for _ in range(990))
        assert understanding.understand(f"{word} {word.upper()}").verdict == "unknown"
    assert (_lemma.cache_info().currsize, understanding._fix.cache_info().currsize) == (lemmas, fixes)
    # words of ordinary length are still understood with typos
    assert understanding.understand("атестация").verdict != "unknown"
    assert len("превысокомногорассмотрительствующий") < MAX_WORD  # the longest Russian word fits


def test_phones_in_other_digits_are_not_phones() -> None:
    from handlers.personal import normalize_phone

    assert normalize_phone("8 (911) 123-45-67") == normalize_phone("+7 911 1234567") == "+79111234567"
    for other in ("+٧٩١١١٢٣٤٥٦٧", "+７９１１１２３４５６７", "+7 ９11 123 45 67", "+7 911 123 45 6⁷"):
        assert normalize_phone(other) is None, other


async def test_nul_and_lone_surrogates_from_a_citizen_are_stored_cleanly(tg: RecordingChannel,
                                                                         staff_app: App) -> None:
    text = "Прошу выдать\x00 справку о стаже \ud800работы для оформления пенсии."
    answer = await write_request(tg, CLIENT, text)
    assert "Обращение №1 принято" in answer
    messages = await request_messages(staff_app.services.db, 1)
    assert messages[0].text == "Прошу выдать справку о стаже ?работы для оформления пенсии."
    rq = await get_request(staff_app.services.db, 1)
    assert rq is not None and rq.contact_name == "Пётр Сидоров"

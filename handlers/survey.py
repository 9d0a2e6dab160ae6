"""The satisfaction survey (survey.yaml): an intro that states anonymity, then one question per
screen — single choice, multiple choice with toggling check marks, a scale of five buttons in
one row, free text — with skipping, conditions (``show_if``), "back" and resuming.

Answers in progress live in the conversation data under ``_survey`` (kept by "menu", "cancel"
and restarts, so the client continues at the same question), and are moved into the anonymous
response table when the last question is answered. A response counts once per invitation; from
the menu without an invitation a client may answer once per ``invitations.period_days``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from handlers import texts
from handlers.domain.survey import Question, Survey
from handlers.domain.survey_report import is_answered, points_label
from handlers.engine import Context, Option, Screen, Step, step
from handlers.inputs import parse_int
from handlers.matching import normalize
from handlers.menu import menu_entry
from handlers.survey_invites import (
    answered,
    answered_recently,
    client_receipt,
    invitation_receipt,
    invitation_survey,
    local_day,
    open_invitation,
    opt_out,
)
from storage.survey import Invitation, invitation_by_token, receipt_date, save_response

DRAFT = "_survey"
BUTTON_MAX = 40  # VK cuts longer button labels; the full wording is then listed in the text
SCALE_ROW = 5  # buttons per row on a scale (VK allows five)
CHECK = "✅ "
SKIP_WORDS = ("пропустить", "пропуск", "пропустить вопрос", "дальше", "далее", "skip")
_NUMBER_LIST = re.compile(r"^[0-9]{1,3}(?:\s*(?:,|;|\s|\bи\b)\s*[0-9]{1,3})*$")  # ASCII digits only


# --------------------------------------------------------------------------- the questionnaire logic


def visible(question: Question, answers: dict[str, Any]) -> bool:
    """Whether a question is asked, given the answers so far (its ``show_if`` condition)."""
    cond = question.show_if
    if cond is None:
        return True
    value = answers.get(cond.question)
    if not is_answered(value):
        return False
    wanted = [v for v in [cond.equals, *cond.any_of] if v is not None]
    if not wanted:
        return True
    given = value if isinstance(value, list) else [value]
    return any(str(v) in wanted for v in given)


def next_question(survey: Survey, answers: dict[str, Any], after: int) -> int | None:
    """The index of the next question to ask after ``after`` (-1: the first), None at the end."""
    for i in range(after + 1, len(survey.questions)):
        if visible(survey.questions[i], answers):
            return i
    return None


def final_answers(survey: Survey, answers: dict[str, Any]) -> dict[str, Any]:
    """The answers to keep: those of questions still shown under the final answers."""
    kept: dict[str, Any] = {}
    for q in survey.questions:
        if visible(q, kept) and is_answered(answers.get(q.id)):
            kept[q.id] = answers[q.id]
    return kept


def answer_text(question: Question, value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(value)
    if question.type == "scale":
        return points_label(int(value))
    return f"«{value}»" if question.type == "text" else str(value)


def _label(text: str, limit: int = BUTTON_MAX, *, whole_words: bool = True) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    if whole_words and " " in cut:
        cut = cut[:cut.rfind(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def _labels(options: list[str], limit: int) -> list[str]:
    """Button labels of the options, cut at a word; cut anywhere if that made two of them equal."""
    labels = [_label(o, limit) for o in options]
    if len(set(labels)) < len(labels):
        labels = [_label(o, limit, whole_words=False) for o in options]
    return labels


# --------------------------------------------------------------------------- draft in the conversation


def _today(ctx: Context) -> date:
    return local_day(ctx.services, ctx.now)


def _draft(ctx: Context, survey_id: str | None = None) -> dict | None:
    """The answers in progress (of ``survey_id`` if given), unless older than an invitation lives."""
    draft = ctx.data.get(DRAFT)
    if not isinstance(draft, dict) or ctx.services.surveys.find(draft.get("sid")) is None:
        return None
    if survey_id is not None and draft.get("sid") != survey_id:
        return None
    started = date.fromisoformat(draft.get("day", "1970-01-01"))
    if _today(ctx) - started > timedelta(days=ctx.services.surveys.invitations.valid_days):
        return None
    return draft


def _new_draft(ctx: Context, survey: Survey, inv: Invitation | None) -> dict:
    draft = {"sid": survey.id, "inv": inv.token if inv else None, "src": inv.reason if inv else "menu",
             "a": {}, "sel": {}, "path": [], "at": None, "day": _today(ctx).isoformat()}
    ctx.data[DRAFT] = draft
    return draft


def _survey_of(ctx: Context, draft: dict) -> Survey:
    survey = ctx.services.surveys.find(draft["sid"])
    assert survey is not None  # checked by _draft
    return survey


# --------------------------------------------------------------------------- the intro


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the intro knows: which survey, through which invitation, and whether it is allowed."""

    survey: Survey
    inv: Invitation | None
    blocked: str | None  # why not, in the client's words
    draft: dict | None  # answers in progress


async def _entry(ctx: Context) -> _Entry:
    services, (channel, user_id) = ctx.services, ctx.event.key
    token = ctx.params.get("inv")
    inv = await invitation_by_token(services.db, token) if token else None
    if inv is not None and ((inv.channel, inv.user_id) != (channel, user_id)
                            or (inv.expires_at is not None and inv.expires_at <= ctx.now)):
        inv = None  # not his, or expired: the menu rules apply
    if inv is None:
        inv = await open_invitation(services, channel, user_id, ctx.now)
    draft = _draft(ctx)
    survey = (services.surveys.find(inv.survey_id) if inv else None) \
        or (_survey_of(ctx, draft) if draft else None) or invitation_survey(services)
    draft = _draft(ctx, survey.id)
    blocked = None
    if inv is not None:
        if await receipt_date(services.db, invitation_receipt(services, inv.token)) is not None:
            blocked = texts.SURVEY_ALREADY_ANSWERED
    else:
        day = await answered_recently(services, survey.id, channel, user_id, _today(ctx))
        if day is not None:
            again = day + timedelta(days=services.surveys.invitations.period_days)
            blocked = texts.SURVEY_DONE_RECENTLY.format(day=f"{day:%d.%m.%Y}", next_day=f"{again:%d.%m.%Y}")
    return _Entry(survey, inv, blocked, draft)


@step
class SurveyStart(Step):
    """The intro: what the survey is about, how long, and that it is anonymous."""

    name = "survey.start"

    async def screen(self, ctx: Context) -> Screen:
        e = await _entry(ctx)
        if e.blocked:
            return Screen(text=e.blocked, menu=False)
        lines = [e.survey.intro.strip(), texts.SURVEY_QUESTIONS.format(n=len(e.survey.questions)),
                 texts.SURVEY_ANONYMOUS]
        if e.draft and e.draft["path"]:
            at = _resume_at(e.survey, e.draft)
            left = sum(1 for q in e.survey.questions[at:] if visible(q, e.draft["a"]))
            lines.append(texts.SURVEY_RESUME.format(left=max(left, 1)))
            rows = [[Option("resume", texts.BTN_SURVEY_RESUME)], [Option("restart", texts.BTN_SURVEY_RESTART)]]
        else:
            rows = [[Option("begin", texts.BTN_SURVEY_BEGIN)]]
        rows.append([Option("later", texts.BTN_SURVEY_LATER)])
        if e.inv is not None:
            rows.append([Option("stop", texts.BTN_SURVEY_STOP)])
        return Screen(title=" ".join(e.survey.title.split()), text="\n\n".join(lines), rows=rows)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "later":
            ctx.home(keep_data=True)
            ctx.say(texts.SURVEY_LATER)
            return
        if option_id == "stop":
            await opt_out(ctx.services, *ctx.event.key)
            ctx.home(keep_data=True)
            ctx.say(texts.SURVEY_OPTED_OUT)
            return
        e = await _entry(ctx)
        if e.blocked:
            ctx.say(e.blocked)
            return
        draft = e.draft if option_id == "resume" and e.draft else _new_draft(ctx, e.survey, e.inv)
        if e.inv is not None:  # an invitation came after the draft was started: it is answered now
            draft["inv"], draft["src"] = e.inv.token, e.inv.reason
        at = _resume_at(e.survey, draft)
        # rebuild the way here, so that "back" walks through the questions already answered
        for i in sorted(p for p in draft["path"] if p < at):
            ctx.go(QUESTION, {"i": i})
        ctx.go(QUESTION, {"i": at})


def _resume_at(survey: Survey, draft: dict) -> int:
    """The question the client stopped at (the first one for a new draft)."""
    at = draft.get("at")
    if not isinstance(at, int) or not 0 <= at < len(survey.questions) or not visible(survey.questions[at],
                                                                                    draft["a"]):
        at = next_question(survey, draft["a"], max(draft["path"], default=-1))
    return at if at is not None else 0


# --------------------------------------------------------------------------- the questions

QUESTION = "survey.question"


def _options_for(question: Question, draft: dict, index: int) -> tuple[list[list[Option]], list[str]]:
    """Buttons of a question, and lines listing the full wording when buttons had to be shortened."""
    answer = draft["a"].get(question.id)
    rows: list[list[Option]] = []
    listing: list[str] = []
    if question.type in ("single", "multiple"):
        chosen = set(_selection(question, draft))
        if question.type == "single":
            chosen = {question.options.index(answer)} if answer in question.options else set()
        limit = BUTTON_MAX - len(CHECK)  # the same label ticked or not
        for k, (label, short) in enumerate(zip(question.options, _labels(question.options, limit), strict=True)):
            rows.append([Option(f"o{k}", (CHECK if k in chosen else "") + short, aliases=(label,))])
        if any(len(o) > limit for o in question.options):
            listing = [texts.SURVEY_OPTIONS_HEAD, *(f"{k}. {o}" for k, o in enumerate(question.options, start=1))]
        if question.type == "multiple":
            rows.append([Option("done", texts.BTN_SURVEY_DONE, aliases=("готов", "всё", "все"))])
    elif question.type == "scale":
        # in the order of survey.yaml (Appendix 1: «5 баллов» first); a typed digit is the number of
        # the button in that list, as the console shows it, so no digit aliases
        buttons = [Option(f"v{v}", points_label(v)) for v in question.scale_values()]
        rows = [buttons[i:i + SCALE_ROW] for i in range(0, len(buttons), SCALE_ROW)]
    elif is_answered(answer):
        rows.append([Option("keep", texts.BTN_SURVEY_KEEP)])
    if not question.required:
        rows.append([Option("skip", texts.BTN_SURVEY_SKIP, aliases=SKIP_WORDS)])
    return rows, listing


def _selection(question: Question, draft: dict) -> list[int]:
    """Ticked options of a multiple-choice question: the toggles, else the saved answer."""
    if question.id in draft["sel"]:
        return list(draft["sel"][question.id])
    answer = draft["a"].get(question.id) or []
    return [question.options.index(v) for v in answer if v in question.options]


def _hint(question: Question) -> str:
    if question.type == "single":
        return texts.SURVEY_HINT_SINGLE
    if question.type == "multiple":
        return texts.SURVEY_HINT_MULTIPLE
    if question.type == "scale":
        values = question.scale_values()
        how = texts.SURVEY_HINT_SCALE_NUMBERS.format(
            n=len(values), first=points_label(values[0]), last=points_label(values[-1]))
        if question.scale_min_label and question.scale_max_label:
            return texts.SURVEY_HINT_SCALE.format(low=question.scale_min, high=question.scale_max,
                                                  low_label=question.scale_min_label,
                                                  high_label=question.scale_max_label, how=how)
        return how
    return texts.SURVEY_HINT_TEXT.format(n=question.max_length) + (
        "" if question.required else " " + texts.SURVEY_HINT_OPTIONAL)


@step
class SurveyQuestion(Step):
    """One question of the survey; ``params["i"]`` is its index in survey.yaml."""

    name = QUESTION

    def _current(self, ctx: Context) -> tuple[Survey, dict, int, Question] | None:
        draft = _draft(ctx)
        i = ctx.params.get("i")
        if draft is None or not isinstance(i, int):
            return None
        survey = _survey_of(ctx, draft)
        if not 0 <= i < len(survey.questions):
            return None
        return survey, draft, i, survey.questions[i]

    async def screen(self, ctx: Context) -> Screen:
        current = self._current(ctx)
        if current is None:  # finished, expired or started elsewhere: offer the intro
            return Screen(text=texts.SURVEY_NOT_STARTED, rows=[[Option("start", texts.BTN_SURVEY_BEGIN)]])
        survey, draft, i, q = current
        draft["at"] = i  # where to resume
        rows, listing = _options_for(q, draft, i)
        lines = [" ".join(q.text.split())]
        if listing:
            lines.append("\n".join(listing))
        lines.append(_hint(q))
        answer = draft["a"].get(q.id)
        if q.type != "multiple" and is_answered(answer):
            lines.append(texts.SURVEY_CURRENT.format(answer=answer_text(q, answer)))
        elif q.id in draft.get("skipped", []):
            lines.append(texts.SURVEY_SKIPPED_NOTE)
        text_mode = "input" if q.type in ("multiple", "text") else "none"
        return Screen(title=texts.SURVEY_PROGRESS.format(n=i + 1, total=len(survey.questions)),
                      text="\n\n".join(lines), rows=rows, text_mode=text_mode,
                      max_text=q.max_length if q.type == "text" else 200)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        current = self._current(ctx)
        if current is None:
            ctx.go("survey.start")
            return
        survey, draft, i, q = current
        if option_id == "skip":
            draft["a"].pop(q.id, None)
            draft["sel"].pop(q.id, None)
            draft.setdefault("skipped", [])
            if q.id not in draft["skipped"]:
                draft["skipped"].append(q.id)
            await _advance(ctx, survey, draft, i)
        elif option_id == "keep":
            await _advance(ctx, survey, draft, i)
        elif option_id == "done":
            picked = sorted(set(_selection(q, draft)))
            if not picked and not q.required:
                await self.on_option(ctx, "skip")
                return
            if not picked:
                ctx.say(texts.SURVEY_PICK_ONE)
                return
            await _answer(ctx, survey, draft, i, [q.options[k] for k in picked])
        elif option_id.startswith("o") and q.type == "multiple":
            k = int(option_id[1:])
            picked = set(_selection(q, draft))
            picked ^= {k}  # a second press removes the tick
            draft["sel"][q.id] = sorted(picked)
        elif option_id.startswith("o"):
            await _answer(ctx, survey, draft, i, q.options[int(option_id[1:])])
        elif option_id.startswith("v"):
            await _answer(ctx, survey, draft, i, int(option_id[1:]))

    async def on_text(self, ctx: Context, text: str) -> bool:
        current = self._current(ctx)
        if current is None:
            return False
        survey, draft, i, q = current
        typed = parse_int(text, 1, 999)  # ASCII digits only: "²" passes isdigit and breaks int
        if typed is not None and _typed_nav(ctx, typed, _button_count(q, draft, i)):
            return True
        if q.type == "text":
            if normalize(text) in SKIP_WORDS:  # an optional question's button was matched before this
                ctx.say(texts.SURVEY_TEXT_REQUIRED)
                return True
            await _answer(ctx, survey, draft, i, text.strip())
            return True
        if q.type != "multiple":
            return False
        if not _NUMBER_LIST.match(text.strip()):
            ctx.say(texts.SURVEY_NOT_UNDERSTOOD_MULTIPLE)
            return True
        numbers = [int(n) for n in re.findall(r"[0-9]+", text)]
        bad = [n for n in numbers if not 1 <= n <= len(q.options)]
        if bad:
            ctx.say(texts.SURVEY_BAD_NUMBERS.format(bad=", ".join(map(str, bad)), total=len(q.options)))
            return True
        picked = sorted({n - 1 for n in numbers})
        draft["sel"][q.id] = picked
        await _answer(ctx, survey, draft, i, [q.options[k] for k in picked])
        return True


def _button_count(q: Question, draft: dict, i: int) -> int:
    rows, _ = _options_for(q, draft, i)
    return sum(len(row) for row in rows)


def _typed_nav(ctx: Context, number: int, buttons: int) -> bool:
    """The console numbers "Назад" and "Главное меню" after the ``buttons`` of the question; a
    screen that takes typed text itself (multiple choice, free text) honours those numbers here as
    the engine does elsewhere: «1» shown as «1. Назад» is never saved as an answer."""
    first_nav = buttons + 1
    navs = (["back"] if ctx.state.stack else []) + ["menu"]
    if not first_nav <= number < first_nav + len(navs):
        return False
    if navs[number - first_nav] == "back":
        ctx.back()
    else:
        ctx.home(keep_data=True)
    return True


async def _answer(ctx: Context, survey: Survey, draft: dict, i: int, value: Any) -> None:
    q = survey.questions[i]
    draft["a"][q.id] = value
    if q.id in draft.get("skipped", []):
        draft["skipped"].remove(q.id)
    await _advance(ctx, survey, draft, i)


async def _advance(ctx: Context, survey: Survey, draft: dict, i: int) -> None:
    draft["path"] = [p for p in draft["path"] if p < i] + [i]
    nxt = next_question(survey, draft["a"], i)
    if nxt is None:
        await _finish(ctx, survey, draft)
    else:
        ctx.go(QUESTION, {"i": nxt})


async def _finish(ctx: Context, survey: Survey, draft: dict) -> None:
    answers = final_answers(survey, draft["a"])
    for k, q in enumerate(survey.questions):  # survey.yaml changed meanwhile: ask what is missing
        if q.required and visible(q, answers) and q.id not in answers:
            ctx.go(QUESTION, {"i": k})
            return
    services, (channel, user_id) = ctx.services, ctx.event.key
    token = draft.get("inv")
    saved = await save_response(services.db, survey.id, answers, source=draft.get("src") or "menu",
                                on=_today(ctx),
                                once_hashes=(invitation_receipt(services, token),) if token else (),
                                client_hash=client_receipt(services, survey.id, channel, user_id))
    ctx.data.pop(DRAFT, None)
    ctx.home(keep_data=True)
    if not saved:
        ctx.say(texts.SURVEY_DUPLICATE)
        return
    await answered(services, channel, user_id)  # no invitation needed this period, and none kept
    ctx.say(f"{texts.SURVEY_END} {survey.thanks.strip()}")


menu_entry(80, "survey", texts.BTN_SURVEY, "survey.start")

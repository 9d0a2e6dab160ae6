"""Signals that a written request may be urgent (section 3 of the order): an answer given in the
longest time the law allows would lose its value for the client. The bot only flags a request as
*possibly* urgent and says why; staff confirm, and the head of the department sets a shorter
deadline.

Signals: explicit words (``срочно``, ``горит``, ``крайний срок``), a near date in the text
(``завтра``, ``до пятницы``, ``до 20 марта``, ``20.03``), a competition deadline (documents for a
competition must be in by a date), and the client's history of repeated requests on the topic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from handlers import texts
from handlers.inputs import full_year, make_date
from handlers.understanding import lemmas

NEAR_DAYS = 7  # a date this close makes a 30-day answer useless
COMPETITION_DAYS = 14  # documents for a competition are due within this horizon
REPEATED_WINDOW_DAYS = 30

# Lemmas that say "urgent" on their own.
URGENT_LEMMAS = {
    "срочно": "срочно", "срочный": "срочно", "безотлагательно": "безотлагательно",
    "безотлагательный": "безотлагательно", "немедленно": "немедленно", "незамедлительно": "незамедлительно",
    "незамедлительный": "незамедлительно", "гореть": "горит", "дедлайн": "дедлайн", "истекать": "истекает срок",
    "сгорать": "сгорает", "asap": "asap", "побыстрее": "побыстрее", "поскорее": "поскорее",
}
URGENT_PHRASES = (
    (re.compile(r"как\s+можно\s+(скорее|быстрее|раньше)"), "как можно скорее"),
    (re.compile(r"в\s+кратчайш\w*\s+срок"), "в кратчайшие сроки"),
    (re.compile(r"крайн\w*\s+срок"), "крайний срок"),
    (re.compile(r"последн\w*\s+(день|срок)"), "последний день"),
    (re.compile(r"не\s+терп\w*\s+отлагательств"), "не терпит отлагательства"),
    (re.compile(r"очень\s+быстро"), "очень быстро"),
)
# Stems of the weekday names in any case: "до пятницы", "к пятнице", "в пятницу", "до среды".
WEEKDAYS = ("понедельник", "вторник", "сред", "четверг", "пятниц", "суббот", "воскресень")
_WEEKDAY = re.compile(r"\b(?:до|к|ко|в|во|на|не позднее)\s+(?:эт\w+\s+|ближайш\w+\s+|следующ\w+\s+)?"
                      r"(понедельник\w*|вторник\w*|сред[аеуы]\b|четверг\w*|пятниц[аеуы]\b|суббот[аеуы]\b|"
                      r"воскресень[ея]\b)")
_RELATIVE = (
    (re.compile(r"\bсегодня\b|\bсегодняшн"), 0, "сегодня"),
    (re.compile(r"\bзавтра\b|\bзавтрашн"), 1, "завтра"),
    (re.compile(r"\bпослезавтра\b"), 2, "послезавтра"),
    (re.compile(r"\b(?:на\s+этой\s+неделе|до\s+конца\s+(?:этой\s+)?недели)\b"), -1, "на этой неделе"),
)
_IN_DAYS = re.compile(r"\bчерез\s+([0-9]{1,2}|один|два|две|три|четыре|пять|шесть|семь)?\s*(день|дня|дней|неделю)")
_NUMBERS = {"один": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7}
MONTHS = ("январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр", "ноябр", "декабр")
_DAY_MONTH = re.compile(r"\b([0-9]{1,2})(?:-?(?:го|е|ое))?\s+(январ|феврал|марта|апрел|мая|июн|июл|августа|сентябр|"
                        r"октябр|ноябр|декабр)\w*(?:\s+([0-9]{4}))?")
_NUMERIC = re.compile(r"\b([0-9]{1,2})\.([0-9]{2})(?:\.([0-9]{4}|[0-9]{2}))?\b")
_COMPETITION_DEADLINE = re.compile(
    r"(при[её]м\w*\s+документ\w*\s+(заканчива|законч|заверш|истека|до\b)|оконча\w*\s+при[её]м|"
    r"срок\w*\s+(подачи|при[её]ма)|подать\s+(документ\w*\s+)?до\b|успеть\s+подать|последн\w*\s+день\s+подачи)")


@dataclass(frozen=True, slots=True)
class Urgency:
    """Why a request may be urgent (Russian phrases for the staff card) and the nearest date named."""

    signals: tuple[str, ...] = ()
    near_date: date | None = None

    @property
    def possibly_urgent(self) -> bool:
        return bool(self.signals)


def _fix_year(day: int, month: int, year: str | None, today: date) -> date | None:
    if year is not None:
        return make_date(full_year(year), month, day)
    found = make_date(today.year, month, day)
    # "до 10 января" written in December means next January.
    return found if found is None or found >= today - timedelta(days=1) else make_date(today.year + 1, month, day)


def mentioned_dates(text: str, today: date) -> list[tuple[date, str]]:
    """Dates a text names, with the words that named them: relative ones (``завтра``, ``до пятницы``,
    ``через 3 дня``) and calendar ones (``20 марта``, ``20.03.2026``)."""
    low = text.lower().replace("ё", "е")
    found: list[tuple[date, str]] = []
    for pattern, days, label in _RELATIVE:
        if pattern.search(low):
            ahead = days if days >= 0 else 6 - today.weekday() if today.weekday() < 6 else 0
            found.append((today + timedelta(days=ahead), label))
    for m in _WEEKDAY.finditer(low):
        wd = next(i for i, stem in enumerate(WEEKDAYS) if m.group(1).startswith(stem))
        found.append((today + timedelta(days=(wd - today.weekday()) % 7), m.group(0)))
    for m in _IN_DAYS.finditer(low):
        n = 7 if m.group(2) == "неделю" else int(_NUMBERS.get(m.group(1) or "один", m.group(1) or 1))
        found.append((today + timedelta(days=n), m.group(0)))
    for m in _DAY_MONTH.finditer(low):
        month = next(i for i, stem in enumerate(MONTHS, start=1) if m.group(2).startswith(stem))
        day = _fix_year(int(m.group(1)), month, m.group(3), today)
        if day:
            found.append((day, m.group(0)))
    for m in _NUMERIC.finditer(low):
        day = _fix_year(int(m.group(1)), int(m.group(2)), m.group(3), today)
        if day:
            found.append((day, m.group(0)))
    return found


def detect(text: str, today: date, *, topic: str | None = None, repeated: int = 0) -> Urgency:
    """Urgency signals of a request written ``today`` (the client's local date). ``repeated`` is how
    many requests on the same topic the client made in the last ``REPEATED_WINDOW_DAYS`` days."""
    low = text.lower().replace("ё", "е")
    words = set(lemmas(low))
    signals: list[str] = []
    said = sorted({label for lm, label in URGENT_LEMMAS.items() if lm in words}
                  | {label for pattern, label in URGENT_PHRASES if pattern.search(low)})
    if said:
        signals.append(texts.URGENCY_WORDS.format(words=", ".join(f"«{w}»" for w in said)))
    upcoming = sorted((d, label) for d, label in mentioned_dates(low, today) if today <= d)
    near = [(d, label) for d, label in upcoming if d <= today + timedelta(days=NEAR_DAYS)]
    if near:
        d, label = near[0]
        signals.append(texts.URGENCY_DATE.format(what=label, date=f"{d:%d.%m.%Y}"))
    competition = topic == "competitions" or bool(words & {"конкурс", "конкурсный"})
    if competition and (_COMPETITION_DEADLINE.search(low)
                        or any(d <= today + timedelta(days=COMPETITION_DAYS) for d, _ in upcoming)):
        signals.append(texts.URGENCY_COMPETITION)
    if repeated > 0:
        signals.append(texts.URGENCY_REPEATED.format(n=repeated, days=REPEATED_WINDOW_DAYS))
    return Urgency(tuple(signals), near[0][0] if near else None)

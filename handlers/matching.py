"""Understanding typed answers to buttons: numbers, labels with typos, navigation words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Protocol, TypeVar

from rapidfuzz import fuzz

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
# ASCII digits only: "²" or "١" is no option number (see handlers.inputs).
_NUMBER = re.compile(r"^\s*(?:№|n|#)?\s*([0-9]{1,3})\s*[.)]?\s*$", re.IGNORECASE)

NAV_WORDS: dict[str, tuple[str, ...]] = {
    "start": ("/start", "start", "старт", "начать", "начало", "/начать"),
    "menu": ("/menu", "меню", "главное меню", "в меню", "в начало", "на главную", "домой", "/меню"),
    "back": ("/back", "назад", "вернуться", "обратно", "шаг назад", "/назад"),
    # not "справка": a citizen who writes it wants a certificate (the personnel topic), not this help
    "help": ("/help", "помощь", "help", "помогите", "что ты умеешь", "/помощь"),
    "cancel": ("/cancel", "отмена", "отменить", "стоп", "выход", "/отмена"),
}
GREETINGS = ("привет", "здравствуйте", "здравствуй", "добрый день", "добрый вечер", "доброе утро",
             "hello", "hi", "здрасте", "приветствую", "добрый")


def clean(text: str) -> str:
    """Drop control characters and invisible junk, keep the visible text."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in "\n\t":
            continue
        out.append(ch)
    return "".join(out).strip()


def normalize(text: str) -> str:
    """Lower case, ``ё`` -> ``е``, punctuation and extra spaces removed."""
    text = text.lower().replace("ё", "е")
    return _NON_WORD.sub(" ", text).replace("_", " ").strip()


def parse_number(text: str) -> int | None:
    m = _NUMBER.match(text)
    return int(m.group(1)) if m else None


def nav_command(text: str) -> str | None:
    raw = text.strip().lower()
    if raw.startswith("/"):
        cmd = raw.split()[0].split("@")[0]
        for name, words in NAV_WORDS.items():
            if cmd in words:
                return name
        return None
    norm = normalize(text)
    if not norm:
        return None
    for name, words in NAV_WORDS.items():
        if norm in (normalize(w) for w in words if not w.startswith("/")):
            return name
    if 5 <= len(norm) <= 14 and " " not in norm:  # one misspelt word ("назат"), never "да отменить"
        for name, words in NAV_WORDS.items():
            for w in words:
                if not w.startswith("/") and len(w) >= 5 and fuzz.ratio(norm, normalize(w)) >= 80:
                    return name
    return None


def is_greeting(text: str) -> bool:
    norm = normalize(text)
    return bool(norm) and (norm in GREETINGS or (any(norm.startswith(g + " ") for g in GREETINGS)
                           and len(norm.split()) <= 3))


class Labelled(Protocol):
    @property
    def label(self) -> str: ...

    @property
    def aliases(self) -> tuple[str, ...]: ...


T = TypeVar("T", bound=Labelled)


def match_label(text: str, options: Sequence[T], strict: bool = False) -> T | None:
    """The option whose label (or alias) the text names; tolerant to case, ``ё`` and typos.

    ``strict`` is for screens that also accept free questions: only near-exact labels count there,
    so a question is not mistaken for a button.
    """
    norm = normalize(text)
    if not norm:
        return None
    names = [(opt, normalize(name)) for opt in options for name in (opt.label, *opt.aliases)]
    exact = [opt for opt, name in names if name == norm]
    if exact:
        return exact[0]
    threshold = 92 if strict else 82
    scored = sorted(((fuzz.ratio(norm, name), i, opt) for i, (opt, name) in enumerate(names)),
                    key=lambda s: (-s[0], s[1]))
    if scored and scored[0][0] >= threshold:
        best = scored[0]
        runner_up = next((s for s in scored[1:] if s[2] is not best[2]), None)
        if runner_up is None or best[0] - runner_up[0] >= 5:
            return best[2]
    if not strict and len(norm) >= 4:
        prefixed = {id(opt): opt for opt, name in names if name.startswith(norm)}
        if len(prefixed) == 1:
            return next(iter(prefixed.values()))
    return None

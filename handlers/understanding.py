"""Free-text understanding: which topic (and which clarifying answer) a question is about.

Words are reduced to lemmas with pymorphy3 (``аттестации`` -> ``аттестация``), unknown words are
matched to the vocabulary with rapidfuzz (``атестация`` -> ``аттестация``), and every keyword
phrase of directory.yaml whose lemmas all occur in the question adds its length to the score of
its topic, clarifying node, out-of-scope item or question about the line itself (address, hours,
booking ...). Longer phrases therefore outweigh single words: ``пенсия за выслугу лет`` (ours)
beats ``пенсия`` (not ours), ``когда вы работаете`` (hours) beats ``когда`` (of an attestation).
Only words the dictionary does not know are corrected: ``прошу`` is a word, not a typo of ``посетить``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pymorphy3
from rapidfuzz import fuzz, process

from handlers.domain.directory import Directory, Node, Topic

_WORD = re.compile(r"[а-яёa-z0-9]+(?:-[а-яёa-z0-9]+)?", re.IGNORECASE)
STOP = frozenset(
    "и в во на по о об от до для с со к ко у за из а но или как что чтобы где ли же бы не ни "
    "я мне меня мой моя мои мы нас наш вы вас ваш он она они его её их это этот эта тот та то "
    "быть есть был была хотеть мочь можно нужно надо подсказать скажите подскажите пожалуйста "
    "здравствуйте добрый день какой который весь свой такой так уже ещё еще очень".split()
)


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


# The caches below are bounded in bytes by bounding both the number of entries and the size of one:
# only words of at most MAX_WORD letters are looked up and remembered (the longest Russian words
# have about 35; a longer string is in no dictionary and resembles no keyword), so the worst case is
# about 50,000 x 0.4 KB + 20,000 x 0.5 KB = 30 MB, whatever people send. Counting entries alone,
# 50,000 distinct 990-letter words grew the process by about 210 MB.
MAX_WORD = 40


def lemma(word: str) -> str:
    word = word.lower().replace("ё", "е")
    if word.isdigit() or not 2 <= len(word) <= MAX_WORD:
        return word
    return _lemma(word)


@lru_cache(maxsize=50_000)
def _lemma(word: str) -> str:
    return _morph().parse(word)[0].normal_form.replace("ё", "е")


def lemmas(text: str) -> list[str]:
    return [lemma(w) for w in _WORD.findall(text)]


@dataclass(frozen=True, slots=True)
class Phrase:
    lemmas: frozenset[str]
    weight: float


def _phrases(keywords: list[str]) -> list[Phrase]:
    out = []
    for kw in keywords:
        ls = frozenset(lm for lm in lemmas(kw) if lm not in STOP)
        if ls:
            out.append(Phrase(ls, float(len(ls))))
    return out


@dataclass(frozen=True, slots=True)
class Guess:
    kind: Literal["topic", "outside", "service"]
    id: str
    node: str | None
    score: float


@dataclass(frozen=True, slots=True)
class Understood:
    """``confident`` — one clear answer; ``unsure`` — offer ``guesses``; ``outside`` — not ours;
    ``service`` — a question about the line itself (the first guess; topic guesses may follow)."""

    verdict: Literal["confident", "unsure", "outside", "service", "unknown"]
    guesses: tuple[Guess, ...] = ()


class Understanding:
    def __init__(self, directory: Directory) -> None:
        self.directory = directory
        self._topics: dict[str, list[Phrase]] = {}
        self._nodes: dict[str, list[tuple[Node, list[Phrase]]]] = {}
        self._outside: dict[str, list[Phrase]] = {}
        self._service: dict[str, list[Phrase]] = {q.id: _phrases(q.keywords) for q in directory.service_questions}
        self._needs: dict[str, list[Phrase]] = {n.id: _phrases(n.keywords) for n in directory.needs}
        vocab: set[str] = set()
        for t in directory.topics:
            self._topics[t.id] = _phrases(t.keywords)
            self._nodes[t.id] = [(n, _phrases(n.keywords)) for n in t.root.walk() if n.keywords]
        for o in directory.out_of_scope:
            self._outside[o.id] = _phrases(o.keywords)
        for groups in (self._topics.values(), self._outside.values(), self._needs.values(), self._service.values()):
            for phrases in groups:
                for p in phrases:
                    vocab.update(p.lemmas)
        for nodes in self._nodes.values():
            for _, phrases in nodes:
                for p in phrases:
                    vocab.update(p.lemmas)
        self._vocab = sorted(w for w in vocab if len(w) >= 4)
        self._vocab_set = frozenset(vocab)

    # ------------------------------------------------------------------ words
    def words(self, text: str) -> frozenset[str]:
        """Lemmas of the text, with misspelt words replaced by the vocabulary word they resemble."""
        out = set()
        for raw in _WORD.findall(text.lower()):
            lm = lemma(raw)
            if lm in STOP:
                continue
            out.add(lm)
            if lm not in self._vocab_set and 4 <= len(lm) <= MAX_WORD and not _morph().word_is_known(raw):
                fixed = self._fix(raw.replace("ё", "е"), lm)
                if fixed:
                    out.add(fixed)
        return frozenset(out)

    @lru_cache(maxsize=20_000)  # noqa: B019  (one Understanding per process)
    def _fix(self, raw: str, lm: str) -> str | None:
        cutoff = 80 if len(lm) >= 6 else 86
        best = None
        for candidate in {raw, lm}:
            hit = process.extractOne(candidate, self._vocab, scorer=fuzz.ratio, score_cutoff=cutoff)
            if hit and (best is None or hit[1] > best[1]):
                best = hit
        return best[0] if best else None

    @staticmethod
    def _score(words: frozenset[str], phrases: list[Phrase]) -> float:
        return sum(p.weight for p in phrases if p.lemmas <= words)

    # ------------------------------------------------------------------ topics
    def understand(self, text: str, *, service: bool = True) -> Understood:
        """What a question is about. A question about the line itself (``service``) wins only over
        weaker topic and out-of-scope matches: «когда аттестация» is a topic, «когда вы работаете»
        is the hours. ``service=False`` looks for topics and out-of-scope subjects only."""
        words = self.words(text)
        if not words:
            return Understood("unknown")
        topic_scores = sorted(((self._score(words, ph), tid) for tid, ph in self._topics.items()),
                              reverse=True)
        node_scores = {tid: self._best_node(tid, words) for tid in self._topics}
        # A clarifying answer's own keywords also count for its topic.
        scored = sorted(((s + node_scores[tid][1] * 0.5, tid) for s, tid in topic_scores), reverse=True)
        outside = max(((self._score(words, ph), oid) for oid, ph in self._outside.items()), default=(0.0, ""))
        best_score, _best_id = scored[0]
        guesses = tuple(Guess("topic", tid, node_scores[tid][0], s) for s, tid in scored
                        if s > 0 and s >= best_score * 0.6)[:3]
        if service:
            asked = max(((self._score(words, ph), sid) for sid, ph in self._service.items()), default=(0.0, ""))
            if asked[0] > 0 and asked[0] > best_score and asked[0] > outside[0]:
                return Understood("service", (Guess("service", asked[1], None, asked[0]), *guesses))
        if outside[0] > 0 and outside[0] >= best_score:
            return Understood("outside", (Guess("outside", outside[1], None, outside[0]),))
        if best_score <= 0:
            return Understood("unknown")
        if len(guesses) == 1 or guesses[0].score >= guesses[1].score * 1.5:
            return Understood("confident", guesses[:1])
        return Understood("unsure", guesses)

    def request_topic(self, text: str) -> str | None:
        """The topic a written request is about, if clear enough: words such as «записаться» or
        «прошу позвонить» say how, not what about, so questions about the line do not count."""
        understood = self.understand(text, service=False)
        if understood.verdict in ("confident", "unsure") and understood.guesses[0].kind == "topic":
            return understood.guesses[0].id
        return None

    def _best_node(self, topic_id: str, words: frozenset[str]) -> tuple[str | None, float]:
        best: tuple[str | None, float] = (None, 0.0)
        for node, phrases in self._nodes[topic_id]:
            score = self._score(words, phrases)
            if score > best[1] or (score == best[1] and score > 0 and node.children == [] and best[0] is None):
                best = (node.id, score)
        return best

    # ------------------------------------------------------------------ needs
    def need(self, text: str, topic: Topic | None = None) -> str | None:
        """The typical need (``info``, ``documents`` ...) a written request most likely expresses."""
        words = self.words(text)
        allowed = set(topic.needs) if topic and topic.needs else set(self._needs)
        scores = sorted(((self._score(words, ph), nid) for nid, ph in self._needs.items() if nid in allowed),
                        reverse=True)
        if scores and scores[0][0] > 0:
            return scores[0][1]
        return "info" if "info" in allowed else None

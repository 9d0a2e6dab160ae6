"""Free-text questions as citizens really write them: inflections, typos, colloquial phrasing."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.domain.loading import load_directory
from handlers.understanding import Understanding

ROOT = Path(__file__).resolve().parent.parent

# (question, expected topic id or "outside:<id>")
QUESTIONS: list[tuple[str, str]] = [
    ("как попасть в кадровый резерв?", "competitions"),
    ("Как попасть в кадравый резерв", "competitions"),
    ("хочу устроиться на госслужбу, какие есть вакансии", "competitions"),
    ("где посмотреть объявления о конкурсе на замещение вакантной должности", "competitions"),
    ("какие документы нужны для участия в конкурсе", "competitions"),
    ("я прошла конкурс? когда будут результаты", "competitions"),
    ("меня включили в резерв, что дальше", "competitions"),
    ("конкурсная комиссия когда собеседование", "competitions"),
    ("Когда аттестация", "attestation"),
    ("когда у меня атестация", "attestation"),
    ("как подготовиться к аттестации гражданского служащего", "attestation"),
    ("не согласен с результатом аттестации", "attestation"),
    ("квалификационный экзамен на классный чин", "attestation"),
    ("отзыв руководителя для аттестационной комиссии", "attestation"),
    ("как считается стаж государственной службы", "civil_service"),
    ("надбавка за выслугу лет госслужащему", "civil_service"),
    ("можно ли госслужащему подрабатывать, иная оплачиваемая работа", "civil_service"),
    ("вопрос по муниципальной службе в поселении", "civil_service"),
    ("как оформить пенсию за выслугу лет гражданскому служащему", "civil_service"),
    ("конфликт интересов что делать", "civil_service"),
    ("сведения о доходах когда подавать декларацию", "civil_service"),
    ("хочу пройти повышение квалификации", "training"),
    ("курсы профессиональной переподготовки для служащих", "training"),
    ("не выдали удостоверение о повышении квалификации", "training"),
    ("семинары и стажировки для госслужащих", "training"),
    ("обучение сотрудников план на следующий год", "training"),
    ("нужна справка с места работы", "personnel"),
    ("как получить копию трудовой книжки", "personnel"),
    ("хочу уволиться по собственному", "personnel"),
    ("перенос отпуска как оформить", "personnel"),
    ("больничный куда сдавать", "personnel"),
    ("наградной лист на папу", "awards"),
    ("как представить коллегу к государственной награде", "awards"),
    ("медаль ордена за заслуги перед отечеством документы", "awards"),
    ("почетная грамота губернатора ленинградской области", "awards"),
    ("благодарность президента как оформить", "awards"),
    ("когда вручат награду по указу", "awards"),
    ("наградной лист как заполнить характеристику", "awards"),
    ("мне не начисляют пенсию по возрасту", "outside:pension"),
    ("протекает крыша в доме, управляющая компания не реагирует", "outside:housing"),
    ("как получить налоговый вычет", "outside:taxes"),
    ("хочу написать обращение губернатору", "outside:governor"),
    ("не платят зарплату на заводе", "outside:labour"),
    ("как получить звание ветеран труда", "outside:veteran"),
    ("повестка из военкомата", "outside:military"),
    ("встать на учёт в центр занятости, пособие по безработице", "outside:jobs"),
]


@pytest.fixture(scope="module")
def understanding() -> Understanding:
    return Understanding(load_directory(ROOT / "directory.yaml"))


def _answer(understanding: Understanding, question: str) -> str:
    result = understanding.understand(question)
    if result.verdict == "outside":
        return f"outside:{result.guesses[0].id}"
    if result.verdict in ("confident", "unsure"):
        return result.guesses[0].id
    return "unknown"


def test_table_has_enough_realistic_questions() -> None:
    assert len(QUESTIONS) >= 40
    assert sum(1 for _, want in QUESTIONS if want.startswith("outside:")) >= 5


def test_accuracy_on_real_questions(understanding: Understanding) -> None:
    misses = []
    for question, want in QUESTIONS:
        got = _answer(understanding, question)
        if got != want:
            misses.append(f"{question!r}: ожидалось {want}, получено {got}")
    accuracy = 1 - len(misses) / len(QUESTIONS)
    print(f"\nТочность распознавания тем: {accuracy:.1%} ({len(QUESTIONS) - len(misses)}/{len(QUESTIONS)})")
    for miss in misses:
        print("  промах:", miss)
    assert accuracy >= 0.9, "\n".join(misses)


@pytest.mark.parametrize("question, node", [
    ("как попасть в кадровый резерв?", "reserve"),
    ("Когда аттестация", "when"),
    ("наградной лист на папу", "papers"),
    ("нужна справка с места работы", "certificates"),
])
def test_clarifying_answer_is_found_too(understanding: Understanding, question: str, node: str) -> None:
    result = understanding.understand(question)
    assert result.verdict == "confident"
    assert result.guesses[0].node == node


@pytest.mark.parametrize("noise", ["", "   ", "ываыва", "🙂🙂🙂", "12345", "\x00\x01\x02", "а" * 10_000])
def test_noise_is_not_understood(understanding: Understanding, noise: str) -> None:
    assert understanding.understand(noise).verdict == "unknown"


def test_ambiguous_question_offers_several_topics(understanding: Understanding) -> None:
    result = understanding.understand("конкурс и аттестация")
    assert result.verdict == "unsure"
    assert {g.id for g in result.guesses} >= {"competitions", "attestation"}

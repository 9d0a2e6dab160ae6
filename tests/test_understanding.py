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


# Written for issue 19 (no dead ends) before the keywords of the new subjects were tuned: other
# bodies' subjects, questions about the line itself, and three former misroutes («загранпаспорт» went
# to awards, «когда вы работаете» to attestation, «справка» opened the help, «Прошу» meant a visit).
NO_DEAD_ENDS: list[tuple[str, str]] = [
    ("поменять паспорт в 45 лет куда идти", "outside:passport"),
    ("хочу оформить загранпаспорт", "outside:passport"),
    ("как прописаться в квартире", "outside:passport"),
    ("украли телефон, куда писать заявление", "outside:police"),
    ("мошенники звонят от имени банка", "outside:police"),
    ("как оплатить штраф гибдд", "outside:traffic"),
    ("где поменять водительские права", "outside:traffic"),
    ("куда обращаться по пенсии", "outside:pension"),
    ("когда придёт единое пособие на ребёнка", "outside:pension"),
    ("как получить налоговый вычет за лечение", "outside:taxes"),
    ("в подъезде не убирают, управляющая компания бездействует", "outside:housing"),
    ("очередь в детский сад", "outside:education"),
    ("как записать ребёнка в первый класс", "outside:education"),
    ("как записаться к врачу в поликлинику", "outside:health"),
    ("не могу войти на госуслуги", "outside:mfc"),
    ("где ближайший мфц", "outside:mfc"),
    ("судебные приставы арестовали карту", "outside:courts"),
    ("встать на воинский учёт", "outside:military"),
    ("какой у вас адрес", "service:address"),
    ("как до вас доехать на метро", "service:address"),
    ("когда вы работаете", "service:hours"),
    ("вы сегодня открыты?", "service:hours"),
    ("как записаться на личный приём", "service:booking"),
    ("дайте адрес электронной почты отдела кадров", "service:email"),
    ("можно поговорить с живым человеком", "service:operator"),
    ("соедините с оператором", "service:operator"),
    ("есть ли у вас пандус для коляски", "service:accessibility"),
    ("спасибо большое", "service:thanks"),
    ("справка", "personnel"),
    ("Прошу выдать справку о стаже", "personnel"),
]


@pytest.fixture(scope="module")
def understanding() -> Understanding:
    return Understanding(load_directory(ROOT / "directory.yaml"))


def _answer(understanding: Understanding, question: str) -> str:
    result = understanding.understand(question)
    if result.verdict in ("outside", "service"):
        return f"{result.verdict}:{result.guesses[0].id}"
    if result.verdict in ("confident", "unsure"):
        return result.guesses[0].id
    return "unknown"


def test_table_has_enough_realistic_questions() -> None:
    assert len(QUESTIONS) >= 40
    assert sum(1 for _, want in QUESTIONS if want.startswith("outside:")) >= 5


def _accuracy(understanding: Understanding, table: list[tuple[str, str]], title: str) -> tuple[float, list[str]]:
    misses = []
    for question, want in table:
        got = _answer(understanding, question)
        if got != want:
            misses.append(f"{question!r}: ожидалось {want}, получено {got}")
    accuracy = 1 - len(misses) / len(table)
    print(f"\n{title}: {accuracy:.1%} ({len(table) - len(misses)}/{len(table)})")
    for miss in misses:
        print("  промах:", miss)
    return accuracy, misses


def test_accuracy_on_real_questions(understanding: Understanding) -> None:
    accuracy, misses = _accuracy(understanding, QUESTIONS, "Точность распознавания тем")
    assert accuracy >= 0.9, "\n".join(misses)


def test_accuracy_without_dead_ends(understanding: Understanding) -> None:
    assert len(NO_DEAD_ENDS) == 30
    accuracy, misses = _accuracy(understanding, NO_DEAD_ENDS, "Точность: не наши вопросы и вопросы о линии")
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

"""What people do with the bot, step by step, through the real flows: each function walks one
person through one conversation by pressing the buttons the bot actually sent (or typing), and
raises ``ScenarioError`` if it does not end where it should (a result card, a stored survey, a
booking)."""

from __future__ import annotations

import random
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bench.common import ScenarioError
from handlers import texts
from handlers.domain.directory import Directory

if TYPE_CHECKING:  # a Telegram person (bench.people) or a MAX one (bench.max_load): the same verbs
    from bench.people import Person

NAV = {texts.BTN_BACK, texts.BTN_MENU}

# Free-text questions as people type them (typos, colloquial forms, a few outside the department's scope).
QUESTIONS = (
    "как попасть в кадровый резерв?",
    "Как попасть в кадравый резерв",
    "хочу устроиться на госслужбу, какие есть вакансии",
    "какие документы нужны для участия в конкурсе",
    "я прошла конкурс? когда будут результаты",
    "когда у меня атестация",
    "как подготовиться к аттестации гражданского служащего",
    "не согласен с результатом аттестации",
    "квалификационный экзамен на классный чин",
    "как считается стаж государственной службы",
    "надбавка за выслугу лет госслужащему",
    "можно ли госслужащему подрабатывать",
    "конфликт интересов что делать",
    "сведения о доходах когда подавать декларацию",
    "хочу пройти повышение квалификации",
    "курсы профессиональной переподготовки для служащих",
    "нужна справка с места работы",
    "как получить копию трудовой книжки",
    "перенос отпуска как оформить",
    "наградной лист на папу",
    "как представить коллегу к государственной награде",
    "почетная грамота губернатора ленинградской области",
    "когда вручат награду по указу",
    "как получить налоговый вычет",
    "не платят зарплату на заводе",
    "Здравствуйте! Подскажите, пожалуйста, куда обращаться по поводу аттестации?",
)
SURVEY_TEXTS = ("Сроки конкурсов", "Вакансии и документы", "Всё понятно, спасибо", "Санкт-Петербург",
                "Ленинградская область", "Сделать поиск удобнее")
NAMES = ("Иванов Иван Иванович", "Петрова Анна", "Сидоров Пётр Алексеевич", "Смирнова Ольга Викторовна")
_DAY = re.compile(r"^(Пн|Вт|Ср|Чт|Пт|Сб|Вс), \d")
_TIME = re.compile(r"^\d{1,2}:\d\d$")

Scenario = Callable[["Person", random.Random, Directory], Awaitable[None]]


def _options(p: Person, *, skip: set[str] | None = None) -> list[str]:
    """Buttons of the last message that are answers, not navigation."""
    skip = NAV | (skip or set())
    return [label for label in p.labels() if label not in skip]


def _stuck(p: Person, what: str) -> ScenarioError:
    return ScenarioError(f"{what} (user {p.user_id}); last text: {p.view.last_text[:150]!r}; buttons: {p.labels()}")


async def need_by_buttons(p: Person, rng: random.Random, directory: Directory) -> None:
    """/start, a topic of the menu, clarifying questions down to a result card, back to the menu."""
    await p.say("/start")
    topic = rng.choice(directory.topics)
    await p.press(topic.short)
    node = topic.root
    while node.children:
        node = rng.choice(node.children)
        await p.press(node.label)
    if not p.saw(directory.department(topic.department).name):
        raise _stuck(p, f"no result card for {topic.id}/{node.id}")
    await p.press(texts.BTN_MENU)


async def free_text(p: Person, rng: random.Random, directory: Directory) -> None:
    """Two typed questions, each confirmed ("did I understand you right?") or chosen from the guesses."""
    for question in rng.sample(QUESTIONS, 2):
        await p.say(question)
        labels = p.labels()
        if texts.BTN_CONFIRM_YES in labels:
            await p.press(texts.BTN_CONFIRM_YES)
        elif texts.BTN_NONE_OF_THESE in labels:  # unsure: a few guesses
            await p.press(_options(p, skip={texts.BTN_NONE_OF_THESE})[0])
        elif texts.BTN_ASK_OTHER not in labels and texts.BTN_OTHER_QUESTION not in labels:
            # neither understood (a check, the guesses or at once the card) nor outside the scope
            raise _stuck(p, f"question not understood: {question!r}")


async def survey(p: Person, rng: random.Random, directory: Directory) -> None:
    """The satisfaction survey from the menu: the 9 questions of survey.yaml by buttons and text."""
    await p.say("/start")
    await p.press(texts.BTN_SURVEY)
    await p.press(texts.BTN_SURVEY_BEGIN)
    for _ in range(30):
        if p.saw(texts.SURVEY_END):
            return
        options = _options(p, skip={texts.BTN_SURVEY_SKIP, texts.BTN_SURVEY_KEEP})
        if texts.BTN_SURVEY_DONE in options:  # several answers: tick one, then "Готово"
            await p.press(rng.choice([o for o in options if o != texts.BTN_SURVEY_DONE and not o.startswith("✅")]))
            await p.press(texts.BTN_SURVEY_DONE)
        elif options and "Вопрос" in p.view.last_text:
            await p.press(rng.choice(options))
        else:
            await p.say(rng.choice(SURVEY_TEXTS))
    raise _stuck(p, "the survey did not end")


async def booking(p: Person, rng: random.Random, directory: Directory) -> None:
    """A personal visit: department, day, morning or afternoon, time, consent, name, phone, confirm."""
    await p.say("/start")
    await p.press(texts.BTN_VISITS)
    await p.press(rng.choice([t.short for t in directory.topics if t.short in p.labels()]))
    for _ in range(25):
        labels = p.labels()
        if p.saw("Вы записаны на личный приём"):
            return
        if texts.BTN_VISITS_BOOK in labels:
            await p.press(texts.BTN_VISITS_BOOK)
        elif texts.BTN_CONSENT_YES in labels:
            await p.press(texts.BTN_CONSENT_YES)
        elif p.saw(texts.ASK_NAME):
            await p.say(rng.choice(NAMES))
        elif p.saw(texts.ASK_PHONE):
            await p.share_contact(f"+7911{rng.randrange(10**7):07d}")
        elif times := [x for x in labels if _TIME.match(x)]:
            await p.press(rng.choice(times))
        elif halves := [x for x in labels if x.startswith(("Утро", "День"))]:
            await p.press(rng.choice(halves))
        elif days := [x for x in labels if _DAY.match(x)]:
            await p.press(rng.choice(days))
        elif texts.BTN_VISITS_OTHER_TIME in labels:  # the time was taken meanwhile
            await p.press(texts.BTN_VISITS_OTHER_TIME)
        else:
            raise _stuck(p, "booking stuck")
    raise _stuck(p, "no booking after 25 actions")


SCENARIOS: dict[str, Scenario] = {
    "need by buttons": need_by_buttons,
    "free-text questions": free_text,
    "survey (9 questions)": survey,
    "booking": booking,
}

"""The first thing a newcomer does: says hello and gets the menu; finds the right phones."""

from tests.conftest import Dialogue


async def test_hello_shows_menu_with_six_topics(console: Dialogue) -> None:
    answer = await console.say("привет")
    assert "Здравствуйте" in answer
    for n, label in enumerate(["Конкурсы и кадровый резерв", "Аттестация", "Государственная и муниципальная служба",
                               "Профессиональное развитие", "Иные кадровые вопросы", "Государственные награды"],
                              start=1):
        assert f"{n}. {label}" in answer


async def test_reserve_question_leads_to_phones(console: Dialogue) -> None:
    await console.say("привет")
    answer = await console.say("как попасть в кадровый резерв?")
    assert "Кадровый резерв" in answer and "Правильно ли я понял" in answer
    answer = await console.say("да")
    answer = await console.say("1")
    assert "+7 (812) 539-46-66" in answer
    assert "svv_skvortsova@lenreg.ru" in answer

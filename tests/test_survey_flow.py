"""The satisfaction survey as a citizen goes through it at the console: every question type,
toggling check marks, typed answers, skipping, conditions, back, resume after a restart, the end
message, and no second response."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from sqlalchemy import select

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.settings import Settings
from storage.survey import SurveyReceiptRow, SurveyResponseRow, responses_between
from tests.conftest import Dialogue, FakeClock
from tests.survey_helpers import BOTH_SOURCES, Q1_START, appendix1_options, custom_survey_file, handle, order_file

SITE, VK = BOTH_SOURCES
DAY = date(2026, 3, 17)


async def _to_question_2(console: Dialogue) -> str:
    answer = await console.say("Оценить качество")
    assert "Опрос анонимный" in answer and "Вопросов: 9." in answer
    assert "1. Начать опрос" in answer and "2. Не сейчас" in answer
    answer = await console.say("Начать опрос")
    assert "【Вопрос 1 из 9】" in answer and Q1_START in answer
    return await console.say("1")


async def test_whole_appendix1_survey_with_toggles_typed_answers_and_back(app: App, console: Dialogue) -> None:
    answer = await _to_question_2(console)
    assert "【Вопрос 2 из 9】" in answer
    # the full wording of long options is in the text; buttons are shortened for VK
    assert f"1. {SITE}" in answer and f"2. {VK}" in answer
    assert "  3. Готово" in answer and "✅" not in answer

    answer = await console.say("1")
    assert "  1. ✅ Официальный сайт" in answer and "  2. Официальная страница" in answer
    answer = await console.say("2")
    assert "  1. ✅ Официальный сайт" in answer and "  2. ✅ Официальная страница" in answer
    answer = await console.say("1")  # a second press removes the tick
    assert "  1. Официальный сайт" in answer and "  2. ✅ Официальная страница" in answer
    answer = await console.say("Готово")
    assert "【Вопрос 3 из 9】" in answer

    answer = await console.say("назад")
    assert "【Вопрос 2 из 9】" in answer and "  2. ✅ Официальная страница" in answer
    assert "  1. Официальный сайт" in answer
    answer = await console.say("назад")
    assert "【Вопрос 1 из 9】" in answer and "Ваш ответ сейчас: Скорее удовлетворен" in answer
    assert "  1. ✅ Скорее удовлетворен" in answer
    answer = await console.say("Скорее не удовлетворен")
    assert "【Вопрос 2 из 9】" in answer
    answer = await console.say("1, 2")  # typed numbers: the whole answer at once
    assert "【Вопрос 3 из 9】" in answer

    answer = await console.say("Пользуюсь постоянно")
    assert "【Вопрос 4 из 9】" in answer
    answer = await console.say("да")
    assert "【Вопрос 5 из 9】" in answer
    assert "Оценка 1 — найти информацию было очень тяжело; 5 — найти необходимую информацию было очень легко" \
        in answer
    # as Appendix 1 prints it: «1. 5 баллов … 5. 1 балл»; a typed digit is the number of the line
    assert "  1. 5 баллов\n  2. 4 балла\n  3. 3 балла\n  4. 2 балла\n  5. 1 балл\n  6. Назад" in answer
    assert "напишите номер варианта: 1 — 5 баллов, …, 5 — 1 балл" in answer
    if (order := order_file()) is not None:  # the lines of the console are the lines of Appendix 1
        printed = appendix1_options(order.read_text(encoding="utf-8"))[5]
        assert "\n".join(f"  {k}. {label}" for k, label in enumerate(printed, start=1)) in answer
    answer = await console.say("2")
    assert "【Вопрос 6 из 9】" in answer and "до 1000 символов" in answer
    assert "  1. Пропустить\n  2. Назад" in answer  # an optional text question
    answer = await console.say("Сроки конкурсов на замещение должностей")
    assert "【Вопрос 7 из 9】" in answer
    answer = await console.say("Добавить поиск по документам")
    assert "【Вопрос 8 из 9】" in answer
    answer = await console.say("5 баллов")
    assert "【Вопрос 9 из 9】" in answer
    answer = await console.say("Ленинградская область")
    assert answer.startswith("Опрос завершён. Спасибо! Ваши ответы сохранены.")
    assert "1. Конкурсы и кадровый резерв" in answer  # the main menu after the end

    stored = await responses_between(app.services.db, "appendix1", DAY, DAY)
    assert len(stored) == 1
    assert stored[0].source == "menu"
    assert stored[0].answers == {
        "q1": "Скорее не удовлетворен", "q2": [SITE, VK], "q3": "Пользуюсь постоянно", "q4": "Да", "q5": 4,
        "q6": "Сроки конкурсов на замещение должностей", "q7": "Добавить поиск по документам", "q8": 5,
        "q9": "Ленинградская область"}

    # no second response from the same client within the period
    answer = await console.say("Оценить качество")
    assert "Вы уже проходили этот опрос 17.03.2026" in answer and "с 16.04.2026" in answer
    assert "Начать опрос" not in answer
    assert len(await responses_between(app.services.db, "appendix1", DAY, DAY)) == 1


async def test_answers_are_stored_without_identity(app: App, console: Dialogue) -> None:
    await _to_question_2(console)
    for text in ("1 2", "1", "1", "3", "текст", "текст", "2", "Москва"):
        await console.say(text)
    assert (await responses_between(app.services.db, "appendix1", DAY, DAY))[0].answers["q8"] == 4  # «2. 4 балла»
    responses = await app.services.db.rows(select(*SurveyResponseRow.__table__.c))
    receipts = await app.services.db.rows(select(*SurveyReceiptRow.__table__.c))
    assert len(responses) == 1 and len(receipts) == 1
    stored = repr([(r.id, r.survey_id, r.submitted_on, r.source, r.answers) for r in responses])
    assert "console" not in stored and "Гость" not in stored
    assert {c.name for c in SurveyResponseRow.__table__.columns} == {"id", "survey_id", "submitted_on", "source",
                                                                    "answers"}
    assert len(receipts[0].hash) == 64 and "console" not in receipts[0].hash
    # nothing of the answers stays in the conversation either
    from storage.conversations import load_state

    state = await load_state(app.services.db, "console", "console")
    assert state is not None and "_survey" not in state.data


async def test_scale_is_five_buttons_in_one_row(app: App, console: Dialogue) -> None:
    await _to_question_2(console)
    for text in ("1", "Готово", "1", "1"):
        await console.say(text)
    outs = await handle(app, "повтори")  # not an answer: the question is shown again
    question = outs[-1].reply
    assert question.title == "Вопрос 5 из 9"
    assert [b.label for b in question.buttons[0]] == ["5 баллов", "4 балла", "3 балла", "2 балла", "1 балл"]
    assert [b.label for b in question.buttons[1]] == ["Назад", "Главное меню"]


async def test_multiple_choice_refuses_empty_and_wrong_numbers(console: Dialogue) -> None:
    await _to_question_2(console)
    answer = await console.say("Готово")
    assert "Отметьте хотя бы один вариант" in answer and "【Вопрос 2 из 9】" in answer
    answer = await console.say("1, 7")
    assert "Вариантов с номерами 7 нет" in answer and "【Вопрос 2 из 9】" in answer
    answer = await console.say("сайт и вк")
    assert "напишите номера, например: 1, 2" in answer
    answer = await console.say("5")  # the console number of "Главное меню" still works here
    assert "1. Конкурсы и кадровый резерв" in answer


async def test_resume_at_the_same_question_after_a_restart(app: App, console: Dialogue, settings: Settings,
                                                           clock: FakeClock, tmp_path: Path) -> None:
    await _to_question_2(console)
    await console.say("1 2")
    answer = await console.say("Пользуюсь время от времени")
    assert "【Вопрос 4 из 9】" in answer
    await app.close()

    # the process restarts: a new application on the same database
    again = await App.create(settings, clock=clock, migrate=False)
    try:
        channel = ConsoleChannel(again, stdin=io.StringIO(), stdout=io.StringIO(), files_dir=tmp_path / "f2")
        again.add_channel(channel)
        answer = await channel.send_line("Нет")
        assert "【Вопрос 5 из 9】" in answer

        # an interruption: the client goes to the menu, asks something, then comes back
        await channel.send_line("меню")
        await channel.send_line("Контакты и часы работы")
        await channel.send_line("меню")
        answer = await channel.send_line("Оценить качество")
        assert "Вы уже начали отвечать: осталось вопросов — 5" in answer
        assert "1. Продолжить" in answer and "2. Начать заново" in answer
        answer = await channel.send_line("Продолжить")
        assert "【Вопрос 5 из 9】" in answer
        # "back" walks through the answers given before the interruption
        answer = await channel.send_line("назад")
        assert "【Вопрос 4 из 9】" in answer and "Ваш ответ сейчас: Нет" in answer
        answer = await channel.send_line("назад")
        assert "【Вопрос 3 из 9】" in answer and "Ваш ответ сейчас: Пользуюсь время от времени" in answer
        answer = await channel.send_line("назад")
        assert "  1. ✅ Официальный сайт" in answer and "  2. ✅ Официальная страница" in answer

        # starting over forgets the draft
        await channel.send_line("меню")
        await channel.send_line("Оценить качество")
        answer = await channel.send_line("Начать заново")
        assert "【Вопрос 1 из 9】" in answer and "Ваш ответ сейчас" not in answer
    finally:
        await again.close()


async def test_not_now_keeps_nothing_and_explains(console: Dialogue) -> None:
    await console.say("Оценить качество")
    answer = await console.say("Не сейчас")
    assert "кнопка «Оценить качество» в главном меню" in answer
    answer = await console.say("Оценить качество")
    assert "1. Начать опрос" in answer and "Продолжить" not in answer


async def test_skipping_conditions_and_text_limits(settings: Settings, clock: FakeClock, tmp_path: Path) -> None:
    custom = settings.model_copy(update={"survey_file": custom_survey_file(tmp_path)})
    app = await App.create(custom, clock=clock, migrate=False)
    try:
        channel = ConsoleChannel(app, stdin=io.StringIO(), stdout=io.StringIO(), files_dir=tmp_path / "f")
        app.add_channel(channel)
        answer = await channel.send_line("Оценить качество")
        assert "Три вопроса о приёме." in answer and "Опрос анонимный" in answer
        answer = await channel.send_line("Начать опрос")
        assert "【Вопрос 1 из 4】" in answer and "Пропустить" not in answer  # required
        answer = await channel.send_line("Нет")
        # question 2 is asked only to those who were at the visit
        assert "【Вопрос 3 из 4】" in answer and "  5. Пропустить" in answer
        answer = await channel.send_line("назад")
        assert "【Вопрос 1 из 4】" in answer
        answer = await channel.send_line("Да")
        assert "【Вопрос 2 из 4】" in answer and "Оценка 1 — плохо; 5 — отлично" in answer
        answer = await channel.send_line("Пропустить")
        assert "【Вопрос 3 из 4】" in answer
        answer = await channel.send_line("Готово")  # nothing ticked on an optional question: skipped
        assert "【Вопрос 4 из 4】" in answer and "до 20 символов" in answer
        answer = await channel.send_line("Очень длинный комментарий о приёме")
        assert "Сообщение слишком длинное (34 символов). Пожалуйста, уложитесь в 20 символов." in answer
        answer = await channel.send_line("назад")
        assert "【Вопрос 3 из 4】" in answer and "Вы пропустили этот вопрос." in answer
        answer = await channel.send_line("3")
        answer = await channel.send_line("Готово")
        answer = await channel.send_line("Всё хорошо")
        assert answer.startswith("Опрос завершён. Благодарим за ответы!")
        stored = await responses_between(app.services.db, "short", DAY, DAY)
        assert [r.answers for r in stored] == [{"s1": "Да", "s3": ["Вежливость"], "s4": "Всё хорошо"}]
    finally:
        await app.close()


async def test_hidden_answers_are_dropped(settings: Settings, clock: FakeClock, tmp_path: Path) -> None:
    custom = settings.model_copy(update={"survey_file": custom_survey_file(tmp_path)})
    app = await App.create(custom, clock=clock, migrate=False)
    try:
        channel = ConsoleChannel(app, stdin=io.StringIO(), stdout=io.StringIO(), files_dir=tmp_path / "f")
        app.add_channel(channel)
        for text in ("Оценить качество", "Начать опрос", "Да", "5", "назад", "назад"):
            answer = await channel.send_line(text)
        assert "【Вопрос 1 из 4】" in answer
        for text in ("Нет", "1", "Готово"):
            answer = await channel.send_line(text)
        assert "【Вопрос 4 из 4】" in answer
        answer = await channel.send_line("Пропустить")
        assert answer.startswith("Опрос завершён.")
        stored = await responses_between(app.services.db, "short", DAY, DAY)
        assert [r.answers for r in stored] == [{"s1": "Нет", "s3": ["Время"]}]  # the 5 for s2 is gone
    finally:
        await app.close()


async def test_text_question_never_takes_a_menu_number_or_skip_as_its_answer(app: App, console: Dialogue) -> None:
    await _to_question_2(console)
    for text in ("1 2", "1", "1", "1"):  # to question 6, the first text question
        answer = await console.say(text)
    assert "【Вопрос 6 из 9】" in answer and "  1. Пропустить\n  2. Назад\n  3. Главное меню" in answer
    assert "Если ответить нечего, нажмите «Пропустить»." in answer
    answer = await console.say("2")  # «2. Назад»: back to the scale, nothing saved
    assert "【Вопрос 5 из 9】" in answer
    answer = await console.say("1")  # «1. 5 баллов»
    assert "【Вопрос 6 из 9】" in answer
    answer = await console.say("пропустить")  # the word is the button, not an answer
    assert "【Вопрос 7 из 9】" in answer
    answer = await console.say("1")  # «1. Пропустить»
    assert "【Вопрос 8 из 9】" in answer
    answer = await console.say("назад")
    assert "【Вопрос 7 из 9】" in answer and "Вы пропустили этот вопрос." in answer
    for text in ("Пропустить", "5 баллов", "Пропустить"):
        answer = await console.say(text)
    assert answer.startswith("Опрос завершён.")
    [stored] = await responses_between(app.services.db, "appendix1", DAY, DAY)
    assert stored.answers["q5"] == 5 and stored.answers["q8"] == 5
    assert not {"q6", "q7", "q9"} & set(stored.answers)  # skipped: no "1", no «пропустить»


async def test_required_text_question_refuses_skip_and_takes_no_menu_number(
        settings: Settings, clock: FakeClock, tmp_path: Path) -> None:
    custom = settings.model_copy(update={"survey_file": custom_survey_file(tmp_path, required_text=True)})
    app = await App.create(custom, clock=clock, migrate=False)
    try:
        channel = ConsoleChannel(app, stdin=io.StringIO(), stdout=io.StringIO(), files_dir=tmp_path / "f")
        app.add_channel(channel)
        for text in ("Оценить качество", "Начать опрос", "Нет", "Готово"):
            answer = await channel.send_line(text)
        assert "【Вопрос 4 из 4】" in answer and "  1. Назад\n  2. Главное меню" in answer
        assert "Пропустить" not in answer
        answer = await channel.send_line("пропустить")
        assert "Этот вопрос обязательный" in answer and "【Вопрос 4 из 4】" in answer
        answer = await channel.send_line("1")  # «1. Назад»
        assert "【Вопрос 3 из 4】" in answer
        for text in ("Готово", "Всё хорошо"):
            answer = await channel.send_line(text)
        assert answer.startswith("Опрос завершён.")
        stored = await responses_between(app.services.db, "short", DAY, DAY)
        assert [r.answers for r in stored] == [{"s1": "Нет", "s4": "Всё хорошо"}]
    finally:
        await app.close()

"""Whole dialogues at the console: a citizen goes from "привет" to the right phones for every topic,
using numbers, labels with typos, back/menu/cancel, and sending things the bot does not expect."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import App
from handlers.domain.directory import Topic
from handlers.domain.fields import phone_display
from tests.conftest import ROOT, Dialogue, handle
from tests.directory_walk import leaf_path


def _assert_contacts(answer: str, topic: Topic, app: App) -> None:
    assert app.services.directory.department(topic.department).name in answer
    for phone in topic.phones:
        assert phone_display(phone) in answer
    for email in topic.emails:
        assert email in answer
    assert "Пн–Чт 9:00–18:00, Пт 9:00–17:00, перерыв 12:00–13:00" in answer
    assert "Сейчас открыто до 18:00" in answer  # Tuesday 10:00 in Moscow


@pytest.mark.parametrize("topic_index", range(6))
async def test_every_topic_by_numbers(console: Dialogue, app: App, topic_index: int) -> None:
    topic = app.services.directory.topics[topic_index]
    await console.say("привет")
    answer = await console.say(str(topic_index + 1))
    assert topic.root.question in answer
    for node in leaf_path(topic.root):
        parent_options = answer
        number = next(line.split(".")[0].strip() for line in parent_options.splitlines()
                      if line.strip().endswith(node.label))
        answer = await console.say(number)
    assert node.answer.split()[0] in answer
    _assert_contacts(answer, topic, app)


@pytest.mark.parametrize("topic_index", range(6))
async def test_every_topic_by_typed_labels(console: Dialogue, app: App, topic_index: int) -> None:
    topic = app.services.directory.topics[topic_index]
    await console.say("/start")
    answer = await console.say(topic.short.upper())  # case does not matter
    assert topic.root.question in answer
    for node in leaf_path(topic.root):
        answer = await console.say(node.label.lower())
    _assert_contacts(answer, topic, app)


async def test_labels_with_typos_and_yo(console: Dialogue) -> None:
    await console.say("привет")
    answer = await console.say("атестация")
    assert "Что вас интересует по аттестации?" in answer
    answer = await console.say("когда моя атестация")
    assert "+7 (812) 539-46-67" in answer


async def test_free_text_question_is_confirmed_then_answered(console: Dialogue) -> None:
    await console.say("привет")
    answer = await console.say("наградной лист на папу")
    assert "Правильно ли я понял, что ваш вопрос — «Наградной лист и документы» (тема «Государственные награды»)?" \
        in answer
    answer = await console.say("да")
    assert "Отдел наградной политики" in answer and "+7 (812) 539-46-84" in answer
    assert "yun_sennikova@lenreg.ru" in answer


async def test_wrong_guess_returns_to_topics(console: Dialogue) -> None:
    await console.say("привет")
    await console.say("Когда аттестация")
    answer = await console.say("нет")
    assert "О чём ваш вопрос? Выберите тему" in answer
    assert "1. Конкурсы и кадровый резерв" in answer


async def test_ambiguous_question_offers_choices(console: Dialogue) -> None:
    await console.say("привет")
    answer = await console.say("конкурс и аттестация")
    assert "Уточните, пожалуйста, о чём ваш вопрос" in answer
    assert "Конкурсы и кадровый резерв" in answer and "Аттестация" in answer
    assert "Ничего из этого" in answer


async def test_out_of_scope_says_not_ours_and_where_to_go(console: Dialogue) -> None:
    await console.say("привет")
    answer = await console.say("как получить налоговый вычет?")
    assert "не относится к полномочиям" in answer
    assert "Федеральная налоговая служба" in answer and "8-800-222-22-22" in answer
    answer = await console.say("Задать другой вопрос")
    assert "1. Конкурсы и кадровый резерв" in answer


async def test_unrecognised_question_is_no_dead_end(console: Dialogue) -> None:
    await console.say("привет")
    answer = await console.say("ываыва олол")
    assert "Не удалось понять" not in answer
    assert "Я не нашёл готового ответа на этот вопрос" in answer
    assert "6. Государственные награды" in answer  # the topics
    assert "• Аттестация: +7 (812) 539-46-67, +7 (812) 539-46-68" in answer  # the phones
    assert "7. Написать в отдел" in answer and "8. Другие ведомства" in answer
    answer = await console.say("8")
    assert "1. Паспорт, загранпаспорт, прописка" in answer and "Военкомат, воинский учёт" in answer
    answer = await console.say("Паспорт, загранпаспорт, прописка")
    assert "МФЦ Ленинградской области, 8-800-500-00-47, https://mfc47.ru" in answer


async def test_back_menu_and_cancel_on_every_step(console: Dialogue, app: App) -> None:
    topic = app.services.directory.topic("competitions")
    assert topic is not None
    await console.say("привет")
    await console.say("1")  # competitions
    await console.say("Кадровый резерв")
    answer = await console.say("назад")
    assert "Что именно вас интересует по конкурсам" in answer
    answer = await console.say("назат")  # typo
    assert "Выберите тему вопроса" in answer
    answer = await console.say("назад")
    assert "Вы в главном меню" in answer

    # menu from a result card
    await console.say("1")
    await console.say("Результаты конкурса")
    answer = await console.say("меню")
    assert "Выберите тему вопроса" in answer
    # cancel from a clarifying question
    await console.say("2")
    answer = await console.say("отмена")
    assert "Хорошо, действие отменено." in answer and "Выберите тему вопроса" in answer
    answer = await console.say("/cancel")
    assert "Отменять нечего" in answer
    # help keeps the place
    await console.say("3")
    answer = await console.say("помощь")
    assert "Как со мной общаться" in answer and "Какой вопрос о прохождении службы" in answer
    # numbers of the navigation buttons work too
    options = len(app.services.directory.topic("civil_service").root.children)  # type: ignore[union-attr]
    answer = await console.say(str(options + 1))  # the number shown for "Назад"
    assert "Выберите тему вопроса" in answer
    await console.say("3")
    answer = await console.say(str(options + 2))  # the number shown for "Главное меню"
    assert "Выберите тему вопроса" in answer


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x07\x1b[31m", "9", "🙂", "а" * 10_000,
                                 "<b>жирный</b> & 'кавычки'", "/unknown", "\udcff\ud800"])
async def test_unexpected_input_gets_explanation_and_options(console: Dialogue, bad: str) -> None:
    await console.say("привет")
    await console.say("2")  # attestation: buttons only + questions
    answer = await console.say(bad)
    assert answer.strip(), "never silence"
    assert "Traceback" not in answer
    if "Я не нашёл готового ответа" in answer:  # taken for a question: topics, phones, writing
        assert "2. Аттестация" in answer and "Написать в отдел" in answer and "+7 (812) 539-46-67" in answer
        answer = await console.say("назад")
    else:
        assert any(hint in answer for hint in ("пустое", "Варианта с номером 9 нет", "слишком длинное",
                                               "Такой команды нет"))
    assert "Когда моя аттестация" in answer  # the current options are shown again


async def test_sticker_and_photo_get_a_polite_answer(app: App) -> None:
    from handlers.models import Attachment, Event

    for kind in ("sticker", "photo", "voice"):
        outs = await handle(app, Event("console", "u1", "u1", attachments=(Attachment(kind),)))
        assert outs and "Я понимаю текст и кнопки" in outs[0].reply.text
        assert outs[-1].reply.buttons, "options are offered again"


async def test_stale_button_from_an_old_message(app: App) -> None:
    from handlers.models import Event

    first = await handle(app, Event("console", "u2", "u2", text="привет"))
    old_payload = first[-1].reply.buttons[0][0].payload  # "Конкурсы и кадровый резерв"
    await handle(app, Event("console", "u2", "u2", payload=old_payload))
    await handle(app, Event("console", "u2", "u2", text="Результаты конкурса"))
    outs = await handle(app, Event("console", "u2", "u2", payload=old_payload))
    assert "кнопка из прошлого сообщения" in outs[0].reply.text
    assert "о результатах конкурса" in outs[-1].reply.text  # the current card is shown again
    assert "Кадровый резерв" not in outs[-1].reply.text


async def test_state_survives_a_restart(settings, clock) -> None:  # type: ignore[no-untyped-def]
    from handlers.models import Event

    first = await App.create(settings, clock=clock, migrate=False)
    await handle(first, Event("console", "u3", "u3", text="привет"))
    await handle(first, Event("console", "u3", "u3", text="6"))
    await first.close()
    second = await App.create(settings, clock=clock, migrate=False)
    outs = await handle(second, Event("console", "u3", "u3", text="2"))  # "Наградной лист и документы"
    await second.close()
    assert "наградной лист" in outs[-1].reply.text.lower()
    assert "+7 (812) 539-46-84" in outs[-1].reply.text


def test_demo_runs_non_interactively(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/demo.db", "DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "bot", "demo"], input="1\n2\nменю\n", capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Здравствуйте!" in out
    assert "> 1" in out and "Что именно вас интересует по конкурсам" in out
    assert "> 2" in out and "Вы участвуете в конкурсе впервые" in out
    assert out.rstrip().endswith("До свидания!")


async def test_main_menu_fits_in_ten_buttons(app: App) -> None:
    """VK shows at most ten buttons under a message: the main menu must stay within that."""
    from handlers.models import Event

    outs = await handle(app, Event("vk", "9", "9", text="привет"))
    menu = outs[-1].reply
    assert len(menu.payload_buttons()) <= 10
    assert [b.label for b in menu.payload_buttons()][6:] == ["Личный приём", "Обращения в отдел",
                                                              "Оценить качество", "Контакты и часы работы"]

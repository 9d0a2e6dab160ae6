"""How replies look in VK: inline keyboards within VK's limits, long menus as numbered lists."""

from __future__ import annotations

import json

from bot.channels.vk.render import ClientCaps, button_payload, layout, render, shorten_label, split_text
from handlers.models import Attachment, Button, Document, Reply, Venue

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot


def _keyboard(message: object) -> dict:
    return json.loads(message.keyboard)  # type: ignore[attr-defined]


def _options(n: int, *, nav: bool = True) -> list[list[Button]]:
    rows = [[Button(f"Вариант {i}", payload=f"t.o{i}")] for i in range(1, n + 1)]
    if nav:
        rows.append([Button("Назад", payload="g.back"), Button("Главное меню", payload="g.menu")])
    return rows


def test_small_menu_is_an_inline_keyboard_of_callback_buttons() -> None:
    [message] = render(Reply("Что вас интересует?", buttons=_options(3)))
    kb = _keyboard(message)
    assert kb["inline"] is True
    rows = [[b["action"] for b in row] for row in kb["buttons"]]
    assert [[a["label"] for a in row] for row in rows] == [["Вариант 1"], ["Вариант 2"], ["Вариант 3"],
                                                           ["Назад", "Главное меню"]]
    assert all(a["type"] == "callback" for row in rows for a in row)
    assert json.loads(rows[0][0]["payload"]) == {"p": "t.o1"}
    assert message.text == "Что вас интересует?"  # no list: the buttons are enough


def test_more_than_six_rows_are_merged_keeping_order_and_the_navigation_row() -> None:
    [message] = render(Reply("Выберите", buttons=_options(8)))
    rows = [[b["action"]["label"] for b in row] for row in _keyboard(message)["buttons"]]
    assert len(rows) <= 6 and all(len(r) <= 5 for r in rows)
    assert [label for row in rows for label in row] == [f"Вариант {i}" for i in range(1, 9)] + ["Назад",
                                                                                              "Главное меню"]
    assert rows[-1] == ["Назад", "Главное меню"]


def test_a_row_wider_than_five_is_wrapped() -> None:
    rows = layout([[Button(str(i), payload=f"x.{i}") for i in range(7)]])
    assert rows is not None and [len(r) for r in rows] == [5, 2]


def test_link_buttons_get_rows_of_their_own() -> None:
    rows = layout([[Button("Сайт", url="https://lenobl.ru"), Button("Далее", payload="x.1")]])
    assert rows is not None and [[b.label for b in r] for r in rows] == [["Далее"], ["Сайт"]]
    links = [[Button(f"Ссылка {i}", url=f"https://example.org/{i}")] for i in range(7)]
    assert layout(links) is None  # seven wide rows cannot be merged into six


def test_ten_buttons_fit_eleven_become_a_numbered_list() -> None:
    [ten] = render(Reply("Выберите", buttons=_options(8)))
    assert len([b for row in _keyboard(ten)["buttons"] for b in row]) == 10

    [eleven] = render(Reply("Выберите", buttons=_options(9)))
    lines = eleven.text.splitlines()
    # numbering the engine understands: the options, then «Назад» and «Главное меню»
    for i in range(1, 10):
        assert f"{i}. Вариант {i}" in lines
    assert "10. Назад" in lines and "11. Главное меню" in lines
    assert "Напишите номер варианта." in eleven.text
    nav = [b["action"] for row in _keyboard(eleven)["buttons"] for b in row]
    assert [a["label"] for a in nav] == ["Назад", "Главное меню"]  # navigation stays a button
    assert json.loads(nav[1]["payload"]) == {"p": "g.menu"}


def test_long_menu_without_navigation_has_no_keyboard_only_numbers() -> None:
    [message] = render(Reply("Выберите", buttons=_options(12, nav=False)))
    assert message.keyboard is None
    assert "12. Вариант 12" in message.text


def test_old_app_without_callback_buttons_gets_numbers() -> None:
    [message] = render(Reply("Выберите", buttons=_options(2)), ClientCaps(inline=True, callback=False))
    assert message.keyboard is None
    assert "1. Вариант 1" in message.text and "4. Главное меню" in message.text


def test_label_shortening_keeps_words_whole() -> None:
    assert shorten_label("Государственная и муниципальная служба") == "Государственная и муниципальная служба"
    assert shorten_label("Квалификационный экзамен (для гражданских служащих), классный чин") == \
        "Квалификационный экзамен, классный чин"
    short = shorten_label("Профессиональное развитие и дополнительное профессиональное образование служащих")
    assert len(short) <= 40 and short.endswith("…")
    assert short == "Профессиональное развитие…"  # no dangling «и»
    assert shorten_label("Удостоверение (документ об обучении) и справки") == "Удостоверение и справки"
    assert len(shorten_label("А" * 80)) == 40


def test_shortened_label_is_given_in_full_in_the_text() -> None:
    long_label = "Профессиональное развитие и дополнительное профессиональное образование служащих"
    [message] = render(Reply("Выберите", buttons=[[Button(long_label, payload="t.a")], [Button("Другое",
                                                                                                 payload="t.b")]]))
    labels = [b["action"]["label"] for row in _keyboard(message)["buttons"] for b in row]
    assert all(len(label) <= 40 for label in labels)
    assert f"1. {long_label}" in message.text and "2. Другое" in message.text


def test_links_are_open_link_buttons_phones_and_mail_are_text() -> None:
    reply = Reply("Контакты", buttons=[[Button("Сайт", url="https://lenobl.ru")],
                                       [Button("Позвонить", url="tel:+78125394666")],
                                       [Button("Главное меню", payload="g.menu")]])
    [message] = render(reply)
    actions = [b["action"] for row in _keyboard(message)["buttons"] for b in row]
    assert actions[0] == {"type": "open_link", "link": "https://lenobl.ru", "label": "Сайт"}  # no "payload": null
    assert [a["label"] for a in actions] == ["Сайт", "Главное меню"]
    assert "Позвонить: tel:+78125394666" in message.text


def test_venue_is_a_place_with_the_address_in_the_text() -> None:
    venue = Venue(59.942, 30.385, "Личный приём", "г. Санкт-Петербург, Суворовский пр-кт, д. 67")
    [message] = render(Reply("Где принимают", venue=venue))
    assert (message.lat, message.long) == (59.942, 30.385)
    assert "📍 Личный приём: г. Санкт-Петербург, Суворовский пр-кт, д. 67" in message.text


def test_title_comes_first() -> None:
    [message] = render(Reply("Телефон: +7 (812) 539-46-66", title="Аттестация"))
    assert message.text.startswith("Аттестация\n\nТелефон")


def test_text_over_9000_characters_is_split_at_paragraphs_and_the_keyboard_goes_last() -> None:
    paragraphs = [f"Абзац {i}. " + "слово " * 300 for i in range(12)]  # ~1800 characters each
    text = "\n\n".join(paragraphs)
    parts = render(Reply(text, buttons=_options(1)))
    assert len(parts) >= 3
    assert all(len(p.text) <= 9000 for p in parts)
    assert all(p.text.rstrip().endswith("слово") for p in parts[:-1])  # cut between paragraphs
    assert [p.keyboard is not None for p in parts] == [False] * (len(parts) - 1) + [True]
    assert " ".join(" ".join(p.text for p in parts).split()) == " ".join(text.split())  # nothing lost


def test_split_text_without_breaks_cuts_hard() -> None:
    parts = split_text("x" * 20000)
    assert [len(p) for p in parts] == [9000, 9000, 2000]


def test_files_are_uploads_and_vk_attachments_are_reattached() -> None:
    doc = Document("visit.ics", b"BEGIN:VCALENDAR", "text/calendar")
    reply = Reply("Ваша запись", document=doc,
                  files=(Attachment("photo", "photo12_34_abc"), Attachment("document", "AgAD-telegram-id")))
    [message] = render(reply)
    assert message.uploads == [("doc", doc)]
    assert message.attachments == ["photo12_34_abc"]  # not another platform's file id


def test_button_payload_reads_objects_and_json_strings() -> None:
    assert button_payload({"p": "a1.b"}) == "a1.b"
    assert button_payload('{"p": "g.menu"}') == "g.menu"
    assert button_payload('{"command": "start"}') is None
    assert button_payload("not json") is None

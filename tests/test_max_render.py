"""Core replies as MAX messages within every MAX limit: what a person sees (text, buttons, places,
files), checked on the rendered bodies and, sent through the client, on the fake MAX API."""

from __future__ import annotations

import pytest

from bot.channels.max.api import MaxApi
from bot.channels.max.render import (
    MAX_ROW,
    MAX_ROW_SPECIAL,
    MAX_ROWS,
    TEXT_LIMIT,
    edit_body,
    map_url,
    render,
    utf16_len,
)
from bot.channels.max.send import deliver
from handlers import texts
from handlers.models import Attachment, Button, Document, Reply, Venue
from tests.fake_max_api import FakeMax, visible_text

pytest_plugins = ["tests.max_fixtures"]  # fake_max, max_api

VENUE = Venue(59.9386, 30.3141, "Администрация Ленинградской области", "Суворовский пр., 67, каб. 12")


def keyboard_rows(reply: Reply) -> list[list[dict]]:
    last = next(m for m in render(reply) if m.body.get("attachments"))
    [board] = [a for a in last.body["attachments"] if a["type"] == "inline_keyboard"]
    return board["payload"]["buttons"]


def test_the_title_is_bold_and_everything_else_escaped() -> None:
    [message] = render(Reply(text="Ответ на «<script>» & прочее", title="Кадровый резерв <b>"))
    assert message.body == {"text": "<b>Кадровый резерв &lt;b&gt;</b>\nОтвет на «&lt;script&gt;» &amp; прочее",
                            "format": "html"}
    assert visible_text(message.body["text"], "html") == "Кадровый резерв <b>\nОтвет на «<script>» & прочее"


def test_a_long_answer_is_split_at_paragraphs_within_4000_characters() -> None:
    paragraphs = [f"Абзац {n}. " + "Текст положения о конкурсе. " * 30 for n in range(1, 16)]
    reply = Reply(text="\n\n".join(paragraphs), title="Положение", buttons=[[Button("Назад", payload="g.back")]])
    messages = render(reply)
    texts_ = [m.body["text"] for m in messages]
    assert len(texts_) >= 3
    assert all(utf16_len(t) <= TEXT_LIMIT for t in texts_)
    assert all(t.rstrip().endswith(".") for t in texts_)  # cut between paragraphs, not inside one
    seen = "\n\n".join(visible_text(t, "html") for t in texts_)
    assert seen.split() == ("Положение\n" + reply.text).split()  # nothing lost
    assert [bool(m.body.get("attachments")) for m in messages] == [False] * (len(messages) - 1) + [True]


@pytest.mark.parametrize("unit", ["&", "<>", "😀", "я"])
def test_escapes_and_emoji_count_towards_the_limit(unit: str) -> None:
    messages = render(Reply(text=unit * 9000))
    assert all(utf16_len(m.body["text"]) <= TEXT_LIMIT for m in messages)
    assert "".join(visible_text(m.body["text"], "html") for m in messages) == unit * 9000


def test_buttons_become_callback_and_link_buttons() -> None:
    rows = keyboard_rows(Reply(text="Выберите", buttons=[
        [Button("Кадровый резерв", payload="t1.reserve")], [Button("Сайт", url="https://lenobl.ru")],
        [Button("Плохая ссылка", url="javascript:alert(1)")]]))
    assert rows == [[{"type": "callback", "text": "Кадровый резерв", "payload": "t1.reserve"}],
                    [{"type": "link", "text": "Сайт", "url": "https://lenobl.ru"}]]


def test_wide_rows_are_wrapped_as_max_wants() -> None:
    rows = keyboard_rows(Reply(text="Выберите время", buttons=[
        [Button(f"{h}:00", payload=f"s.{h}") for h in range(9, 18)],
        [Button("Карта", url="https://yandex.ru/maps"), *(Button(str(n), payload=str(n)) for n in range(4))]]))
    assert [len(r) for r in rows] == [7, 2, 3, 2]
    assert all(len(r) <= MAX_ROW for r in rows)
    assert all(len(r) <= MAX_ROW_SPECIAL for r in rows if any(b["type"] == "link" for b in r))


def test_more_than_thirty_rows_are_merged() -> None:
    rows = keyboard_rows(Reply(text="Все вопросы", buttons=[[Button(f"Вопрос {n}", payload=f"q{n}")]
                                                            for n in range(40)]))
    assert len(rows) <= MAX_ROWS
    assert [b["payload"] for r in rows for b in r] == [f"q{n}" for n in range(40)]  # order kept


def test_long_labels_are_shortened_and_long_payloads_refused() -> None:
    label = "Порядок представления к награждению почётной грамотой Губернатора Ленинградской области " * 3
    [[button]] = keyboard_rows(Reply(text="?", buttons=[[Button(label, payload="a")]]))
    assert len(button["text"]) <= 128 and button["text"].endswith("…")
    assert label.startswith(button["text"][:-1].rstrip())
    with pytest.raises(ValueError):
        render(Reply(text="?", buttons=[[Button("x", payload="p" * 1025)]]))


def test_the_phone_is_asked_with_a_contact_button() -> None:
    rows = keyboard_rows(Reply(text="Укажите телефон", request_contact=True,
                               buttons=[[Button("Отмена", payload="g.cancel")]]))
    assert rows[0] == [{"type": "request_contact", "text": texts.MAX_SHARE_PHONE}]


def test_a_venue_is_an_address_a_map_link_and_a_location() -> None:
    messages = render(Reply(text="Вы записаны на 18 марта, 10:00.", venue=VENUE))
    first, place = messages
    assert "📍 Администрация Ленинградской области: Суворовский пр., 67, каб. 12" in first.body["text"]
    assert first.body["attachments"][0]["payload"]["buttons"][-1] == [
        {"type": "link", "text": texts.MAX_OPEN_MAP, "url": map_url(VENUE)}]
    assert "pt=30.314100,59.938600" in map_url(VENUE)
    assert place.body == {"attachments": [{"type": "location", "latitude": 59.9386, "longitude": 30.3141}]}
    # the flow's own map link and address are not repeated
    own = render(Reply(text=f"Адрес: {VENUE.address}", venue=VENUE, buttons=[[Button("Карта", url=map_url(VENUE))]]))
    assert own[0].body["text"] == f"Адрес: {VENUE.address}"
    assert [b["text"] for row in own[0].body["attachments"][0]["payload"]["buttons"] for b in row] == ["Карта"]


def test_documents_images_and_a_persons_files() -> None:
    ics = Document("priem.ics", b"BEGIN:VCALENDAR", "text/calendar", caption="Добавьте запись в календарь")
    png = Document("chart.png", b"\x89PNG", "image/png")
    files = (Attachment("photo", "tok.image.1"), Attachment("document", "tok.file.2", "a.pdf"), Attachment("other"))
    messages = render(Reply(text="Запись подтверждена.", document=ics, image=png, files=files))
    assert [m.upload for m in messages] == [None, ("file", ics), ("image", png), None, None]
    assert "Добавьте запись в календарь" in messages[0].body["text"]
    assert [m.body["attachments"] for m in messages[3:]] == [[{"type": "image", "payload": {"token": "tok.image.1"}}],
                                                            [{"type": "file", "payload": {"token": "tok.file.2"}}]]


def test_a_screen_edits_in_place_only_when_it_is_one_message() -> None:
    body = edit_body(Reply(text="Выберите тему", buttons=[[Button("Награды", payload="t2")]], menu=True))
    assert body is not None and body["attachments"][0]["type"] == "inline_keyboard"
    assert edit_body(Reply(text="Без кнопок"))["attachments"] == []  # type: ignore[index]  # old keyboard goes
    assert edit_body(Reply(text="x" * 5000)) is None
    assert edit_body(Reply(text="Адрес", venue=VENUE)) is None


async def test_max_takes_everything_rendered(fake_max: FakeMax, max_api: MaxApi) -> None:
    """A reply at every limit at once goes through the fake MAX API (and its schema) unrefused."""
    chat = fake_max.dialog(7)
    reply = Reply(text="Условия участия.\n\n" + "Требования & <условия>. " * 400, title="Конкурс",
                  buttons=[[Button(f"Вариант {n} " * 20, payload=f"o{n}") for n in range(9)],
                           [Button("Сайт", url="https://lenobl.ru"), Button("Назад", payload="g.back")]],
                  request_contact=True, venue=VENUE,
                  document=Document("priem.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"))
    sent = await deliver(max_api, render(reply), chat_id=chat)
    seen = fake_max.sent_to(chat)
    assert len(sent) == len(seen) == len(render(reply)) >= 5
    assert seen[0].text.startswith("Конкурс\nУсловия участия.")
    assert texts.MAX_SHARE_PHONE in [label for m in seen for label in m.labels]
    assert seen[-2].of_type("location") and seen[-1].of_type("file")[0]["filename"] == "priem.ics"
    assert fake_max.refused_429 == 0

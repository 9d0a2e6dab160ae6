"""Pure rendering: splitting long texts, escaping, keyboards — checked against the fake's strict HTML parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.telegram.render import (
    TEXT_LIMIT,
    contact_keyboard,
    html_chunks,
    inline_keyboard,
    split_text,
    utf16_len,
)
from handlers import texts
from handlers.models import Button, Reply
from tests.fake_telegram_api import parse_html

_piece = st.text(alphabet=st.sampled_from("аб вг\n\n<>&\"'😀x;#"), min_size=20, max_size=80)
_text = st.builds(lambda piece, times: piece * times, _piece, st.integers(40, 300))  # 800 to 24,000 characters


@settings(max_examples=60, deadline=None)
@given(body=_text, title=st.one_of(st.none(), st.text(alphabet="ЗаголовкиTitle <&>", min_size=1, max_size=80)))
def test_chunks_parse_fit_and_lose_nothing(body: str, title: str | None) -> None:
    chunks = html_chunks(Reply(body, title=title))
    visible = [parse_html(c) for c in chunks]  # every piece is valid HTML for Telegram
    assert all(utf16_len(v) <= TEXT_LIMIT for v in visible)
    expected = f"{title.strip()}\n{body.strip()}" if title and title.strip() else body.strip()
    assert "".join("".join(visible).split()) == "".join(expected.split())  # only whitespace at the cuts


def test_split_prefers_paragraphs_then_lines_then_spaces() -> None:
    para = "слово " * 500  # 3,000 characters
    pieces = split_text(f"{para}\n\n{para}\n\n{para}")
    assert len(pieces) == 3 and all(p.strip() == para.strip() for p in pieces)
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]  # no break anywhere: a hard cut
    emoji = "😀" * 3000  # two UTF-16 units each
    assert [utf16_len(p) for p in split_text(emoji)] == [4096, 1904]


def test_keyboards() -> None:
    kb = inline_keyboard(Reply("x", buttons=[[Button(str(i), payload=f"p.{i}") for i in range(10)],
                                             [Button("Сайт", url="https://lenobl.ru"), Button("ftp", url="ftp://x")]]))
    assert kb is not None
    assert [len(r) for r in kb.inline_keyboard] == [8, 2, 1]  # at most 8 in a row; a bad link is left out
    assert inline_keyboard(Reply("x")) is None
    assert inline_keyboard(Reply("x", buttons=[[Button("ok", payload="я" * 32)]])) is not None  # 64 bytes
    with pytest.raises(ValueError, match="callback data"):
        inline_keyboard(Reply("x", buttons=[[Button("long", payload="я" * 32 + "x")]]))
    with pytest.raises(ValueError, match="101 buttons"):
        inline_keyboard(Reply("x", buttons=[[Button(str(i), payload=str(i))] for i in range(101)]))
    share = contact_keyboard()
    assert share.keyboard[0][0].request_contact and share.keyboard[0][0].text == texts.TG_SHARE_PHONE
    assert share.one_time_keyboard and share.resize_keyboard

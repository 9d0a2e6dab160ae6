"""The official route: a chat message is no registered appeal under 59-FZ (since 547-FZ only
Gosuslugi or a system that identifies the citizen make one), so the bot says how to file one —
in the request's confirmation and on the result card of a complaint."""

from __future__ import annotations

from tests.conftest import Dialogue


async def test_a_complaints_result_card_offers_the_official_route(console: Dialogue) -> None:
    await console.say("привет")
    await console.say("Аттестация")
    card = await console.say("Не согласен с результатом")
    assert "обжаловать в соответствии с законодательством" in card
    assert "Если нужно официальное обращение или жалоба по закону № 59-ФЗ, подайте его на портале Госуслуг" in card
    assert "🔗 Обращение через Госуслуги: https://www.gosuslugi.ru/feedback" in card


async def test_other_result_cards_do_not(console: Dialogue) -> None:
    await console.say("привет")
    await console.say("Аттестация")
    card = await console.say("Когда моя аттестация")
    assert "Уточнить дату можно в отделе" in card and "Госуслуг" not in card

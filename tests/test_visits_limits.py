"""The limit of future visits per person protects the service, not only one account: many
accounts giving one phone number (in any form, in any channel) hold no more visits together than
one person may."""

from __future__ import annotations

import asyncio

from bot.app import App
from handlers import texts
from handlers.domain.slots import half_of
from handlers.visits_common import open_slots, rules
from storage.visits import agenda
from tests.visits_support import MSK, send

ACCOUNTS = 47  # as many as took all 141 ordinary places of a department in 2.4 s
PHONES = ("+7 911 123-45-67", "89111234567", "+79111234567", "8 (911) 123 45 67")


async def _up_to_confirmation(app: App, channel: str, user: str, day: str, half: str, at: str, phone: str) -> None:
    await send(app, "меню", user, channel)
    await send(app, "Личный приём", user, channel)
    assert "Выберите удобный день" in await send(app, "Государственные награды", user, channel)
    await send(app, day, user, channel)
    await send(app, half, user, channel)
    answer = await send(app, at, user, channel)
    if "Вы согласны" in answer:
        answer = await send(app, "Согласен(на)", user, channel)
    answer = await send(app, "Иван Иванов", user, channel)
    answer = await send(app, phone, user, channel)
    assert "Проверьте, пожалуйста, запись" in answer, answer


async def test_many_accounts_with_one_phone_hold_no_more_than_one_person(app: App) -> None:
    s = app.services
    limit = s.directory.booking.max_active_per_client
    now = s.clock()
    free = await open_slots(s, s.db, "awards", rules(s, "awards"), now)
    assert len(free) >= ACCOUNTS
    accounts = [(("console", "telegram", "vk")[i % 3], f"u{i}") for i in range(ACCOUNTS)]
    chosen: dict[str, tuple[str, str, str, str]] = {}
    for i, ((channel, user), slot) in enumerate(zip(accounts, free, strict=False)):
        local = slot.local(MSK)
        half = "утро" if half_of(slot, s.directory.hours.visits, MSK) == "am" else "день"
        chosen[user] = (f"{local:%d.%m}", half, f"{local.hour}:{local.minute:02d}", PHONES[i % len(PHONES)])
        await _up_to_confirmation(app, channel, user, *chosen[user])
    # all of them press "Записаться" at once
    answers = await asyncio.gather(*(send(app, "Записаться", user, channel) for channel, user in accounts))
    booked = [v for v in await agenda(s.db, None, now, now.replace(year=now.year + 1)) if v.phone == "+79111234567"]
    assert len(booked) == limit
    refused = texts.VISITS_PHONE_LIMIT.format(n=limit)
    assert sum(refused in a for a in answers) == ACCOUNTS - limit
    assert sum("Вы записаны на личный приём" in a for a in answers) == limit
    # a cancellation frees room for one more under this phone
    first = booked[0]
    await send(app, "Мои записи", first.user_id, first.channel)
    answer = await send(app, "1", first.user_id, first.channel)
    assert "Отменить запись" in answer, answer
    assert texts.VISITS_CANCELLED.split("{")[0] in await send(app, "Да", first.user_id, first.channel)
    channel, user = next((channel, user) for channel, user in accounts
                         if (channel, user) not in {(v.channel, v.user_id) for v in booked})
    await _up_to_confirmation(app, channel, user, *chosen[user])
    assert "Вы записаны на личный приём" in await send(app, "Записаться", user, channel)

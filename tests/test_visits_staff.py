"""Staff side of personal visits: today's and this week's visits, closing reception time (booked
clients are told and offered other times), the morning agenda; citizens are refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.scheduler import JobRunner
from bot.settings import Settings
from storage.jobs import pending_jobs
from storage.visits import bookings_of, closures
from tests.conftest import Dialogue, FakeClock
from tests.visits_support import book, directory_with_staff_chats, msk, press, send


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"directory_file": directory_with_staff_chats(tmp_path)})


@pytest.fixture
def admin(app: App, tmp_path: Path) -> Dialogue:
    """A staff admin at the console (``console:admin`` in STAFF_ADMIN_IDS of the test settings)."""
    log = io.StringIO()
    return Dialogue(ConsoleChannel(app, stdin=io.StringIO(), stdout=log, user_id="admin",
                                   files_dir=tmp_path / "admin-files"), log)


async def test_citizens_cannot_use_staff_commands(console: Dialogue, app: App) -> None:
    for command in ("/visits", "/visits_week", "/visits_close awards 19.03 отпуск", "/visits_closures",
                    "/visits_reopen 1"):
        assert "эта команда доступна только сотрудникам" in await console.say(command)
    assert await closures(app.services.db, None, app.services.clock()) == []


async def test_today_and_week(console: Dialogue, admin: Dialogue) -> None:
    await book(console, topic="Иные кадровые вопросы", day="Вт, 17 марта", half="день", time="13:00")
    await book(console, topic="Государственные награды", day="Чт, 19 марта", time="10:00")
    today = await admin.say("/visits")
    assert "Личный приём на вторник, 17 марта 2026 — Отдел кадров Управления:" in today
    assert "13:00 Иванов Иван, +79111234567, «Иные кадровые вопросы»" in today
    assert "Отдел наградной политики" not in today  # nothing there today
    assert "Записей на вторник, 17 марта 2026 нет — Отдел наградной политики" in await admin.say("/visits awards")
    week = await admin.say("/visits_week")
    assert "Личный приём с 17.03.2026 по 23.03.2026:" in week
    assert "Отдел кадров Управления\nВт, 17 марта:\n  13:00 Иванов Иван" in week
    assert "Отдел наградной политики Администрации Губернатора и Правительства Ленинградской области\n" \
           "Чт, 19 марта:\n  10:00 Иванов Иван" in week
    # A topic id names its department too.
    assert "Отдел кадров Управления" in await admin.say("/visits_week personnel")
    assert "Нет отдела «nosuch»" in await admin.say("/visits nosuch")


async def test_staff_chat_sees_its_own_department_only(console: Dialogue, app: App) -> None:
    await book(console, topic="Иные кадровые вопросы", day="Вт, 17 марта", half="день", time="13:00")
    answer = await send(app, "/visits", user="777", channel="telegram", chat="-1004")
    assert "Отдел кадров Управления" in answer and "13:00 Иванов Иван" in answer
    refused = await send(app, "/visits awards", user="777", channel="telegram", chat="-1004")
    assert "Нет отдела «awards». Отделы: personnel" in refused
    closed = await send(app, "/visits_close 17.03 15:00-16:00 совещание", user="777", channel="telegram",
                        chat="-1004")
    assert "Приём закрыт (№ 1): Отдел кадров Управления, 17.03.2026 15:00–16:00, причина: совещание." in closed
    assert "Записей на это время не было." in closed


async def test_closing_time_tells_booked_clients_and_offers_other_times(console: Dialogue, admin: Dialogue,
                                                                        app: App) -> None:
    await book(console, topic="Государственные награды", day="Чт, 19 марта", time="10:00")
    answer = await admin.say("/visits_close awards 19.03 09:00-12:00 совещание")
    assert "Приём закрыт (№ 1): Отдел наградной политики" in answer and "19.03.2026 9:00–12:00" in answer
    assert "Отменены записи (1), клиентам отправлено сообщение:" in answer
    assert "№ 1. четверг, 19 марта 2026, 10:00–10:30 — Иванов Иван, +79111234567" in answer
    told = console.staff_output()
    assert "КЛИЕНТУ (console:console)" in told
    assert "К сожалению, ваш личный приём отменён: совещание." in told
    assert ("Было назначено: четверг, 19 марта 2026, 10:00–10:30 по московскому времени, "
            "Отдел наградной политики") in told
    assert "Ближайшее свободное время: сегодня 13:00, сегодня 13:30, сегодня 14:00." in told
    assert "1. Выбрать другое время" in told
    assert "СОТРУДНИКАМ (telegram:-1005)" in told and "Приём закрыт (№ 1)" in told  # the department is told
    assert await pending_jobs(app.services.db, key_prefix="visit:1:") == []
    assert await bookings_of(app.services.db, "console", "console", app.services.clock()) == []
    # The closed morning is not offered any more; the button leads to a new booking.
    days = await press(app, "a.vrebook.awards")
    assert "Отдел наградной политики" in days and "Выберите удобный день" in days
    halves = await console.say("Чт, 19 марта")
    assert "Утро" not in halves and "День (13:00–18:00)" in halves


async def test_closing_a_whole_period_and_reopening(console: Dialogue, admin: Dialogue) -> None:
    answer = await admin.say("/visits_close awards 23.03-27.03 отпуск")
    assert "Приём закрыт (№ 1): Отдел наградной политики Администрации Губернатора и Правительства " \
           "Ленинградской области, 23.03.2026–27.03.2026, причина: отпуск." in answer
    await console.say("Личный приём")
    days = await console.say("Государственные награды")
    assert "Пт, 20 марта" in days and "Пн, 23 марта" not in days and "Пт, 27 марта" not in days
    assert "Пн, 30 марта" in days
    assert "На понедельник, 23 марта 2026 свободного времени нет" in await console.say("23.03")
    listing = await admin.say("/visits_closures")
    assert "№ 1. Отдел наградной политики" in listing and "23.03.2026–27.03.2026 (отпуск)" in listing
    assert "Период № 1 открыт снова" in await admin.say("/visits_reopen 1")
    assert "Закрытых периодов приёма нет." in await admin.say("/visits_closures")
    assert "Закрытого периода № 1 нет" in await admin.say("/visits_reopen 1")


async def test_closing_hours_on_several_days(admin: Dialogue, app: App) -> None:
    answer = await admin.say("/visits_close training 18.03-19.03 14:00-15:00")
    assert "№ 1" in answer and "18.03.2026 14:00–15:00" in answer
    assert "№ 2" in answer and "19.03.2026 14:00–15:00" in answer
    assert len(await closures(app.services.db, ["training"], app.services.clock())) == 2


async def test_close_command_explains_mistakes(admin: Dialogue) -> None:
    assert "Укажите отдел: selection, civil_service" in await admin.say("/visits_close 19.03")
    assert "Как закрыть время приёма" in await admin.say("/visits_close awards")
    assert "Как закрыть время приёма" in await admin.say("/visits_close awards 32.13")
    assert "Как закрыть время приёма" in await admin.say("/visits_close awards 19.03 15:00-14:00")
    assert "Этот период уже прошёл" in await admin.say("/visits_close awards 10.03")
    assert "не больше 92 дней" in await admin.say("/visits_close awards 01.04-30.09")
    assert "Укажите номер закрытого периода" in await admin.say("/visits_reopen")


async def test_morning_agenda_goes_to_each_staff_chat(console: Dialogue, app: App, clock: FakeClock) -> None:
    await book(console, topic="Государственные награды", day="Чт, 19 марта", time="10:00")
    await book(console, topic="Государственные награды", day="Чт, 19 марта", time="11:30")
    clock.set(msk(2026, 3, 19, 8, 0))
    runner = JobRunner(app)
    assert await runner.run_daily("visits_agenda")
    staff = console.staff_output()
    assert "СОТРУДНИКАМ (telegram:-1005)" in staff
    assert "Личный приём на четверг, 19 марта 2026 — Отдел наградной политики" in staff
    assert "┃ 10:00 Иванов Иван, +79111234567, «Государственные награды»\n┃ 11:30 Иванов Иван" in staff
    assert "СОТРУДНИКАМ (telegram:-1004)" in staff and "Записей на четверг, 19 марта 2026 нет — Отдел кадров" in staff
    assert not await runner.run_daily("visits_agenda")  # once a day, whatever the instances


async def test_no_agenda_on_a_day_off(console: Dialogue, app: App, clock: FakeClock) -> None:
    clock.set(msk(2026, 3, 21, 8, 0))  # Saturday
    runner = JobRunner(app)
    assert await runner.run_daily("visits_agenda")
    assert "СОТРУДНИКАМ" not in console.staff_output()


async def test_forgetting_oneself_frees_the_booked_places(console: Dialogue, app: App) -> None:
    await book(console, topic="Государственные награды", day="Чт, 19 марта", time="10:00")
    assert "Удалить ваши данные?" in await console.say("/forget")
    await console.say("Да, удалить")
    assert await bookings_of(app.services.db, "console", "console", app.services.clock()) == []
    assert await pending_jobs(app.services.db, key_prefix="visit:1:") == []
    await JobRunner(app).run_due()
    told = console.staff_output().split("Запись на личный приём № 1 отменена: клиент удалил свои данные.")
    assert len(told) == 2 and "четверг, 19 марта 2026, 10:00–10:30" in told[1]
    assert "Иванов" not in told[1]
    await console.say("Личный приём")
    await console.say("Государственные награды")
    await console.say("Чт, 19 марта")
    assert "10:00" in await console.say("утро")

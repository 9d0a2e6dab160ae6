"""Reports for heads in the staff workspace: a quarter's requests answered on time and late with
the list, median answer time, by topic and need, the XLSX / CSV downloads and the register; the
survey's results with charts; the visits agenda and the health page."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from bot.app import App
from bot.scheduler import JobRunner
from storage.outbox import NewMessage, given_up, put_messages
from storage.survey import save_response
from storage.visits import book_slot, close_time
from storage.workspace import recent_web_audit
from tests.conftest import FakeClock
from tests.requests_helpers import HEAD, STAFF_CHAT, RecordingChannel, write_request
from tests.visits_support import msk
from tests.web.support import StaffBrowser, ask_link, served

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner

STAFF = "9001"
QUARTER = "/staff/reports?department=personnel&from=2026-01-01&to=2026-03-31"


async def answer(tg: RecordingChannel, runner: JobRunner, number: int, text: str) -> None:
    card = tg.message_id(STAFF_CHAT, f"Обращение №{number} ·")
    await tg.send(STAFF, text, chat_id=STAFF_CHAT, reply_to=card, user_name="Мария Кадрова")
    await runner.run_due()


async def a_quarter_of_requests(tg: RecordingChannel, runner: JobRunner, clock: FakeClock) -> None:
    """№1 answered in two days, №2 answered five days late, №3 never answered: all of the first quarter."""
    await write_request(tg, "5001")  # 17.03, due 16.04
    await write_request(tg, "5002")
    clock.advance(days=14)
    await write_request(tg, "5003")  # 31.03, due 30.04
    clock.set(datetime(2026, 3, 19, 9, 0, tzinfo=clock.now.tzinfo))
    await answer(tg, runner, 1, "Справка готова.")
    clock.set(datetime(2026, 4, 21, 9, 0, tzinfo=clock.now.tzinfo))
    await answer(tg, runner, 2, "Справка готова, простите за задержку.")
    clock.set(datetime(2026, 5, 5, 9, 0, tzinfo=clock.now.tzinfo))  # №3 is five days late, still open


async def head_browser(site: object, tg: RecordingChannel) -> StaffBrowser:
    browser = site.browser()  # type: ignore[attr-defined]
    page = await browser.sign_in(await ask_link(tg, HEAD, name="Ольга Начальникова"))  # privately: a head
    assert "Отчёты" in page.text
    return browser


async def test_a_head_sees_what_was_answered_late_this_quarter(tg: RecordingChannel, runner: JobRunner,
                                                               staff_app: App, clock: FakeClock) -> None:
    await a_quarter_of_requests(tg, runner, clock)
    async with served(staff_app) as site:
        browser = await head_browser(site, tg)
        page = await browser.get(QUARTER)
        assert page.status == 200
        text = page.text
        assert "Отчёт по обращениям Отдел кадров Управления" in text
        assert "Обращения, поступившие 01.01.2026 – 31.03.2026; данные на 05.05.2026 12:00." in text
        for figure in ("Поступило | 3 |", "Дан ответ | 2 |", "В срок | 1 (50 %) |", "С нарушением срока | 1 |",
                       "Без ответа, срок истёк | 1 |", "Закрыто без ответа | 0 |"):
            assert figure in text, figure
        assert "Медианное время ответа | 18 дн. 14 ч |" in text  # of 50 hours and 35 days 2 hours
        assert "Нарушен срок ответа: 2" in text
        assert ("№2 | Иные кадровые вопросы | Получить справку, копию документа | 16.04.2026 | 21.04.2026 12:00 | "
                "5 дн. | не назначен |") in text  # answered by a reply to the card, nobody took it
        assert ("№3 | Иные кадровые вопросы | Получить справку, копию документа | 30.04.2026 | нет ответа | "
                "5 дн.") in text
        assert "Иные кадровые вопросы | 3 | 2 | 1 | 2 |" in text  # by topic
        assert "Пётр Сидоров" not in text
        assert page.link("№2") == "/staff/requests/2"

        status, body, headers = await browser.raw(page.link("Отчёт, XLSX"))
        assert status == 200 and headers["Content-Type"].endswith("spreadsheetml.sheet")
        assert "requests-personnel-20260101-20260331.xlsx" in headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(body))
        assert book.sheetnames == ["Сводка", "Нарушен срок", "Все обращения"]
        summary = {row[0]: row[1] for row in book["Сводка"].iter_rows(values_only=True) if row and row[0]}
        assert summary["Поступило"] == 3 and summary["В срок"] == 1 and summary["С нарушением срока"] == 1
        assert summary["Доля ответов в срок"] == 0.5
        late = list(book["Нарушен срок"].iter_rows(min_row=2, values_only=True))
        assert [(r[0], r[7], r[8]) for r in late] == [(2, 5, "ответ с нарушением срока"),
                                                      (3, 5, "нет ответа, срок истёк")]
        assert late[0][6] == datetime(2026, 4, 21, 12, 0)  # Moscow time

        status, body, _ = await browser.raw(page.link("Обращения периода, CSV"))
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
        assert [(r["request"], r["outcome"]) for r in rows] == [("1", "on_time"), ("2", "late"), ("3", "overdue")]
        assert rows[0]["answer_hours"] == "50.0" and rows[0]["registered"] == "2026-03-17T10:00+03:00"

        status, body, _ = await browser.raw(page.link("Реестр обращений, XLSX"))
        register = load_workbook(io.BytesIO(body))["Реестр"]
        lines = list(register.iter_rows(min_row=4, values_only=True))
        assert [(r[0], r[2], r[10]) for r in lines] == [
            (1, "Пётр Сидоров", "дан ответ"), (2, "Пётр Сидоров", "дан ответ"), (3, "Пётр Сидоров", "принято")]
        audit = [(e.action, e.target, e.detail) for e in await recent_web_audit(staff_app.services.db)]
        for action in ("report", "report_xlsx", "report_csv", "register"):
            assert (action, "report:personnel", "2026-01-01..2026-03-31") in audit

        default = await browser.get("/staff/reports")  # this quarter by default: the second
        assert "Обращения, поступившие 01.04.2026 – 30.06.2026" in default.text
        assert "Поступило | 0 |" in default.text and "Нарушений срока нет." in default.text
        assert (await browser.get(QUARTER.replace("personnel", "awards"))).status == 403  # not his department
        bad = await browser.get("/staff/reports?from=2026-03-31&to=2026-01-01")
        assert bad.status == 400 and "Неверный период" in bad.text


async def test_only_heads_and_admins_see_reports(tg: RecordingChannel, staff_app: App) -> None:
    async with served(staff_app) as site:
        browser = site.browser()
        page = await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))
        assert "Отчёты" not in page.text
        for path in (QUARTER, "/staff/reports/requests.xlsx", "/staff/reports/register.xlsx",
                     "/staff/reports/survey"):
            refused = await browser.get(path)
            assert refused.status == 403 and "руководители отделов" in refused.text


async def test_the_survey_results_with_charts(tg: RecordingChannel, staff_app: App) -> None:
    db = staff_app.services.db
    for answer_q1 in ("Скорее удовлетворен", "Скорее удовлетворен", "Затрудняюсь ответить"):
        await save_response(db, "appendix1", {"q1": answer_q1}, source="menu", on=date(2026, 3, 10))
    async with served(staff_app) as site:
        browser = await head_browser(site, tg)
        page = await browser.get("/staff/reports/survey?department=personnel&from=2026-01-01&to=2026-03-31")
        assert page.status == 200
        assert "ответов: 3" in page.text
        assert "«Скорее удовлетворен» (вопрос 1): 66.7 % ответивших (2 из 3)." in page.text
        assert "Скорее удовлетворен | 2 | 66.7 % |" in page.text
        charts = [src for src in _images(page.html)]
        assert charts == ["/staff/reports/survey/chart/1.png?department=personnel&from=2026-01-01&to=2026-03-31"
                          "&survey=appendix1"]
        status, png, headers = await browser.raw(charts[0].replace("&amp;", "&"))
        assert status == 200 and headers["Content-Type"] == "image/png" and png.startswith(b"\x89PNG")
        status, body, _ = await browser.raw(page.link("Итоги и все ответы, XLSX"))
        assert load_workbook(io.BytesIO(body)).sheetnames == ["Сводка", "Ответы"]
        status, body, _ = await browser.raw(page.link("Все ответы, CSV"))
        assert body.decode().splitlines()[0].startswith("response,date,source,q1")


def _images(html: str) -> list[str]:
    import re

    return [src.replace("&amp;", "&") for src in re.findall(r'<img[^>]+src="([^"]+)"', html)]


async def test_the_visits_of_a_day_and_of_a_week(tg: RecordingChannel, staff_app: App, clock: FakeClock) -> None:
    db, now = staff_app.services.db, clock.now
    await book_slot(db, department="personnel", start=msk(2026, 3, 19, 10, 0), end=msk(2026, 3, 19, 10, 30),
                    capacity=2, channel="telegram", user_id="5001", chat_id="5001", name="Иванов Иван",
                    phone="+79111234567", topic="personnel", priority="heroes", now=now)
    await book_slot(db, department="awards", start=msk(2026, 3, 19, 11, 0), end=msk(2026, 3, 19, 11, 30),
                    capacity=1, channel="telegram", user_id="5002", chat_id="5002", name="Наградной Посетитель",
                    phone=None, topic=None, priority=None, now=now)
    await close_time(db, "personnel", msk(2026, 3, 20, 14, 0), msk(2026, 3, 20, 18, 0), reason="совещание",
                     by="Мария", now=now)
    async with served(staff_app) as site:
        browser = site.browser()
        await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))
        today = await browser.get("/staff/visits")
        assert "17 марта 2026, вторник" in today.text and "Записей нет." in today.text
        day = await browser.get("/staff/visits?date=2026-03-19")
        assert ("10:00–10:30 | 1 | Иванов Иван | +79111234567 | Иные кадровые вопросы | "
                "Герой Советского Союза, Герой России, кавалер ордена Славы |") in day.text
        assert "Наградной" not in day.html  # another department's visitor
        week = await browser.get(week_link := day.link("Неделя с 19.03.2026"))
        assert "view=week" in week_link
        assert "Записей: 1." in week.text
        assert "20 марта 2026, пятница\nПриём закрыт 20.03.2026 14:00 – 20.03.2026 18:00: совещание" in week.text
        assert "21 марта 2026, суббота нерабочий день" in week.text
        audit = [(e.action, e.target) for e in await recent_web_audit(db)]
        assert ("visits", "visits:personnel:2026-03-19") in audit


async def test_health_shows_channels_and_what_did_not_arrive(tg: RecordingChannel, runner: JobRunner,
                                                              staff_app: App, clock: FakeClock) -> None:
    await write_request(tg, "5001")
    tg.unreachable.add("5001")  # the client blocked the bot
    card = tg.message_id(STAFF_CHAT, "Обращение №1 ·")
    await tg.send(STAFF, "Справка готова.", chat_id=STAFF_CHAT, reply_to=card, user_name="Мария Кадрова")
    await runner.run_due()
    db = staff_app.services.db
    async with db.unit():  # the morning agenda, refused by the staff chat
        [row] = await put_messages(db, [NewMessage("telegram", STAFF_CHAT, None, None,
                                                   {"reply": {"text": "Повестка дня на 18.03"}},
                                                   department="personnel")], clock.now, timedelta(minutes=1))
        await given_up(db, [row.id], "failed", "chat not found", clock.now)

    async def states() -> list:
        from bot.web import ChannelState

        return [ChannelState("Telegram", True), ChannelState("ВКонтакте", False, "нет ответа от VK API")]

    async with served(staff_app, channel_states=states) as site:
        browser = site.browser()
        await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))
        page = await browser.get("/staff/health")
        assert "подключён — Telegram" in page.text
        assert "не подключён — ВКонтакте: нет ответа от VK API" in page.text
        assert "Не доставлено клиентам: 1" in page.text
        assert "№1 | Ответ клиенту | 17.03.2026 10:00 | Мария Кадрова |" in page.text
        # the answer to the client who blocked the bot, and the agenda
        assert "Сообщения, которые бот не смог доставить: 2" in page.text and "Повестка дня на 18.03" in page.text

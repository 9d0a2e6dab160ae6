"""The queue and the request page of the staff workspace: order and filters, a request's whole
history in time order, the client's files through the workspace, and what staff of another
department (and admins) see."""

from __future__ import annotations

from urllib.parse import quote

from bot.app import App
from bot.scheduler import JobRunner
from handlers.engine import action_payload
from handlers.models import Attachment
from handlers.web_access import new_link
from storage.workspace import Signer, recent_web_audit
from tests.conftest import FakeClock
from tests.requests_helpers import OTHER_CHAT, REQUEST_TEXT, STAFF_CHAT, RecordingChannel, write_request
from tests.web.support import FakeFiles, Page, ask_link, served

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner

STAFF = "9001"  # personnel
OTHER = "9002"  # awards
URGENT_TEXT = "Срочно нужна справка о стаже, завтра сдавать документы в банк."


def numbers(page: Page) -> list[str]:
    """The request numbers in the queue, top to bottom."""
    return [text for text, href in page.links if href.startswith("/staff/requests/")]


async def test_the_queue_puts_the_overdue_first_and_filters(tg: RecordingChannel, staff_app: App,
                                                            clock: FakeClock) -> None:
    await write_request(tg, "5001")  # №1, 17.03: due 16.04
    clock.advance(days=25)
    await write_request(tg, "5002")  # №2, 11.04: due 11.05
    await write_request(tg, "5003", URGENT_TEXT)  # №3: words of urgency, not decided yet
    await tg.send(STAFF, chat_id=STAFF_CHAT, payload=action_payload("rq_take", 2), user_name="Мария Кадрова")
    clock.advance(days=10)  # 21.04: №1 is five days late
    async with served(staff_app) as site:
        browser = site.browser()
        page = await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))
        assert numbers(page) == ["№1", "№2", "№3"]
        assert ("№1 | 16.04.2026 просрочено на 5 дн. | принято | Иные кадровые вопросы | "
                "Получить справку, копию документа | — | не назначен | 17.03.2026 10:00 |") in page.text
        assert "№2 | 11.05.2026 осталось дней: 20 | в работе | Иные кадровые вопросы" in page.text
        assert "| Мария Кадрова | 11.04.2026 10:00 |" in page.text
        assert "№3 | 11.05.2026 осталось дней: 20 | принято" in page.text and "| возможно срочное |" in page.text
        assert "Пётр Сидоров" not in page.text  # the queue names no clients

        async def shown(query: str) -> list[str]:
            return numbers(await browser.get("/staff/?" + query))

        assert await shown("due=overdue") == ["№1"]
        assert await shown("due=soon") == []
        assert await shown("urgency=maybe") == ["№3"]
        assert await shown("urgency=yes") == []
        assert await shown(f"assignee=telegram:{STAFF}") == ["№2"]
        assert await shown("assignee=-") == ["№1", "№3"]
        assert await shown("status=in_work") == ["№2"]
        assert await shown("topic=personnel") == ["№1", "№2", "№3"]
        assert await shown("topic=personnel&need=certificate") == ["№1", "№2", "№3"]  # all three ask for a справка
        assert await shown("topic=personnel&need=complaint") == []
        assert await shown("topic=awards") == ["№1", "№2", "№3"]  # another department's topic: ignored
        page = await browser.get("/staff/?status=answered")
        assert numbers(page) == [] and "Обращений по этому отбору нет." in page.text
        clock.advance(days=17)  # 08.05: №2 and №3 are due within three days
        await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))  # a new working day
        assert await shown("due=soon") == ["№2", "№3"]


async def test_the_request_page_shows_everything_in_time_order(tg: RecordingChannel, runner: JobRunner,
                                                               staff_app: App, clock: FakeClock) -> None:
    scan = Attachment("document", "DOC-1", "справка о стаже.pdf", "application/pdf", 120)
    await write_request(tg, "5001", files=(scan,))
    clock.advance(hours=2)
    card = tg.message_id(STAFF_CHAT, "Обращение №1 · принято")
    await tg.send(STAFF, "Справка готова, заберите в каб. 210.", chat_id=STAFF_CHAT, reply_to=card,
                  user_name="Мария Кадрова")
    await runner.run_due()
    files = FakeFiles()
    files.files["DOC-1"] = b"%PDF-1.4 scan"
    async with served(staff_app, fetch_file=files) as site:
        browser = site.browser()
        await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))
        page = await browser.get("/staff/requests/1")
        assert page.status == 200
        text = page.text
        assert "Обращение №1 дан ответ" in text
        assert "Клиент | Пётр Сидоров, +79110001122" in text
        assert "Срок ответа | 16.04.2026 (обычный), осталось дней: 30" not in text  # answered: no countdown
        assert "Срок ответа | 16.04.2026 (обычный) |" in text
        history = [
            "17.03.2026 10:00 · Клиент\nОбращение\n" + REQUEST_TEXT,
            "справка о стаже.pdf (Telegram)",
            "17.03.2026 10:00 · Клиент\nОбращение зарегистрировано: Иные кадровые вопросы / "
            "Получить справку, копию документа",
            "17.03.2026 12:00 · Мария Кадрова\nОтвет клиенту: доставлено\nСправка готова, заберите в каб. 210.",
            "17.03.2026 12:00 · Мария Кадрова\nСтатус: принято → дан ответ",
            "17.03.2026 12:00 · Бот\nСообщение доставлено клиенту",
        ]
        positions = [text.find(part) for part in history]
        assert -1 not in positions, [p for p in history if p not in text]
        assert positions == sorted(positions)

        status, body, headers = await browser.raw(page.link("справка о стаже.pdf"))
        assert status == 200 and body == b"%PDF-1.4 scan" and files.asked == [("telegram", "DOC-1")]
        assert headers["Content-Type"] == "application/pdf"
        assert headers["Content-Disposition"] == ("attachment; filename=\"file.pdf\"; filename*=UTF-8''"
                                                  + quote("справка о стаже.pdf", safe=""))
        del files.files["DOC-1"]  # the messenger no longer keeps it
        gone = await browser.get(page.link("справка о стаже.pdf"))
        assert gone.status == 502 and "получить его оттуда сейчас не удалось" in gone.text
        missing = await browser.get("/staff/requests/1/files/1/7")
        assert missing.status == 404 and "нет такого файла" in missing.text
        assert (await browser.get("/staff/requests/99")).status == 404
        trail = [(e.action, e.target) for e in await recent_web_audit(staff_app.services.db)]
        assert ("request", "request:1") in trail and ("file", "request:1") in trail


async def test_staff_of_another_department_see_nothing_of_it(tg: RecordingChannel, staff_app: App) -> None:
    await write_request(tg, "5001")  # personnel
    files = FakeFiles()
    files.files["DOC-1"] = b"secret"
    async with served(staff_app, fetch_file=files) as site:
        browser = site.browser()
        page = await browser.sign_in(await ask_link(tg, OTHER, chat=OTHER_CHAT, name="Иван Наградов"))
        assert "Обращения Отдел наградной политики" in page.text
        assert numbers(page) == [] and "Обращений по этому отбору нет." in page.text
        for path in ("/staff/requests/1", "/staff/requests/1/files/1/0"):
            refused = await browser.get(path)
            assert refused.status == 403 and "Обращение №1 — другого отдела." in refused.text
            assert "Пётр" not in refused.html and "справку о стаже" not in refused.html
        assert files.asked == []
        for path in ("/staff/?department=personnel", "/staff/visits?department=personnel",
                     "/staff/health?department=personnel"):
            assert (await browser.get(path)).status == 403
        assert "Отчёты" not in page.text  # not a head
        assert (await browser.get("/staff/reports")).status == 403
        refusals = [e for e in await recent_web_audit(staff_app.services.db) if e.action == "refused"]
        assert {(e.staff_id, e.target, e.detail) for e in refusals} == {
            (f"telegram:{OTHER}", "request:1", "page"), (f"telegram:{OTHER}", "request:1", "file")}

        admin = site.browser()  # STAFF_ADMIN_IDS: every department
        link = await new_link(staff_app.services, Signer("console:admin", "Администратор", ()))
        page = await admin.sign_in(link)
        assert "Обращения Все отделы" in page.text and numbers(page) == ["№1"]
        assert (await admin.get("/staff/requests/1")).status == 200
        assert "Отчёты" in page.text

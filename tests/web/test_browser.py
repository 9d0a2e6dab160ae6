"""The staff workspace in a real browser: Debian's Chromium driven by Playwright (no browser is
downloaded). A head of department signs in with the link the bot sent him, finds the overdue
request in the queue with the keyboard alone, opens it, downloads the quarter's report and opens
the XLSX; screenshots of the main pages are kept (``tmp_path``, and ``CONSULT_SCREENSHOTS`` if set,
e.g. ``docs/screenshots``) to be looked at.

Skipped when /usr/bin/chromium is missing, unless ``CONSULT_REQUIRE_BROWSER=1`` (CI), where that fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.app import App
from bot.scheduler import JobRunner
from storage.survey import save_response
from storage.visits import book_slot
from tests.conftest import FakeClock
from tests.requests_helpers import HEAD, RecordingChannel, write_request
from tests.visits_support import msk
from tests.web.support import ask_link, served
from tests.web.test_reports_pages import a_quarter_of_requests

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner

CHROMIUM = Path(os.environ.get("CONSULT_CHROMIUM", "/usr/bin/chromium"))
REQUIRED = os.environ.get("CONSULT_REQUIRE_BROWSER") == "1"
PRESENT = CHROMIUM.exists()
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not PRESENT and not REQUIRED, reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),  # the pages' SQL is tested on both elsewhere
]


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    if not PRESENT:
        pytest.fail(f"CONSULT_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield chromium
        finally:
            await chromium.close()


class Shots:
    """Screenshots of the pages, kept under the test's directory (and copied for the README)."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.copy_to = Path(os.environ["CONSULT_SCREENSHOTS"]) if os.environ.get("CONSULT_SCREENSHOTS") else None
        self.taken: list[Path] = []

    async def take(self, page: object, name: str) -> None:
        path = self.where / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        self.taken.append(path)
        if self.copy_to is not None:
            self.copy_to.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, self.copy_to / path.name)


async def test_a_head_finds_the_overdue_request_and_downloads_the_quarter(
        browser: object, tg: RecordingChannel, runner: JobRunner, staff_app: App, clock: FakeClock,
        tmp_path: Path) -> None:
    await a_quarter_of_requests(tg, runner, clock)  # №1 on time, №2 late, №3 overdue; now 05.05.2026
    await write_request(tg, "5004", "Прошу подсказать, какие документы нужны для оформления отпуска.")
    db = staff_app.services.db
    await book_slot(db, department="personnel", start=msk(2026, 5, 5, 14, 0), end=msk(2026, 5, 5, 14, 30),
                    capacity=2, channel="telegram", user_id="5001", chat_id="5001", name="Иванов Иван",
                    phone="+79111234567", topic="personnel", priority=None, now=clock.now)
    for answer in ("Скорее удовлетворен", "Скорее удовлетворен", "Скорее не удовлетворен"):
        await save_response(db, "appendix1", {"q1": answer, "q5": 4}, source="menu", on=date(2026, 3, 20))
    shots = Shots(tmp_path / "screenshots")
    async with served(staff_app) as site:
        link = await ask_link(tg, HEAD, name="Ольга Начальникова")  # the bot sent it to his dialogue
        context = await browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1280, "height": 900}, locale="ru-RU", accept_downloads=True)
        page = await context.new_page()
        await page.goto(link)
        assert await page.get_by_role("heading", level=1).inner_text() == "Вход в рабочее место"
        await shots.take(page, "01-login")
        await page.get_by_role("button", name="Войти").click()
        await page.wait_for_url(f"{site.base}/staff/")
        await shots.take(page, "02-queue")

        # keyboard only: the skip link first, then the overdue request's number, then Enter
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "Перейти к содержимому"
        for _ in range(80):
            await page.keyboard.press("Tab")
            if await page.evaluate("document.activeElement.textContent") == "№3":
                break
        else:
            raise AssertionError("the overdue request cannot be reached with Tab")
        row = page.locator("tr", has=page.get_by_role("link", name="№3", exact=True))
        assert "просрочено на 5 дн." in await row.inner_text()
        await page.keyboard.press("Enter")
        await page.wait_for_url(f"{site.base}/staff/requests/3")
        assert "Срок ответа истёк: просрочено на 5 дн." in await page.locator("main").inner_text()
        await shots.take(page, "03-request")

        await page.goto(f"{site.base}/staff/?due=overdue")
        assert await page.get_by_label("Срок", exact=True).input_value() == "overdue"
        numbers = await page.locator("tbody tr td:first-child a").all_inner_texts()
        assert numbers == ["№3"]

        await page.get_by_role("link", name="Отчёты").click()
        await page.get_by_role("link", name="Прошлый квартал").click()
        assert "01.01.2026 – 31.03.2026" in await page.locator("main").inner_text()
        await shots.take(page, "04-report")
        async with page.expect_download() as info:
            await page.get_by_role("link", name="Отчёт, XLSX").click()
        download = await info.value
        assert download.suggested_filename == "requests-personnel-20260101-20260331.xlsx"
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
        book = load_workbook(saved)
        late = [(row[0], row[8]) for row in book["Нарушен срок"].iter_rows(min_row=2, values_only=True)]
        assert late == [(2, "ответ с нарушением срока"), (3, "нет ответа, срок истёк")]

        await page.get_by_role("link", name="Результаты опроса").click()
        await page.wait_for_load_state()
        chart = page.get_by_role("img", name="График: распределение ответов на вопрос 1 (те же числа — в таблице выше)")
        assert await chart.evaluate("img => img.naturalWidth") > 0  # the PNG loaded under the CSP
        await shots.take(page, "05-survey")

        await page.get_by_role("link", name="Приём").click()
        assert "Иванов Иван" in await page.locator("main").inner_text()
        await shots.take(page, "06-visits")
        await page.get_by_role("link", name="Состояние").click()
        await shots.take(page, "07-health")

        phone = await browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="ru-RU",
            storage_state=await context.storage_state())
        small = await phone.new_page()
        await small.goto(f"{site.base}/staff/")
        width = await small.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width}px wide on a phone"  # tables scroll inside their box
        await shots.take(small, "08-queue-phone")
        await small.goto(f"{site.base}/staff/requests/3")
        await shots.take(small, "09-request-phone")
        await phone.close()
        await context.close()
    assert len(shots.taken) == 9 and all(p.stat().st_size > 10_000 for p in shots.taken)

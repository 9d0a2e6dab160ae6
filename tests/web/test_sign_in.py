"""Signing in to the staff workspace: /web in a staff chat or privately gives a one-time link; the
link opens a session of a working day; a used, expired or unknown link says so; forms without
their token are refused; every response carries the security headers."""

from __future__ import annotations

from bot.app import App
from handlers import texts
from handlers.web_access import LINK_MINUTES
from storage.workspace import recent_web_audit
from tests.conftest import FakeClock
from tests.requests_helpers import STAFF_CHAT, RecordingChannel
from tests.web.support import LINK, ask_link, served

pytest_plugins = ["tests.requests_fixtures"]  # staff_app, tg, runner

STAFF = "9001"  # a member of the personnel staff chat


async def test_web_in_the_staff_chat_sends_a_link_privately_and_it_signs_in(tg: RecordingChannel,
                                                                            staff_app: App) -> None:
    async with served(staff_app) as site:
        said = await tg.send(STAFF, "/web", chat_id=STAFF_CHAT, user_name="Мария Кадрова")
        assert said == texts.WEB_LINK_SENT_PRIVATELY
        private = tg.last(STAFF)
        assert private.startswith("Ссылка для входа в рабочее место сотрудника — действует 10 мин.")
        assert "Не пересылайте её" in private
        link = LINK.search(private).group(0)  # type: ignore[union-attr]
        assert link.startswith(staff_app.services.web_base_url + "/staff/login/")
        assert link.split("/")[-1] not in tg.last(STAFF_CHAT)  # never shown in the group

        browser = site.browser()
        page = await browser.get(link)
        assert page.status == 200
        assert "Вход в рабочее место" in page.text and "Ссылка для: Мария Кадрова." in page.text
        page = await browser.get(link)  # a messenger's preview opened it too: still valid
        async with browser.session.post(link[link.index("/staff/"):], data={"nonce": page.hidden["nonce"]},
                               allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/staff/"
            cookie = resp.headers.getall("Set-Cookie")
        session = next(c for c in cookie if c.startswith("consult_staff="))
        assert "HttpOnly" in session and "SameSite=Lax" in session and "Path=/staff/" in session
        assert "Max-Age=32400" in session  # nine hours: a working day
        assert "Secure" not in session  # plain http here; behind https it is Secure (see below)
        page = await browser.get("/staff/")
        assert page.status == 200
        assert "Обращения Отдел кадров Управления" in page.text
        assert "Мария Кадрова" in page.text and "Выйти" in page.text
        trail = await recent_web_audit(staff_app.services.db)
        assert [(e.action, e.staff_id, e.detail) for e in trail] == [("login", f"telegram:{STAFF}", "personnel")]


async def test_a_link_works_once_and_for_ten_minutes(tg: RecordingChannel, staff_app: App, clock: FakeClock) -> None:
    async with served(staff_app) as site:
        link = await ask_link(tg, STAFF, chat=STAFF_CHAT)
        assert (await site.browser().sign_in(link)).status == 200
        again = await site.browser().get(link)
        assert again.status == 410
        assert "Ссылка уже использована" in again.text and "Новую ссылку даёт команда /web" in again.text

        link = await ask_link(tg, STAFF, chat=STAFF_CHAT)
        browser = site.browser()
        page = await browser.get(link)
        clock.advance(minutes=LINK_MINUTES, seconds=1)
        late = await browser.post(link, {"nonce": page.hidden["nonce"]})
        assert late.status == 410 and "Срок действия ссылки истёк" in late.text
        assert (await browser.get("/staff/")).status == 401

        unknown = await browser.get("/staff/login/no-such-link")
        assert unknown.status == 404 and "Ссылка недействительна" in unknown.text
        trail = await recent_web_audit(staff_app.services.db)
        assert [e.detail for e in trail if e.action == "login_refused"] == ["unknown", "expired", "used"]


async def test_the_session_ends_after_a_working_day_and_on_logout(tg: RecordingChannel, staff_app: App,
                                                                   clock: FakeClock) -> None:
    async with served(staff_app) as site:
        browser = site.browser()
        await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))
        clock.advance(hours=8, minutes=59)
        assert (await browser.get("/staff/")).status == 200
        clock.advance(minutes=2)
        page = await browser.get("/staff/")
        assert page.status == 401
        assert "Нужно войти" in page.text and "напишите боту /web" in page.text

        await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))
        page = await browser.logout()
        assert page.status == 200 and "Вы вышли" in page.text
        assert (await browser.get("/staff/")).status == 401


async def test_forms_without_their_token_or_from_another_site_are_refused(tg: RecordingChannel,
                                                                           staff_app: App) -> None:
    async with served(staff_app) as site:
        browser = site.browser()
        page = await browser.sign_in(await ask_link(tg, STAFF, chat=STAFF_CHAT))
        token = page.hidden["csrf"]
        missing = await browser.post("/staff/logout", {})
        assert missing.status == 403 and "Форма не принята" in missing.text
        forged = await browser.post("/staff/logout", {"csrf": "0" * 64})
        assert forged.status == 403
        elsewhere = await browser.post("/staff/logout", {"csrf": token}, headers={"Origin": "https://evil.example"})
        assert elsewhere.status == 403
        cross = await browser.post("/staff/logout", {"csrf": token}, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status == 403
        assert (await browser.get("/staff/")).status == 200  # still signed in: nothing was done
        trail = await recent_web_audit(staff_app.services.db)
        assert [e.action for e in trail].count("forged_form") == 4

        # signing in, too, only from the page the link opened in this browser
        link = await ask_link(tg, STAFF, chat=STAFF_CHAT)
        stranger = site.browser()
        refused = await stranger.post(link, {"nonce": "guessed"})
        assert refused.status == 403 and "Вход не выполнен" in refused.text
        assert (await site.browser().sign_in(link)).status == 200  # the link was not used up


async def test_who_may_ask_for_a_link(tg: RecordingChannel, staff_app: App) -> None:
    async with served(staff_app):
        assert await tg.send("5001", "/web") == texts.STAFF_ONLY  # a citizen
        assert await tg.send("5001", "/web", chat_id="-100999") == texts.STAFF_ONLY  # in some other group
        # a member of the staff chat is staff only there: privately he is nobody
        assert await tg.send(STAFF, "/web") == texts.STAFF_ONLY
    staff_app.services.web_base_url = None
    assert await tg.send(STAFF, "/web", chat_id=STAFF_CHAT) == texts.WEB_NOT_CONFIGURED


async def test_a_link_that_cannot_be_sent_privately_is_explained_in_the_chat(tg: RecordingChannel,
                                                                            staff_app: App) -> None:
    tg.unreachable.add(STAFF)  # never wrote to the bot: Telegram refuses a private message
    async with served(staff_app):
        assert await tg.send(STAFF, "/web", chat_id=STAFF_CHAT) == texts.WEB_LINK_SENT_PRIVATELY
        assert tg.last(STAFF_CHAT) == texts.WEB_LINK_NOT_DELIVERED


async def test_security_headers_on_every_response(tg: RecordingChannel, staff_app: App) -> None:
    async with served(staff_app, base_url="https://bot.example.ru") as site:
        browser = site.browser()
        for path in ("/staff/", "/staff/static/staff.css", "/staff/login/nothing"):
            async with browser.session.get(path) as resp:
                h = resp.headers
                assert h["Content-Security-Policy"].startswith("default-src 'self'; script-src 'none'")
                assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
                assert h["X-Frame-Options"] == "DENY" and h["Referrer-Policy"] == "same-origin"
                assert h["X-Content-Type-Options"] == "nosniff"
                assert (h.get("Cache-Control") == "no-store") == (not path.endswith(".css"))
        link = await ask_link(tg, STAFF, chat=STAFF_CHAT)
        page = await browser.get(link)
        nonce = next(c for c in page.headers.getall("Set-Cookie") if c.startswith("consult_staff_login="))
        assert "Secure" in nonce and "SameSite=Strict" in nonce and "HttpOnly" in nonce
        # over https the browser would send the Secure cookie back; this test client speaks http
        cookie = {"Cookie": f"consult_staff_login={page.hidden['nonce']}", "Origin": "https://bot.example.ru"}
        async with browser.session.post(link[link.index("/staff/"):], data={"nonce": page.hidden["nonce"]},
                                        allow_redirects=False, headers=cookie) as resp:
            session = next(c for c in resp.headers.getall("Set-Cookie") if c.startswith("consult_staff="))
        assert "Secure" in session and "HttpOnly" in session  # the public address is https

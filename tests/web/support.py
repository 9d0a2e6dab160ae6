"""Helpers of the workspace's tests: the workspace served over real HTTP for an app, a staff
member's browser (cookies, forms) that reads pages as text, and a staff member asking the bot for
a sign-in link in a chat."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiohttp import ClientSession, CookieJar, web
from aiohttp.test_utils import TestServer

from bot.app import App
from bot.web import mount_staff
from bot.web.context import FetchedFile
from handlers.models import Attachment
from tests.requests_helpers import RecordingChannel

LINK = re.compile(r"https?://\S+/staff/login/[\w-]+")


class _Text(HTMLParser):
    """The text a person sees (no tags, scripts or styles), with inputs' values."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden: dict[str, str] = {}
        self.links: list[tuple[str, str]] = []
        self._skip = 0
        self._row = 0  # inside a table row: one line
        self._href: str | None = None
        self._label: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("style", "script", "head"):
            self._skip += 1
        if tag == "input" and a.get("type") == "hidden" and a.get("name"):
            self.hidden[a["name"] or ""] = a.get("value") or ""
        if tag == "a":
            self._href, self._label = a.get("href"), []
        if tag == "tr":
            self._row += 1
        if tag in ("p", "li", "tr", "h1", "h2", "dt", "div", "option"):
            self.parts.append("\n")
        if tag == "br":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip -= 1
        if tag == "a" and self._href is not None:
            self.links.append((" ".join("".join(self._label).split()), self._href))
            self._href = None
        if tag in ("td", "th", "dd", "dt"):
            self.parts.append(" | ")
        if tag == "tr":
            self._row -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data.replace("\n", " ") if self._row else data)
            if self._href is not None:
                self._label.append(data)


@dataclass
class Page:
    status: int
    html: str
    headers: Any

    def __post_init__(self) -> None:
        parser = _Text()
        parser.feed(self.html)
        self.hidden = parser.hidden
        self.links = parser.links
        lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
        self.text = "\n".join(line for line in lines if line)

    def link(self, label: str) -> str:
        """The address of the first link whose text contains ``label``."""
        for text, href in self.links:
            if label in text:
                return href
        raise AssertionError(f"no link {label!r} on the page: {[t for t, _ in self.links]}")


class StaffBrowser:
    """One person's browser on the workspace: its own cookies, submits forms."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.session = ClientSession(base_url=site.base, cookie_jar=CookieJar(unsafe=True))
        site.sessions.append(self.session)
        self.last: Page | None = None

    async def get(self, path: str, **kwargs: Any) -> Page:
        async with self.session.get(_path(path), **kwargs) as resp:
            self.last = Page(resp.status, await resp.text(), resp.headers)
        return self.last

    async def raw(self, path: str) -> tuple[int, bytes, Any]:
        async with self.session.get(_path(path)) as resp:
            return resp.status, await resp.read(), resp.headers

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> Page:
        async with self.session.post(_path(path), data=data, **kwargs) as resp:
            self.last = Page(resp.status, await resp.text(), resp.headers)
        return self.last

    async def open_link(self, link: str) -> Page:
        page = await self.get(link)
        assert page.status == 200, page.text
        return page

    async def sign_in(self, link: str) -> Page:
        """Open the link from the bot and press «Войти»; returns the page shown after it."""
        page = await self.open_link(link)
        return await self.post(link, {"nonce": page.hidden["nonce"]})

    async def logout(self) -> Page:
        assert self.last is not None
        return await self.post("/staff/logout", {"csrf": self.last.hidden["csrf"]})


def _path(link: str) -> str:
    """A link from the bot (absolute) or a path of the workspace."""
    return link[link.index("/staff/"):] if "://" in link else link


@dataclass
class Site:
    """The workspace served on a local port."""

    base: str
    sessions: list[ClientSession]

    def browser(self) -> StaffBrowser:
        return StaffBrowser(self)


@asynccontextmanager
async def served(app: App, **options: Any) -> AsyncIterator[Site]:
    """The workspace of ``app`` on a local port; the bot's links point at it."""
    root = web.Application()
    mount_staff(root, app, **options)
    server = TestServer(root)
    await server.start_server()
    site = Site(str(server.make_url("")).rstrip("/"), [])
    app.services.web_base_url = site.base
    try:
        yield site
    finally:
        for session in site.sessions:
            await session.close()
        await server.close()


async def ask_link(ch: RecordingChannel, user: str, *, chat: str | None = None, name: str = "Мария Кадрова") -> str:
    """A staff member writes /web (in a staff chat, or privately); returns the link the bot sent him."""
    await ch.send(user, "/web", chat_id=chat or user, user_name=name)
    for text in reversed(ch.chat(user)):
        if m := LINK.search(text):
            return m.group(0)
    raise AssertionError(f"no sign-in link for {user}: {ch.chat(user)}")


class FakeFiles:
    """The messenger's file storage for the workspace: file id -> content."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.asked: list[tuple[str, str]] = []

    async def __call__(self, attachment: Attachment) -> FetchedFile | None:
        self.asked.append((attachment.channel or "", attachment.file_id or ""))
        content = self.files.get(attachment.file_id or "")
        return None if content is None else FetchedFile(content, "application/pdf")

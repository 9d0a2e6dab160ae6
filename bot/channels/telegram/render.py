"""A core ``Reply`` in Telegram terms: HTML text pieces within the length limits, and keyboards.

Pure functions, no network: the adapter decides where each piece goes (new message or edit).
Every text that comes from flows or content is HTML-escaped, so nothing a user or an editor of
directory.yaml writes can inject markup or break parsing.
"""

from __future__ import annotations

import html
import logging
from urllib.parse import urlsplit

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from handlers import texts
from handlers.models import Document, Reply

log = logging.getLogger(__name__)

TEXT_LIMIT = 4096  # characters of a message after entity parsing
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
MAX_BUTTONS = 100
MAX_ROW = 8  # buttons Telegram shows in one row
LINK_SCHEMES = ("http", "https", "tg")


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units (an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """The number of characters of ``text`` that fit into ``limit`` UTF-16 units."""
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT, first_limit: int | None = None) -> list[str]:
    """Cut a long text into pieces of at most ``limit`` UTF-16 units (``first_limit`` for the
    first one), preferring a paragraph break, then a line break, then a space; never loses text."""
    pieces: list[str] = []
    rest = text
    budget = limit if first_limit is None else first_limit
    while utf16_len(rest) > budget:
        n = _fit(rest, budget)
        cut = -1
        for sep in ("\n\n", "\n", " "):
            at = rest.rfind(sep, 0, n)
            if at >= n // 2:
                cut = at
                break
        if cut <= 0:
            cut = n
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" \n")
        budget = limit
    if rest.strip() or not pieces:
        pieces.append(rest)
    return [p for p in pieces if p.strip()] or [""]


def html_chunks(reply: Reply) -> list[str]:
    """The reply's title (bold) and text as HTML messages, each within the Telegram limit."""
    body = reply.text.strip()
    if not reply.title:
        return [escape(p) for p in split_text(body)] if body else []
    title = reply.title.strip()
    head = f"<b>{escape(title)}</b>"
    if not body:
        return [head]
    room = TEXT_LIMIT - utf16_len(title) - 1
    if room < 200:  # an absurdly long title: let it be a paragraph of its own
        return [escape(p) for p in split_text(f"{title}\n{body}")]
    pieces = split_text(body, first_limit=room)
    return [f"{head}\n{escape(pieces[0])}", *(escape(p) for p in pieces[1:])]


def caption(doc: Document) -> str | None:
    """A file's caption as HTML, or None when it has none or it is too long for a caption."""
    if doc.caption and utf16_len(doc.caption) <= CAPTION_LIMIT:
        return escape(doc.caption)
    return None


def _link_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LINK_SCHEMES and bool(parts.netloc or parts.scheme == "tg")


def inline_keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """Payload buttons carry the payload as callback data as is; links become URL buttons.

    Raises ValueError for a payload over 64 bytes or more than 100 buttons: Telegram would
    refuse the whole message, and flows are meant to make short ids.
    """
    rows: list[list[InlineKeyboardButton]] = []
    total = 0
    for row in reply.buttons:
        buttons: list[InlineKeyboardButton] = []
        for b in row:
            if b.url is not None:
                if not _link_ok(b.url):
                    log.warning("link button %r has an address Telegram refuses: %r", b.label, b.url)
                    continue
                buttons.append(InlineKeyboardButton(text=b.label, url=b.url))
            elif b.payload is not None:
                if not b.payload or len(b.payload.encode()) > CALLBACK_DATA_LIMIT:
                    raise ValueError(f"callback data must be 1-{CALLBACK_DATA_LIMIT} bytes: {b.payload!r}")
                buttons.append(InlineKeyboardButton(text=b.label, callback_data=b.payload))
        total += len(buttons)
        rows += [buttons[i:i + MAX_ROW] for i in range(0, len(buttons), MAX_ROW)]
    if total > MAX_BUTTONS:
        raise ValueError(f"{total} buttons in one message; Telegram allows {MAX_BUTTONS}")
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def contact_keyboard() -> ReplyKeyboardMarkup:
    """The keyboard under the input field with one button that shares the user's own number."""
    return ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text=texts.TG_SHARE_PHONE, request_contact=True)]],
                               resize_keyboard=True, one_time_keyboard=True,
                               input_field_placeholder=texts.TG_PHONE_PLACEHOLDER)

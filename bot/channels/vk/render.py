"""Core replies as VK messages: inline callback keyboards within VK's limits, or a numbered list.

VK inline keyboards hold at most 10 buttons in at most 6 rows of 5, labels up to 40 characters.
A larger menu becomes a numbered list in the text (the engine understands typed numbers: options
first, then «Назад» and «Главное меню», the order of the payload buttons). Messages longer than
9000 characters are split at paragraph or line breaks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from vk_api.keyboard import VkKeyboard, VkKeyboardColor

from handlers import texts
from handlers.models import Attachment, Button, Document, Reply

MAX_TEXT = 9000
MAX_LABEL = 40
MAX_ROW = 5
MAX_ROWS = 6
MAX_INLINE_BUTTONS = 10
MAX_ATTACHMENTS = 10
NAV_PREFIX = "g."  # engine payloads of «Назад» / «Главное меню»: kept as buttons under a long list


@dataclass(frozen=True, slots=True)
class ClientCaps:
    """What the person's VK app can show (``client_info`` of their last message)."""

    inline: bool = True
    callback: bool = True


FULL_CAPS = ClientCaps()


@dataclass(slots=True)
class VkMessage:
    """One ``messages.send``; documents and images are uploaded by the sender first."""

    text: str
    keyboard: str | None = None
    lat: float | None = None
    long: float | None = None
    uploads: list[tuple[str, Document]] = field(default_factory=list)  # ("doc" | "photo", file)
    attachments: list[str] = field(default_factory=list)  # ready attachment ids, e.g. photo-1_2_key


_DANGLING = frozenset("и или а но в во на по для с со о об к ко от из за у не при".split())


def shorten_label(label: str, limit: int = MAX_LABEL) -> str:
    """Fit a button label into ``limit`` characters: drop parentheses first, then cut at a word."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    plain = re.sub(r"\s+([,.;:])", r"\1", " ".join(re.sub(r"\([^)]*\)", " ", label).split()))
    if 0 < len(plain) <= limit:
        return plain
    words = plain[:limit].split(" ")
    if len(words) > 1 and len(" ".join(words[:-1])) >= limit // 2:
        words = words[:-1]  # the last word was cut: drop it
        while len(words) > 1 and words[-1].lower() in _DANGLING:
            words = words[:-1]
    cut = " ".join(words)[:limit - 1]
    return cut.rstrip(" ,.;:—–-") + "…"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at the last paragraph break, else line break, else space, before ``limit``."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            if at > limit // 2:
                parts.append(window[:at].rstrip())
                rest = rest[at + len(sep):].lstrip("\n")
                break
        else:
            parts.append(window)
            rest = rest[limit:]
    parts.append(rest)
    return [p for p in parts if p.strip()] or [""]


def layout(rows: list[list[Button]]) -> list[list[Button]] | None:
    """Rows that fit an inline keyboard, order kept; None if there are too many buttons.

    Rows wider than 5 are wrapped and a link button gets a row of its own (VK draws it wide);
    while there are more than 6 rows the adjacent pair with the fewest buttons is merged (the
    last row, usually navigation, only when nothing else fits)."""
    fitted: list[list[Button]] = []
    for row in rows:
        plain = [b for b in row if not b.url]
        fitted += [plain[i:i + MAX_ROW] for i in range(0, len(plain), MAX_ROW)]
        fitted += [[b] for b in row if b.url]
    if sum(len(r) for r in fitted) > MAX_INLINE_BUTTONS:
        return None
    while len(fitted) > MAX_ROWS:
        pairs = [(i + 1 == len(fitted) - 1, len(fitted[i]) + len(fitted[i + 1]), i) for i in range(len(fitted) - 1)
                 if len(fitted[i]) + len(fitted[i + 1]) <= MAX_ROW
                 and not any(b.url for b in fitted[i] + fitted[i + 1])]
        if not pairs:
            return None
        i = min(pairs)[2]
        fitted[i:i + 2] = [fitted[i] + fitted[i + 1]]
    return fitted


def _is_web_link(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def _keyboard(rows: list[list[Button]]) -> str:
    kb = VkKeyboard(inline=True)
    for n, row in enumerate(rows):
        if n:
            kb.add_line()
        for b in row:
            label = shorten_label(b.label)
            if b.url:
                kb.add_openlink_button(label, b.url)
            else:
                color = VkKeyboardColor.SECONDARY if (b.payload or "").startswith(NAV_PREFIX) \
                    else VkKeyboardColor.PRIMARY
                kb.add_callback_button(label, color=color, payload={"p": b.payload})
    for row in kb.lines:  # vk_api writes "payload": null into a link button; VK's schema has a string or none
        for button in row:
            if button["action"].get("payload") is None:
                button["action"].pop("payload", None)
    return kb.get_keyboard()


def numbered(buttons: list[Button]) -> list[str]:
    return [f"{n}. {b.label}" for n, b in enumerate(buttons, start=1)]


def _buttons_and_text(reply: Reply, caps: ClientCaps) -> tuple[list[str], str | None]:
    """Extra text lines and the keyboard JSON (or None) for the reply's buttons."""
    choices = reply.payload_buttons()
    links = [b for row in reply.buttons for b in row if b.url]
    web = [b for b in links if _is_web_link(b.url or "")]
    lines = [f"🔗 {b.label}: {b.url}" for b in links if b not in web]
    if not caps.inline or not caps.callback:
        lines += [f"🔗 {b.label}: {b.url}" for b in web]
        if choices:
            lines += ["", *numbered(choices), texts.VK_TYPE_NUMBER]
        return lines, None
    kept = [[b for b in row if b.payload is not None or b in web] for row in reply.buttons]
    rows = layout(kept)
    if rows is None:  # too many buttons: numbers in the text, navigation and links stay buttons
        lines += ["", *numbered(choices), texts.VK_TYPE_NUMBER]
        small = [b for b in choices if b.payload and b.payload.startswith(NAV_PREFIX)] + web
        rows = layout([small[i:i + 2] for i in range(0, len(small), 2)])
        if rows is None:
            lines += [f"🔗 {b.label}: {b.url}" for b in web]
            rows = layout([[b for b in small if not b.url]])
    elif any(shorten_label(b.label) != " ".join(b.label.split()) for b in choices):
        lines += ["", texts.VK_FULL_LABELS, *numbered(choices)]  # a shortened label keeps its meaning here
    return lines, (_keyboard(rows) if rows else None)


_VK_FILE = re.compile(r"(photo|doc|video|audio)-?\d+_\d+(_\w+)?")


def _file_attachments(files: tuple[Attachment, ...]) -> list[str]:
    """VK files a person sent (their ids are attachment strings), re-sent as they are."""
    return [f.file_id for f in files if f.file_id and _VK_FILE.fullmatch(f.file_id)]


def render(reply: Reply, caps: ClientCaps = FULL_CAPS) -> list[VkMessage]:
    """The VK messages showing one reply: text parts, the keyboard, place and files on the last."""
    body = f"{reply.title}\n\n{reply.text}" if reply.title else reply.text
    lines, keyboard = _buttons_and_text(reply, caps)
    if reply.venue:
        lines += ["", f"📍 {reply.venue.title}: {reply.venue.address}"]
    for doc in (reply.document, reply.image):
        if doc is not None and doc.caption and doc.caption not in body:
            lines += ["", doc.caption]
    if lines:
        body = body.rstrip() + "\n" + "\n".join(lines)
    parts = split_text(body.strip())
    messages = [VkMessage(text=p) for p in parts]
    last = messages[-1]
    last.keyboard = keyboard
    if reply.venue:
        last.lat, last.long = reply.venue.latitude, reply.venue.longitude
    if reply.document is not None:
        last.uploads.append(("doc", reply.document))
    if reply.image is not None:
        last.uploads.append(("photo", reply.image))
    last.attachments = _file_attachments(reply.files)[:MAX_ATTACHMENTS]
    # Files brought from another messenger: pictures as photos (a picture VK cannot keep as one
    # goes as a document), up to 10 attachments a message, the rest in messages of their own.
    brought = [("photo" if d.mime.startswith("image/") else "doc", d) for d in reply.uploads]
    room = MAX_ATTACHMENTS - len(last.attachments) - len(last.uploads)
    last.uploads += brought[:room]
    for at in range(room, len(brought), MAX_ATTACHMENTS):
        messages.append(VkMessage(text="", uploads=brought[at:at + MAX_ATTACHMENTS]))
    return messages


def button_payload(raw: object) -> str | None:
    """The core payload of a VK button: ``{"p": ...}`` as an object or a JSON string."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if isinstance(raw, dict) and isinstance(raw.get("p"), str):
        return raw["p"]
    return None

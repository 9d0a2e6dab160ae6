"""A core ``Reply`` as MAX messages (``NewMessageBody``), within every limit MAX enforces.

Pure functions, no network: the sender uploads the files, sends the messages in order and decides
whether a navigation screen edits the message it came from (``PUT /messages``).

- Text in the HTML format: the title in bold, everything from flows and content escaped, so nothing
  a person or an editor of directory.yaml writes can inject markup. At most 4000 characters a
  message, counted on the HTML as sent (in UTF-16 units, the stricter count): a longer answer is
  split at a paragraph break, else a line break, else a space.
- An inline keyboard on the last text part: payload buttons become ``callback`` buttons (text at most
  128 characters, shortened at a word; payload at most 1024, longer is a bug of the flow and
  raises), links ``link`` buttons (http/https only), the phone a ``request_contact`` button. At most
  7 buttons a row, 3 in a row holding a link, contact or location button, 30 rows.
- A venue: a line with its address (unless the text has it) and a map link button (unless the
  reply has a link already) on the text, then a location message.
- Documents and images: one message each, uploaded by the sender; files a person sent in MAX are
  sent again by their tokens.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.channels.max.types import AttachmentRequest, Button, NewMessageBody, UploadType
from handlers import texts
from handlers.models import Attachment, Document, Reply, Venue

log = logging.getLogger(__name__)

TEXT_LIMIT = 4000
BUTTON_TEXT_LIMIT = 128
PAYLOAD_LIMIT = 1024
URL_LIMIT = 2048
MAX_ROW = 7
MAX_ROW_SPECIAL = 3  # in a row with a link, contact or location button
MAX_ROWS = 30
SPECIAL = frozenset({"link", "request_contact", "request_geo_location"})
# A person's files sent again in MAX by their token: core attachment kind -> MAX attachment type.
RESEND: dict[str, UploadType] = {"photo": "image", "document": "file", "video": "video", "voice": "audio"}


@dataclass(slots=True)
class MaxMessage:
    """One ``POST /messages``; ``upload`` is a file the sender uploads and attaches first."""

    body: NewMessageBody
    upload: tuple[UploadType, Document] | None = None


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def html_size(text: str) -> int:
    """The size MAX sees of a plain ``text`` once escaped for the HTML format."""
    return utf16_len(escape(text))


def _fit(text: str, limit: int, size: Callable[[str], int]) -> int:
    """The longest prefix of ``text`` whose ``size`` is within ``limit`` (sizes grow with length)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if size(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def split_text(text: str, limit: int = TEXT_LIMIT, *, first_limit: int | None = None,
               size: Callable[[str], int] = html_size) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` (``first_limit`` for the first), preferring a
    paragraph break, then a line break, then a space; no text is lost."""
    pieces: list[str] = []
    rest = text.strip()
    budget = limit if first_limit is None else first_limit
    while size(rest) > budget:
        n = max(_fit(rest, budget, size), 1)
        cut = 0
        for sep in ("\n\n", "\n", " "):
            at = rest.rfind(sep, 0, n)
            if at >= n // 2:
                cut = at
                break
        cut = cut or n
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip(" \n")
        budget = limit
    pieces.append(rest)
    return [p for p in pieces if p.strip()]


def shorten(label: str, limit: int = BUTTON_TEXT_LIMIT) -> str:
    """A button text within ``limit`` characters, cut at a word with «…»."""
    label = " ".join(label.split())
    if len(label) <= limit:
        return label
    cut = label[:limit - 1]
    if " " in cut[limit // 2:]:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,.;:—–-") + "…"


def _link_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and len(url) <= URL_LIMIT


def map_url(venue: Venue) -> str:
    return f"https://yandex.ru/maps/?pt={venue.longitude:.6f},{venue.latitude:.6f}&z=17&l=map"


def _buttons(reply: Reply) -> list[list[Button]]:
    rows: list[list[Button]] = []
    if reply.request_contact:
        rows.append([{"type": "request_contact", "text": texts.MAX_SHARE_PHONE}])
    for row in reply.buttons:
        buttons: list[Button] = []
        for b in row:
            if b.url is not None:
                if _link_ok(b.url):
                    buttons.append({"type": "link", "text": shorten(b.label), "url": b.url})
                else:
                    log.warning("link button %r has an address MAX refuses: %r", b.label, b.url)
            elif b.payload is not None:
                if not b.payload or len(b.payload) > PAYLOAD_LIMIT:
                    raise ValueError(f"a MAX callback payload must be 1-{PAYLOAD_LIMIT} characters: {b.payload!r}")
                buttons.append({"type": "callback", "text": shorten(b.label), "payload": b.payload})
        width = MAX_ROW_SPECIAL if any(b["type"] in SPECIAL for b in buttons) else MAX_ROW
        rows += [buttons[i:i + width] for i in range(0, len(buttons), width)]
    if reply.venue is not None and not any(b["type"] == "link" for row in rows for b in row):
        # MAX shows a location without its name or address: a map link too, unless the flow gave one
        rows.append([{"type": "link", "text": texts.MAX_OPEN_MAP, "url": map_url(reply.venue)}])
    return _merge(rows)


def _merge(rows: list[list[Button]]) -> list[list[Button]]:
    """At most 30 rows: merge the adjacent pair of callback rows with the fewest buttons that fits."""
    while len(rows) > MAX_ROWS:
        pairs = [(len(rows[i]) + len(rows[i + 1]), i) for i in range(len(rows) - 1)
                 if len(rows[i]) + len(rows[i + 1]) <= MAX_ROW
                 and not any(b["type"] in SPECIAL for b in rows[i] + rows[i + 1])]
        if not pairs:
            raise ValueError(f"{sum(map(len, rows))} buttons do not fit a MAX keyboard of {MAX_ROWS} rows")
        i = min(pairs)[1]
        rows[i:i + 2] = [rows[i] + rows[i + 1]]
    return rows


def keyboard(reply: Reply) -> AttachmentRequest | None:
    rows = _buttons(reply)
    return {"type": "inline_keyboard", "payload": {"buttons": rows}} if rows else None


def text_parts(reply: Reply) -> list[str]:
    """The reply's title (bold) and text as HTML messages, each within the limit."""
    body = reply.text.strip()
    if reply.venue is not None and reply.venue.address not in body:  # a location shows no address
        line = texts.MAX_VENUE.format(title=reply.venue.title, address=reply.venue.address)
        body = f"{body}\n\n{line}" if body else line
    for doc in (reply.document, reply.image):
        if doc is not None and doc.caption and doc.caption.strip() not in body:
            body = f"{body}\n\n{doc.caption.strip()}" if body else doc.caption.strip()
    if not reply.title:
        return [escape(p) for p in split_text(body)]
    head = f"<b>{escape(reply.title.strip())}</b>"
    if not body:
        return [head]
    room = TEXT_LIMIT - utf16_len(head) - 1
    if room < 200:  # an absurdly long title: a paragraph of its own
        return [escape(p) for p in split_text(f"{reply.title.strip()}\n{body}")]
    pieces = split_text(body, first_limit=room)
    return [f"{head}\n{escape(pieces[0])}", *(escape(p) for p in pieces[1:])]


def resend(files: tuple[Attachment, ...]) -> list[AttachmentRequest]:
    """Files a person sent in MAX, attached again by their tokens."""
    return [{"type": RESEND[f.kind], "payload": {"token": f.file_id}} for f in files
            if f.kind in RESEND and f.file_id]


def render(reply: Reply) -> list[MaxMessage]:
    """The MAX messages showing one reply, in order: text parts (the keyboard on the last), the
    location of a venue, the document, the image, the person's files sent again."""
    parts = text_parts(reply)
    board = keyboard(reply)
    messages = [MaxMessage({"text": p, "format": "html"}) for p in parts]
    if board is not None:
        if not messages:
            messages.append(MaxMessage({"text": None}))
        messages[-1].body["attachments"] = [board]
    if reply.venue is not None:
        v = reply.venue
        messages.append(MaxMessage({"attachments": [{"type": "location", "latitude": v.latitude,
                                                      "longitude": v.longitude}]}))
    if reply.document is not None:
        messages.append(MaxMessage({"attachments": []}, ("file", reply.document)))
    if reply.image is not None:
        messages.append(MaxMessage({"attachments": []}, ("image", reply.image)))
    messages += [MaxMessage({"attachments": [a]}) for a in resend(reply.files)]
    return messages


def edit_body(reply: Reply) -> NewMessageBody | None:
    """The new content for a screen edited in place, or None when the reply needs more than one
    message (a long text, a venue, a file): then it is sent as new messages."""
    messages = render(reply)
    if len(messages) != 1 or messages[0].upload is not None:
        return None
    body = dict(messages[0].body)
    body.setdefault("attachments", [])  # an edit without a keyboard removes the old one
    return body  # type: ignore[return-value]

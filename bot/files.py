"""Files crossing channels: a photo a VK client sent reaches a Telegram staff chat as a photo, a
document a Telegram staff member attached to his answer reaches a VK client and the e-mail copy.

A file travels in ``Reply.files`` as the ``Attachment`` of the platform it came from. On that
platform it is re-sent by its id (no download). For any other, the sender (bot.delivery), after
the event's unit of work has committed, asks the source channel to ``fetch`` it (Telegram
``getFile``, VK the attachment's link) and hands the bytes to the target channel as
``Reply.uploads``; a file past ``FILE_MAX_MB``, or one the source no longer gives, becomes a
line in the message saying so. A file is fetched once per delivery batch, however many
destinations it goes to. File names and links are personal data: the log says only the kind.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.channels.base import FileUnavailable
from handlers import texts
from handlers.models import Attachment, Document, Outgoing, Reply

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


def _name(f: Attachment) -> str:
    return f.filename or texts.FILE_KINDS.get(f.kind, texts.FILE_KINDS["other"])


class FileCarrier:
    """Brings the files of a batch of messages over to their targets (one per ``Sender.deliver``)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.limit = app.settings.file_max_mb * 1024 * 1024
        self._fetched: dict[tuple[str, str], Document | FileUnavailable] = {}

    async def prepare(self, out: Outgoing) -> Reply:
        """``out.reply`` as its target channel can send it: files of that channel stay files,
        others are fetched into ``uploads`` (or noted in the text when they cannot be)."""
        reply = out.reply
        target = out.address.channel
        foreign = [f for f in reply.files if f.channel and f.channel != target]
        if not foreign:
            return reply
        uploads, notes = list(reply.uploads), []
        for f in foreign:
            got = await self._fetch(f)
            if isinstance(got, Document):
                uploads.append(got)
                continue
            channel = texts.CHANNEL_NAMES.get(f.channel or "", f.channel or "")
            notes.append((texts.FILE_TOO_BIG if got.too_big else texts.FILE_UNAVAILABLE).format(
                name=_name(f), channel=channel, limit=self.app.settings.file_max_mb))
        text = reply.text
        if notes:
            if out.staff and self.app.services.web_base_url:
                notes.append(texts.FILE_STAFF_HINT)
            text = f"{text}\n\n" + "\n".join(notes)
        return replace(reply, text=text, files=tuple(f for f in reply.files if f not in foreign),
                       uploads=tuple(uploads))

    async def _fetch(self, f: Attachment) -> Document | FileUnavailable:
        key = (f.channel or "", f.file_id or f.url or "")
        if key not in self._fetched:
            self._fetched[key] = await self._bring(f)
        return self._fetched[key]

    async def _bring(self, f: Attachment) -> Document | FileUnavailable:
        if f.size is not None and f.size > self.limit:
            return FileUnavailable("past the limit", too_big=True)
        source = self.app.channels.get(f.channel or "")
        if source is None:
            log.warning("a %s from %s not brought over: that channel is not running here", f.kind, f.channel)
            return FileUnavailable("the channel is not running")
        try:
            doc = await source.fetch(f, self.limit)
        except FileUnavailable as exc:
            log.warning("a %s from %s not brought over: %s", f.kind, f.channel, exc)
            return exc
        except Exception as exc:  # a channel's bug must not cost the message itself
            log.error("a %s from %s not brought over: %s", f.kind, f.channel, type(exc).__name__)
            return FileUnavailable(type(exc).__name__)
        if len(doc.content) > self.limit:
            return FileUnavailable("past the limit", too_big=True)
        return doc

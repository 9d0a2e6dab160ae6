"""Rendered MAX messages out, in order: files uploaded first, then each message sent (paced and
retried by the client). The channel calls this with ``render(reply)``."""

from __future__ import annotations

from bot.channels.max.api import MaxApi, MaxApiError
from bot.channels.max.render import MaxMessage
from bot.channels.max.types import Message


async def deliver(api: MaxApi, messages: list[MaxMessage], *, chat_id: int | None = None,
                  user_id: int | None = None) -> list[Message]:
    """Send ``messages`` to a chat (or a person); returns what MAX made of them, in order.

    A failure stops the rest (later parts make no sense without the earlier ones) and is raised as
    ``MaxApiError`` with the messages sent before it in ``exc.sent``."""
    sent: list[Message] = []
    for message in messages:
        body = dict(message.body)
        try:
            if message.upload is not None:
                kind, doc = message.upload
                attachment = await api.upload(kind, doc.filename, doc.content, doc.mime)
                body["attachments"] = [*(body.get("attachments") or []), attachment]
            sent.append(await api.send_message(body, chat_id=chat_id, user_id=user_id))  # type: ignore[arg-type]
        except MaxApiError as exc:
            exc.sent = sent
            raise
    return sent

"""Helpers of the written-request tests: a channel that records what it delivers (and can play a
client who blocked the bot), people who write through it, and an app with staff chats configured."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.app import App
from bot.channels.antiflood import MemoryFloodGuard
from bot.channels.base import Channel, FileUnavailable, Here, SendFailed, Unreachable
from bot.channels.console import render_text
from bot.settings import Settings
from handlers.models import Address, Attachment, Document, Event, Outgoing, Reply

STAFF_CHAT = "-1001"  # the personnel department's chat
OTHER_CHAT = "-1002"  # the awards department's chat
HEAD = "777"  # head of the personnel department


class _Recorder(Channel):
    """The channel itself: keeps what it sends, refuses chats of people who blocked the bot."""

    def __init__(self, app: App, owner: RecordingChannel) -> None:
        super().__init__(app, flood=MemoryFloodGuard(1000, 1000))
        self.owner = owner

    async def send(self, address: Address, reply: Reply, *, key: str, here: Here | None = None) -> list[str]:
        if address.chat_id in self.owner.unreachable:
            raise Unreachable("blocked by the user")
        if address.chat_id in self.owner.down:
            raise SendFailed("the chat cannot be reached for now", transient=True)
        self.owner._next += 1
        message_id = str(self.owner._next)
        self.owner.sent.append((message_id, Outgoing(address, reply)))
        if here is not None:
            self.owner._shown.append(render_text(reply))
        return [message_id]

    async def fetch(self, attachment: Attachment, limit: int) -> Document:
        content = self.owner.files.get(attachment.file_id or "")
        if content is None:
            raise FileUnavailable("no such file")
        return Document(attachment.filename or "file.bin", content, attachment.mime or "application/octet-stream")

    async def edit(self, address: Address, message_id: str, reply: Reply) -> bool:
        """Like Telegram: the bot's own message gets the new text and loses its buttons."""
        if address.chat_id in self.owner.down:
            raise SendFailed("the chat cannot be reached for now", transient=True)
        for i, (sent_id, out) in enumerate(self.owner.sent):
            if sent_id == message_id and out.address.chat_id == address.chat_id:
                self.owner.sent[i] = (sent_id, Outgoing(out.address, Reply(reply.text, tag=out.reply.tag)))
                self.owner.edited.append((address.chat_id, message_id))
                return True
        raise SendFailed("message to edit not found", transient=False)


@dataclass
class RecordingChannel:
    """A channel that keeps every message it sends, with message ids; card tags are recorded as by
    every channel (so that staff replies to cards can be matched)."""

    app: App
    name: str = "telegram"
    unreachable: set[str] = field(default_factory=set)  # chat ids whose users blocked the bot
    files: dict[str, bytes] = field(default_factory=dict)  # file id -> content, for other channels to fetch
    down: set[str] = field(default_factory=set)  # chat ids that cannot be reached for now (sending fails)
    edited: list[tuple[str, str]] = field(default_factory=list)  # (chat id, message id) of edited messages
    sent: list[tuple[str, Outgoing]] = field(default_factory=list)
    _next: int = 100
    _shown: list[str] = field(default_factory=list)
    channel: _Recorder = field(init=False)

    def __post_init__(self) -> None:
        self.channel = _Recorder(self.app, self)
        self.channel.name = self.name  # type: ignore[misc]
        self.app.add_channel(self.channel)

    def chat(self, chat_id: str) -> list[str]:
        return [render_text(o.reply) for _, o in self.sent if o.address.chat_id == chat_id]

    def last(self, chat_id: str) -> str:
        texts = self.chat(chat_id)
        return texts[-1] if texts else ""

    def message_id(self, chat_id: str, contains: str) -> str:
        """The id of the latest message in a chat whose text contains the words."""
        for message_id, out in reversed(self.sent):
            if out.address.chat_id == chat_id and contains in out.reply.text:
                return message_id
        raise AssertionError(f"no message with {contains!r} in chat {chat_id}")

    def outgoing(self, chat_id: str) -> list[Outgoing]:
        return [o for _, o in self.sent if o.address.chat_id == chat_id]

    async def send(self, user_id: str, text: str | None = None, *, chat_id: str | None = None,
                   payload: str | None = None, reply_to: str | None = None,
                   attachments: tuple[Attachment, ...] = (), user_name: str | None = None,
                   thread_id: int | None = None) -> str:
        """One event from a person (in a group when ``chat_id`` is not his own, optionally in a forum
        topic); returns what he sees in this chat (other messages are delivered)."""
        chat = chat_id or user_id
        event = Event(channel=self.name, user_id=user_id, chat_id=chat, text=text, payload=payload,
                      reply_to=reply_to, attachments=attachments, user_name=user_name, thread_id=thread_id,
                      group=chat != user_id)
        self._shown = []
        await self.channel.receive(event, Here(chat, user_id, thread_id=thread_id))
        shown, self._shown = self._shown, []
        return "\n\n".join(shown)

    def buttons(self, chat_id: str) -> dict[str, str]:
        """Label -> payload of the buttons of the last message with buttons in the chat."""
        for _, out in reversed(self.sent):
            if out.address.chat_id == chat_id and out.reply.buttons:
                return {b.label: b.payload or "" for row in out.reply.buttons for b in row}
        return {}


def staff_settings(settings: Settings, **extra: object) -> Settings:
    values = settings.model_dump()
    values.update(staff_chats=f"personnel={STAFF_CHAT};awards={OTHER_CHAT}",
                  department_heads=f"personnel=telegram:{HEAD}")
    values.update(extra)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


REQUEST_TEXT = "Прошу выдать справку о стаже работы в отделе кадров для оформления пенсии."


async def write_request(ch: RecordingChannel, user: str, text: str = REQUEST_TEXT, *, extra: str = "1",
                        email: str | None = None, files: tuple[Attachment, ...] = ()) -> str:
    """A citizen writes a request from the main menu to the end; returns the confirmation he sees."""
    await ch.send(user, "привет")
    await ch.send(user, "Написать в отдел")
    await ch.send(user, text, attachments=files)
    await ch.send(user, "Готово")
    await ch.send(user, "Согласен(на)")
    await ch.send(user, "Пётр Сидоров")
    await ch.send(user, "+7 911 000-11-22")
    answer = await ch.send(user, extra)
    if extra != "1":  # a copy by e-mail or a call back: a purpose of its own, its own consent
        assert "Согласие на обработку персональных данных" in answer
        await ch.send(user, "Согласен(на)")
    if email:
        await ch.send(user, email)
    return await ch.send(user, "Отправить")

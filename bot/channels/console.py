"""The console channel: the same conversations in a terminal, no tokens needed.

Buttons are numbered; type the number, the label or anything else. Works interactively and with
piped input (``printf '1\\n2\\n' | consult-bot demo`` prints the whole transcript and exits at the
end of input). Messages the bot sends to staff or to other people are printed, clearly marked.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, TextIO

from bot.channels.antiflood import Verdict
from bot.channels.base import Channel, Here
from handlers import texts
from handlers.models import Address, Event, Reply

if TYPE_CHECKING:
    from bot.app import App

RULE = "─" * 60


def render_text(reply: Reply, files_dir: Path | None = None) -> str:
    """A reply as a person sees it in the terminal; payload buttons numbered from 1."""
    lines: list[str] = []
    if reply.title:
        lines.append(f"【{reply.title}】")
    lines.append(reply.text)
    number = 0
    for row in reply.buttons:
        for b in row:
            if b.url:
                lines.append(f"   🔗 {b.label}: {b.url}")
            else:
                number += 1
                lines.append(f"  {number}. {b.label}")
    if reply.venue:
        v = reply.venue
        lines.append(f"   📍 {v.title}: {v.address}")  # the map is a link button of the reply
    for doc in (reply.document, reply.image, *reply.uploads):
        if doc is None:
            continue
        if files_dir is not None:
            files_dir.mkdir(parents=True, exist_ok=True)
            path = files_dir / doc.filename
            path.write_bytes(doc.content)
            lines.append(f"   📎 Файл «{doc.filename}» сохранён: {path}")
        else:
            lines.append(f"   📎 Файл «{doc.filename}» ({len(doc.content)} байт)")
    for f in reply.files:
        lines.append(f"   📎 {f.filename or f.kind} (файл {f.file_id})")
    if reply.request_contact:
        lines.append("   (можно написать номер телефона)")
    return "\n".join(lines)


class ConsoleChannel(Channel):
    """The console user's own answers are collected into what ``send_line`` returns; messages for
    staff and for other people (any channel: the demo runs no messenger) are printed in a frame."""

    name: ClassVar[str] = "console"

    def __init__(self, app: App, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 user_id: str = "console", files_dir: Path | None = None) -> None:
        super().__init__(app, flood=_NoFlood())
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.user_id = user_id
        self.files_dir = files_dir if files_dir is not None else app.settings.data_dir / "console-files"
        self.interactive_tty = bool(getattr(self.stdin, "isatty", lambda: False)())
        self._shown: list[str] = []
        self._count = 0

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def send(self, address: Address, reply: Reply, *, key: str, here: Here | None = None) -> list[str]:
        self._count += 1
        if here is not None and address.channel == self.name and address.chat_id == here.chat_id:
            self._shown.append(render_text(reply, self.files_dir))  # the answer to what was just typed
        else:
            # Only what a client receives names its user; staff chats and mailboxes do not.
            who = "ПИСЬМО" if address.channel == "email" else "КЛИЕНТУ" if address.user_id else "СОТРУДНИКАМ"
            self._print(f"\n┏━━ {who} ({address.channel}:{address.chat_id}) ━━")
            self._print("\n".join("┃ " + line for line in render_text(reply, self.files_dir).splitlines()))
            self._print("┗" + "━" * 40)
        return [str(self._count)]

    async def edit(self, address: Address, message_id: str, reply: Reply) -> bool:
        """The terminal cannot change what it printed: it prints the new wording, marked."""
        self._print(f"\n┏━━ ИЗМЕНЕНО СООБЩЕНИЕ {message_id} ({address.channel}:{address.chat_id}) ━━")
        self._print("\n".join("┃ " + line for line in render_text(reply).splitlines()))
        self._print("┗" + "━" * 40)
        return True

    def _event(self, text: str | None) -> Event:
        return Event(channel=self.name, user_id=self.user_id, chat_id=self.user_id, text=text, user_name="Гость")

    async def send_line(self, text: str) -> str:
        """Feed one line as the console user and return what the bot showed him (tests use it too)."""
        self._shown = []
        await self.receive(self._event(text), Here(self.user_id, self.user_id))
        shown, self._shown = self._shown, []
        return "\n\n".join(shown)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        self._print(RULE)
        self._print("consult-bot — консольный режим. Пишите вопрос или номер варианта; "
                    "«помощь» — подсказка, Ctrl+D — выход.")
        self._print(RULE)
        resumed = await self.app.engine.resume(self._event(None))
        if resumed:  # the conversation was interrupted (Ctrl+D, a crash): continue where it stopped
            self._print(texts.RESUMED)
            self._print("\n\n".join(render_text(o.reply, self.files_dir) for o in resumed))
        else:
            self._print(await self.send_line("/start"))
        while True:
            if self.interactive_tty:
                self.stdout.write("\n> ")
                self.stdout.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            line = line.rstrip("\n")
            if not self.interactive_tty:
                self._print(f"\n> {line}")
            self._print(await self.send_line(line))
        self._print("\nДо свидания!")


class _NoFlood:
    """The console is one person at a keyboard (and the tests' fast dialogues): no flood gate."""

    async def check(self, key: str) -> Verdict:
        return Verdict.PASS

    async def close(self) -> None:
        return None

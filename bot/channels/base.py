"""What every channel shares; a channel module only translates.

A channel turns its platform's updates into ``Event`` s and calls ``receive``, and implements
``send``: show one ``Reply`` in a chat and return the ids of the messages it became. Everything
else is done here, once for all channels:

- the flood gate (``FLOOD_RATE``/``FLOOD_BURST`` per person; one polite warning per flood);
- strict order in a chat: the events of one chat are handled and answered one after another;
- the unit of work of the event (the engine), then its committed messages through the outbox
  sender, then the screen, shown at once (a menu may replace the message whose button was pressed);
- recording the ids of tagged messages (a staff member may reply to a card), marking a person who
  blocked the bot unreachable, telling transient failures (worth retrying) from permanent ones;
- start, stop, draining what is in flight, and health for ``/healthz``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from bot.channels.antiflood import FloodGuard, Verdict, flood_guard
from handlers import texts
from handlers.engine import GLOBAL_PREFIX, Handled
from handlers.models import Address, Attachment, Button, Document, Event, Outgoing, Reply
from storage.clients import mark_unreachable
from storage.locks import KeyedLocks
from storage.sent import record_sent

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """A message was not delivered. ``transient``: the network, a server error, a rate limit
    beyond the retry budget — the outbox tries again later; otherwise the platform refused it."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


class TransientSendError(SendFailed):
    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=True)


class Unreachable(SendFailed):
    """The recipient cannot receive messages from the bot (blocked it, left, chat deleted)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, transient=False)


class FileUnavailable(Exception):
    """A file a person sent cannot be brought over: ``too_big`` (past ``FILE_MAX_MB``), or the
    platform gives it no more (no link, expired, the network after retries)."""

    def __init__(self, reason: str, *, too_big: bool = False) -> None:
        super().__init__(reason)
        self.too_big = too_big


@dataclass(slots=True)
class Here:
    """The chat an event came from: where its answers are shown."""

    chat_id: str
    user_id: str
    thread_id: int | None = None
    pressed: str | None = None  # the message whose button was pressed: a menu may replace it
    update_id: str | None = None
    shown: int = 0  # messages shown for this event so far
    reachable: bool = True
    extra: dict[str, Any] = field(default_factory=dict)  # what only the channel needs


class Channel:
    """Base of every channel. Subclasses set ``name`` and implement ``send`` (and ``run`` when they
    receive on their own)."""

    name: ClassVar[str]
    # Whether people can write to the bot here (the console and e-mail only show what is sent).
    interactive: ClassVar[bool] = True

    def __init__(self, app: App, *, flood: FloodGuard | None = None) -> None:
        self.app = app
        self.services = app.services
        settings = app.settings
        self.flood = flood if flood is not None else flood_guard(settings.flood_rate, settings.flood_burst,
                                                                 settings.redis_url)
        self._order = KeyedLocks()  # answers in one chat go out in the order of its events
        self._inflight: set[asyncio.Task[Any]] = set()
        self.connected = False

    # ------------------------------------------------------------------ to implement
    async def send(self, address: Address, reply: Reply, *, key: str, here: Here | None = None) -> list[str]:
        """Show ``reply`` in ``address``'s chat; the ids of the messages sent. ``key`` is stable for
        one logical message (an outbox row), for platforms that recognise a repeated send; ``here``
        is given when the reply answers the event being handled in that chat. Raises
        ``Unreachable`` or ``SendFailed``."""
        raise NotImplementedError

    async def fetch(self, attachment: Attachment, limit: int) -> Document:
        """The bytes of a file a person sent through this channel, for another channel to upload
        (at most ``limit`` bytes). Raises ``FileUnavailable``; a channel that cannot fetch files
        leaves this as it is."""
        raise FileUnavailable(f"{self.name} cannot fetch files")

    async def edit(self, address: Address, message_id: str, reply: Reply) -> bool:
        """Replace the text of a message the bot sent to ``address`` earlier (its buttons go); False
        where the platform does not let a bot edit its messages. Raises ``SendFailed`` (transient:
        worth trying later; otherwise the message can no longer be edited)."""
        return False

    async def run(self, stop: asyncio.Event) -> None:
        """Receive until ``stop`` is set (polling, a webhook server...)."""
        self.connected = True
        try:
            await stop.wait()
        finally:
            self.connected = False

    def health(self) -> dict[str, Any]:
        return {"connected": self.connected}

    # ------------------------------------------------------------------ shared
    async def receive(self, event: Event, here: Here) -> Handled | None:
        """One event: flood gate, the chat's turn, the unit of work, delivery. Never raises; None
        when the event was dropped as a flood."""
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            verdict = await self.flood.check(f"{self.name}:{event.user_id}")
            if event.payload is not None:  # a press is acknowledged at once, a flood notice on it
                await self.acknowledge(here, texts.FLOOD if verdict is Verdict.WARN else None)
            if verdict is not Verdict.PASS:
                log.info("%s: flood from user %s, an update dropped (%s)", self.name, event.user_id, verdict.value)
                if verdict is Verdict.WARN and event.payload is None:
                    await self.notice(here, Reply(texts.FLOOD))
                return None
            admitted = self.app.admission.check(f"{self.name}:{event.user_id}")
            if admitted is not Verdict.PASS:
                log.info("%s: busy, an update of user %s not admitted (%s)", self.name, event.user_id, admitted.value)
                if admitted is Verdict.WARN:
                    await self.notice(here, Reply(texts.BUSY))
                return None
            try:
                async with self._order.hold((self.name, here.chat_id)):
                    handled = await self.app.engine.handle(event)
                    await self.answer(handled, here)
                    return handled
            finally:
                self.app.admission.done()
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def acknowledge(self, here: Here, notice: str | None) -> None:
        """A button press, before it is handled: platforms that show a spinner until the press is
        answered (Telegram) answer it here, with a short notice if there is one."""
        if notice:
            await self.notice(here, Reply(notice))

    async def answer(self, handled: Handled, here: Here) -> None:
        """The event's committed messages (through the outbox sender), then its screen."""
        try:
            await self.app.sender.deliver(handled.messages, here=here, via=self)
            for out in handled.screen:
                if here.reachable:
                    await self.show(out, here)
        except Exception:
            log.exception("%s: could not show the answer in chat %s", self.name, here.chat_id)

    async def show(self, out: Outgoing, here: Here | None) -> list[str] | None:
        """Send one message that is not kept in the outbox (a screen, a notice); None if it could
        not be shown (the reason is logged)."""
        try:
            # Shown again for a redelivered update: the same key, so VK shows it once.
            key = f"screen:{here.update_id}:{here.shown}" if here and here.update_id else _fresh_key()
            ids = await self.send(out.address, out.reply, key=key, here=here)
        except Unreachable as exc:
            await self.unreachable(out.address, str(exc))
            if here is not None:
                here.reachable = False
            return None
        except SendFailed as exc:
            log.error("%s: an answer in chat %s could not be shown: %s", self.name, out.address.chat_id, exc)
            if not exc.transient and here is not None and here.shown == 0:
                await self.apologize(here)  # the person would see nothing at all
            return None
        if here is not None:
            here.shown += len(ids)
        if out.reply.tag:
            await record_sent(self.services.db, self.name, out.address.chat_id, ids, out.reply.tag,
                              self.services.clock())
        return ids

    async def deliver(self, out: Outgoing) -> bool:
        """Send one message now, outside the outbox: True delivered, False refused or the recipient
        is unreachable (marked so); raises ``SendFailed`` when it is worth trying again later."""
        try:
            ids = await self.send(out.address, out.reply, key=_fresh_key())
        except Unreachable as exc:
            await self.unreachable(out.address, str(exc))
            return False
        except SendFailed as exc:
            if exc.transient:
                raise
            log.warning("%s: a message to chat %s refused: %s", self.name, out.address.chat_id, exc)
            return False
        if out.reply.tag:
            await record_sent(self.services.db, self.name, out.address.chat_id, ids, out.reply.tag,
                              self.services.clock())
        return True

    async def notice(self, here: Here, reply: Reply) -> None:
        """A short note in the chat of an event (a flood warning, an apology): best effort."""
        try:
            await self.send(Address(self.name, here.chat_id, here.thread_id, here.user_id), reply, key=_fresh_key(),
                            here=here)
        except SendFailed as exc:
            log.info("%s: a notice to chat %s not shown: %s", self.name, here.chat_id, exc)

    async def apologize(self, here: Here) -> None:
        await self.notice(here, Reply(texts.INTERNAL_ERROR,
                                      buttons=[[Button(texts.BTN_MENU, payload=GLOBAL_PREFIX + "menu")]]))

    async def unreachable(self, address: Address, why: str) -> None:
        """A person who cannot receive messages is marked so (staff are told where it matters)."""
        user = address.user_id or (address.chat_id if self.is_private(address.chat_id) else None)
        if user is None:
            log.error("%s: the bot cannot write to chat %s (%s)", self.name, address.chat_id, why)
            return
        log.info("%s: user %s is unreachable (%s)", self.name, user, why)
        try:
            await mark_unreachable(self.services.db, self.name, user)
        except Exception as exc:
            log.warning("%s: could not mark user %s unreachable: %s", self.name, user, type(exc).__name__)

    def is_private(self, chat_id: str) -> bool:
        """Whether a chat is a person's dialogue with the bot (its id is then the person's)."""
        return True

    async def drain(self, grace: float = 10.0) -> None:
        """Wait for the events being handled (on shutdown, before the database closes)."""
        pending = {t for t in self._inflight if t is not asyncio.current_task()}
        if pending:
            await asyncio.wait(pending, timeout=grace)

    async def close(self) -> None:
        await self.drain()
        await self.flood.close()


def _fresh_key() -> str:
    """A key for a message sent once, outside the outbox."""
    return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to one outbox message."""

    ids: list[str] = field(default_factory=list)
    error: str | None = None
    transient: bool = False
    unreachable: bool = False

    @property
    def sent(self) -> bool:
        return self.error is None

"""The VK channel: a community's messages through ``vk_api``, the same conversations as elsewhere.

Receiving: the long poll runs in a worker thread (``longpoll``) and hands each batch of updates
to the event loop with ``loop.call_soon_threadsafe``. Each update becomes an event for the shared
base (flood gate, strict order in a chat, the unit of work, the outbox); callback buttons are
answered with ``messages.sendMessageEventAnswer`` at once, every time.

Sending: replies are rendered by ``render`` and sent by ``api_pool`` (threads, the rate limit,
retries). ``random_id`` is derived from the message's key (its outbox row) and the part, so a
retried ``messages.send`` is recognised by VK and never shown twice. In a chat the ids of the
bot's messages are their ``conversation_message_id`` (``messages.send`` with ``peer_ids`` gives
it): a community sees no other id of a chat's messages, and a staff reply to a card names it so.

Files: a client's file is fetched for other channels (``fetch``, bot.files); files brought from
another channel are uploaded for the message (``files.upload``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sys
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

import requests

from bot.channels.antiflood import FloodGuard
from bot.channels.base import Channel, FileUnavailable, Here, SendFailed, TransientSendError, Unreachable
from bot.channels.position import ReadPosition
from bot.channels.vk.api_pool import (
    FLOOD_CODES,
    TOO_MANY_RPS_CODE,
    TRANSIENT_CODES,
    SessionFactory,
    VkCaller,
    VkCallError,
    VkConfig,
    VkUnreachable,
    make_vk,
)
from bot.channels.vk.events import (
    CHAT_START_ID,
    Callback,
    Inbound,
    community_added,
    parse_callback,
    parse_message,
    update_id,
)
from bot.channels.vk.files import VkFileError, download, upload
from bot.channels.vk.longpoll import LongPollWorker, Updates
from bot.channels.vk.render import FULL_CAPS, MAX_TEXT, ClientCaps, VkMessage, render
from handlers import texts
from handlers.engine import describe
from handlers.models import Address, Attachment, Button, Document, Reply

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
# Failures worth another try later: network (-1), too many requests, flood control, VK's internal errors.
RETRY_LATER_CODES = frozenset({-1, TOO_MANY_RPS_CODE, *FLOOD_CODES, *TRANSIENT_CODES})

REMEMBERED = 10_000  # update ids and client capabilities kept in memory


def random_id(seed: str, part: int) -> int:
    """A signed 32-bit id, the same for the same logical message and part."""
    digest = hashlib.blake2b(f"{seed}/{part}".encode(), digest_size=4).digest()
    value = int.from_bytes(digest, "big", signed=True)
    return value or 1  # 0 would switch VK's duplicate check off


class _Bounded(OrderedDict):
    def remember(self, key: Any, value: Any = True) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > REMEMBERED:
            self.popitem(last=False)


class VkChannel(Channel):
    name: ClassVar[str] = "vk"

    def __init__(self, app: App, config: VkConfig, session_factory: SessionFactory = requests.Session,
                 flood: FloodGuard | None = None) -> None:
        super().__init__(app, flood=flood)
        self.config = config
        self.session_factory = session_factory
        self.caller = VkCaller(config, session_factory)
        self.caps: _Bounded = _Bounded()  # user id -> ClientCaps of his app
        self.handled: _Bounded = _Bounded()  # ids of updates fully answered (or ignored)
        self._seen: _Bounded = _Bounded()  # ids of updates accepted: a repeated one is dropped
        self._tasks: set[asyncio.Task] = set()
        self._inbox: asyncio.Queue[tuple[Updates, str]] = asyncio.Queue()  # a batch and the ts after it
        # Where a restart goes on reading (messages written while the bot was down are answered).
        self.position = ReadPosition(app.services.db, f"vk:{config.group_id}", app.services.clock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fatal: asyncio.Future[BaseException] | None = None
        self._closed = False
        self.poller: LongPollWorker | None = None

    def is_private(self, chat_id: str) -> bool:
        return int(chat_id) < CHAT_START_ID

    def staff_chats(self) -> set[int]:
        """Peer ids of the chats that are departments' staff destinations."""
        return {int(chat) for chat in self.services.staff_chat_ids(self.name) if chat.isdigit()}

    async def fetch(self, attachment: Attachment, limit: int) -> Document:
        """A client's file by its link (``files.download``), for another channel to upload."""
        try:
            got = await download(self.caller, attachment, limit)
        except VkFileError as exc:
            raise FileUnavailable(str(exc)) from exc
        if got.document is None:
            raise FileUnavailable("past the limit", too_big=True)
        return got.document

    # --- running
    async def run(self, stop: asyncio.Event) -> None:
        """Receive and answer until ``stop`` is set; raises if the long poll cannot work."""
        self._loop = asyncio.get_running_loop()
        self._fatal = self._loop.create_future()
        resume = await self._saved_position()
        self.poller = LongPollWorker(self.config, make_vk(self.config, self.session_factory), self.caller.limiter,
                                     self.session_factory, self._from_thread, self._fatal_from_thread,
                                     resume_from=resume)
        self.app.add_channel(self)
        self.poller.start()
        self.connected = True
        dispatcher = asyncio.create_task(self._dispatch(), name="vk-dispatch")
        saver = asyncio.create_task(self.position.keep_saving(), name="vk-position")
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({stopping, self._fatal}, return_when=asyncio.FIRST_COMPLETED)
            if self._fatal.done():
                raise self._fatal.result()
        finally:
            stopping.cancel()
            await self._shutdown(dispatcher, saver)

    async def _saved_position(self) -> str | None:
        try:
            return await self.position.load()
        except Exception as exc:  # no database yet: start from what VK has now
            log.warning("VK long poll position not read (%s); starting from the newest events", exc)
            return None

    def _from_thread(self, updates: Updates, ts: str) -> None:
        """Called in the long-poll thread: hand the updates to the event loop."""
        loop = self._loop
        if loop is None or self._closed:
            log.warning("VK channel closed: %d update(s) not handled", len(updates))
            return
        try:
            loop.call_soon_threadsafe(self._inbox.put_nowait, (updates, ts))
        except RuntimeError:  # the loop is closed
            log.warning("VK channel closed: %d update(s) not handled", len(updates))

    def _fatal_from_thread(self, exc: BaseException) -> None:
        loop, fatal = self._loop, self._fatal
        if loop is not None and fatal is not None and not loop.is_closed():
            loop.call_soon_threadsafe(lambda: fatal.done() or fatal.set_result(exc))

    async def _shutdown(self, dispatcher: asyncio.Task, saver: asyncio.Task) -> None:
        """Stop receiving, answer what has arrived; within the long-poll wait plus a few seconds."""
        loop = asyncio.get_running_loop()
        assert self.poller is not None
        self.poller.stop()
        deadline = loop.time() + self.config.wait + self.config.shutdown_grace
        drain_until = loop.time() + self.config.drain_timeout
        while loop.time() < deadline:
            polling = self.poller.thread.is_alive()
            if not polling and (self.idle() or loop.time() >= drain_until):
                break
            await asyncio.sleep(0.02)
        self._closed = True
        if self.poller.thread.is_alive():
            log.warning("VK long poll still waiting for its request; leaving the thread to end by itself")
        unanswered = self._inbox.qsize()
        if unanswered or self._tasks:
            log.warning("VK channel stopped with %d update(s) unanswered", unanswered + len(self._tasks))
        dispatcher.cancel()
        saver.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(dispatcher, saver, *self._tasks, return_exceptions=True)
        await self.position.save()  # how far everything was answered
        self.connected = False
        self.caller.close()
        await self.flood.close()
        self.app.remove_channel(self)
        log.info("VK channel stopped")

    def idle(self) -> bool:
        """Nothing received is waiting or being answered."""
        return self._inbox.empty() and not self._tasks

    # --- receiving
    async def _dispatch(self) -> None:
        while True:
            updates, ts = await self._inbox.get()
            # Repeats of updates taken before are answered through those: not waited for here.
            self.position.received(ts, [i for i in map(update_id, updates) if i not in self._seen])
            for update in updates:
                try:
                    await self._accept(update)
                except Exception:
                    # its type and id only: the update holds what the person wrote
                    log.error("VK update %s (%s) could not be read: %s", update_id(update), update.get("type"),
                              describe(sys.exc_info()[1]))
                    self._answered(update_id(update))

    def _answered(self, ident: str) -> None:
        """An update was answered, or needs no answer (ignored, unreadable, dropped as a flood)."""
        self.handled.remember(ident)
        self.position.answered(ident)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, update: dict[str, Any]) -> None:
        ident = update_id(update)
        if ident in self._seen:
            log.info("VK update %s received twice; handled once", ident)
            return
        self._seen.remember(ident)
        kind = update.get("type")
        inbound: Inbound | None = None
        if kind == "message_new":
            joined = community_added(update, self.config.group_id)
            if joined is not None:  # a chat id is no personal data; the administrator needs it
                log.warning("VK: the community was added to chat vk:%d%s", joined, "" if joined in self.staff_chats()
                            else f" (not a staff chat; to make it one: STAFF_CHATS=<department>=vk:{joined})")
            inbound = parse_message(update, self.config.group_id, self.staff_chats())
        elif kind == "message_event":
            parsed = parse_callback(update, self.staff_chats())
            if parsed is not None:
                callback, inbound = parsed
                self._spawn(self._answer_callback(callback))
        else:
            log.debug("VK update %s ignored", kind)
        if inbound is None:
            self._answered(ident)
            return
        if inbound.caps is not None:
            self.caps.remember(inbound.event.user_id, inbound.caps)
        # One task per update, started in the order VK gave them: the base keeps each chat's
        # events in that order.
        self._spawn(self._handle(inbound))

    async def _answer_callback(self, callback: Callback) -> None:
        try:
            await self.caller.call("messages.sendMessageEventAnswer", {
                "event_id": callback.event_id, "user_id": callback.user_id, "peer_id": callback.peer_id},
                urgent=True)
        except VkCallError as exc:
            log.warning("VK callback %s of %s not answered: %s", callback.event_id, callback.user_id, exc)

    async def _handle(self, inbound: Inbound) -> None:
        event = replace(inbound.event, update_id=f"vk:{inbound.source}")
        here = Here(event.chat_id, event.user_id, update_id=event.update_id)
        try:
            handled = await self.receive(event, here)
            if inbound.chat_peer is not None and handled is not None:
                await self._chat_note(inbound, here.reachable)
        except Exception:
            log.exception("VK update %s failed", inbound.source)
        finally:
            self._answered(inbound.source)

    async def _chat_note(self, inbound: Inbound, answered: bool) -> None:
        """In the group chat: where the answer went, or how to get one (never its content)."""
        assert inbound.chat_peer is not None
        reply = Reply(texts.VK_CHAT_ANSWERED) if answered else Reply(texts.VK_CHAT_WRITE_ME, buttons=[[
            Button(texts.BTN_VK_WRITE, url=f"https://vk.me/club{self.config.group_id}")]])
        extra: dict[str, Any] = {}
        if inbound.chat_message:
            extra["forward"] = json.dumps({"peer_id": inbound.chat_peer, "is_reply": True,
                                           "conversation_message_ids": [inbound.chat_message]})
        try:
            await self._send(inbound.chat_peer, render(reply), f"{inbound.source}:chat", extra)
        except VkCallError as exc:
            log.warning("VK note to chat %s not sent: %s", inbound.chat_peer, exc)

    # --- sending
    async def send(self, address: Address, reply: Reply, *, key: str, here: Here | None = None) -> list[str]:
        """Send a reply to a VK dialogue or chat; the ids of the messages."""
        peer = int(address.chat_id)
        caps = self.caps.get(address.user_id or address.chat_id, FULL_CAPS) if peer < CHAT_START_ID else FULL_CAPS
        try:
            return await self._send(peer, render(reply, caps), key)
        except VkUnreachable as exc:
            raise Unreachable(f"VK error {exc.code}") from exc
        except VkCallError as exc:
            # Network, rate and flood errors once the retries are spent: the outbox tries later.
            raise SendFailed(f"vk: {exc}", transient=exc.code in RETRY_LATER_CODES) from exc
        except Exception as exc:  # e.g. the channel is stopping: the outbox tries again later
            raise TransientSendError(f"vk: {type(exc).__name__}") from exc

    async def _send(self, peer: int, messages: list[VkMessage], seed: str,
                    extra: dict[str, Any] | None = None) -> list[str]:
        """``messages.send`` for each part, in order; returns the ids of the messages."""
        ids: list[str] = []
        for part, message in enumerate(messages):
            attachments = list(message.attachments)
            notes: list[str] = []
            for kind, doc in message.uploads:
                try:
                    attachments.append(await upload(self.caller, peer, doc, kind))
                except VkUnreachable:
                    raise
                except Exception as exc:
                    # not its name (a client's file may be named after him); our own errors say why
                    log.error("VK: a %s for %s not uploaded (%s); sending the text with a note", kind, peer,
                              exc if isinstance(exc, VkFileError) else type(exc).__name__)
                    notes.append(texts.VK_FILE_UNAVAILABLE.format(name=doc.filename))
            text = message.text
            if notes and len(text) + sum(len(n) + 2 for n in notes) <= MAX_TEXT:
                text, notes = "\n\n".join([text, *notes]), []
            chat = peer >= CHAT_START_ID
            # In a chat: peer_ids, whose answer gives the conversation_message_id staff replies name.
            params: dict[str, Any] = {"peer_ids" if chat else "peer_id": peer, "random_id": random_id(seed, part),
                                      "message": text, **(extra or {})}
            if message.keyboard:
                params["keyboard"] = message.keyboard
            if message.lat is not None and message.long is not None:
                params["lat"], params["long"] = message.lat, message.long
            if attachments:
                params["attachment"] = ",".join(attachments)
            sent = await self.caller.call("messages.send", params)
            ids.append(str(_chat_message_id(sent) if chat else sent))
            if notes:
                await self.caller.call("messages.send", {"peer_id": peer, "random_id": random_id(seed, -1 - part),
                                                         "message": "\n\n".join(notes)})
        return ids


def _chat_message_id(sent: Any) -> int:
    """The answer of ``messages.send`` with ``peer_ids``: a list with an item per peer, which holds
    the message's ``conversation_message_id`` or the error for that peer (the bot was removed from
    the chat, lost access to it)."""
    item = sent[0] if isinstance(sent, list) and sent else {}
    error = item.get("error")
    if error or not item.get("conversation_message_id"):
        code = int((error or {}).get("code") or 0)
        raise VkCallError("messages.send", code, str((error or {}).get("description") or "no message id"))
    return int(item["conversation_message_id"])


async def run_vk(app: App, stop: asyncio.Event, *, config: VkConfig | None = None,
                 session_factory: SessionFactory = requests.Session) -> None:
    """``consult-bot run``: the VK channel until ``stop``; raises so the supervisor restarts it."""
    channel = VkChannel(app, config or VkConfig.from_settings(app.settings), session_factory)
    await channel.run(stop)


__all__ = ["ClientCaps", "VkChannel", "VkConfig", "run_vk"]

"""The VK channel: a community's messages through ``vk_api``, the same conversations as elsewhere.

Receiving: the long poll runs in a worker thread (``vk_longpoll``) and hands each batch of
updates to the event loop with ``loop.call_soon_threadsafe``. Updates are handled concurrently
across people and strictly in order for one person (a queue and a worker task per person).
Callback buttons are answered with ``messages.sendMessageEventAnswer`` at once, every time.

Sending: replies are rendered by ``vk_render`` and sent by ``vk_api_pool`` (threads, the rate
limit, retries). ``random_id`` is derived from the update being answered and the position of the
message, so a retried ``messages.send`` is recognised by VK and never shown twice.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
import logging
import uuid
from collections import OrderedDict
from typing import Any

import requests

from bot.app import App
from bot.channels.antiflood import FloodGuard, Verdict, flood_guard
from bot.channels.vk_api_pool import (
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
from bot.channels.vk_events import CHAT_START_ID, Callback, Inbound, parse_callback, parse_message, update_id
from bot.channels.vk_files import upload
from bot.channels.vk_longpoll import LongPollWorker, Updates
from bot.channels.vk_position import ReadPosition
from bot.channels.vk_render import FULL_CAPS, MAX_TEXT, ClientCaps, VkMessage, render
from handlers import texts
from handlers.models import Address, Button, Outgoing, Reply, TransientSendError
from storage.clients import mark_unreachable
from storage.sent import record_sent

log = logging.getLogger(__name__)
# Failures worth another try later: network (-1), too many requests, flood control, VK's internal errors.
RETRY_LATER_CODES = frozenset({-1, TOO_MANY_RPS_CODE, *FLOOD_CODES, *TRANSIENT_CODES})

REMEMBERED = 10_000  # update ids and client capabilities kept in memory


class _Source:
    """The update being answered: the k-th message sent for it gets seed ``<update id>:<k>``."""

    def __init__(self, update: str) -> None:
        self.update = update
        self.count = 0

    def next_seed(self) -> str:
        self.count += 1
        return f"{self.update}:{self.count}"


_SOURCE: contextvars.ContextVar[_Source | None] = contextvars.ContextVar("vk_source", default=None)


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


class VkChannel:
    name = "vk"

    def __init__(self, app: App, config: VkConfig, session_factory: SessionFactory = requests.Session,
                 flood: FloodGuard | None = None) -> None:
        self.app = app
        self.config = config
        self.session_factory = session_factory
        self.caller = VkCaller(config, session_factory)
        settings = app.settings
        # one person writing too fast must not use up the API budget every other person shares
        self.flood = flood if flood is not None else flood_guard(settings.flood_rate, settings.flood_burst,
                                                                 settings.redis_url)
        self.caps: _Bounded = _Bounded()  # user id -> ClientCaps of his app
        self.handled: _Bounded = _Bounded()  # ids of updates fully answered (or ignored)
        self._seen: _Bounded = _Bounded()  # ids of updates accepted: a repeated one is dropped
        self._users: dict[str, asyncio.Queue[Inbound]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._inbox: asyncio.Queue[tuple[Updates, str]] = asyncio.Queue()  # a batch and the ts after it
        # Where a restart goes on reading (messages written while the bot was down are answered).
        self.position = ReadPosition(app.services.db, f"vk:{config.group_id}", app.services.clock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._fatal: asyncio.Future[BaseException] | None = None
        self._closed = False
        self.poller: LongPollWorker | None = None

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
        unanswered = sum(q.qsize() for q in self._users.values()) + self._inbox.qsize()
        if unanswered or self._tasks:
            log.warning("VK channel stopped with %d update(s) unanswered", unanswered + len(self._tasks))
        dispatcher.cancel()
        saver.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(dispatcher, saver, *self._tasks, return_exceptions=True)
        await self.position.save()  # how far everything was answered
        self.caller.close()
        await self.flood.close()
        if self.app.channels.get(self.name) is self:
            del self.app.channels[self.name]
        log.info("VK channel stopped")

    def idle(self) -> bool:
        """Nothing received is waiting or being answered."""
        return self._inbox.empty() and not self._users and not self._tasks

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
                    log.exception("VK update could not be read: %.300r", update)
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
            inbound = parse_message(update, self.config.group_id)
        elif kind == "message_event":
            parsed = parse_callback(update)
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
        key = inbound.event.user_id
        verdict = await self.flood.check(f"{self.name}:{key}")
        if verdict is not Verdict.PASS:
            log.info("VK: flood from user %s, update %s dropped (%s)", key, ident, verdict.value)
            if verdict is Verdict.WARN:
                self._spawn(self.app.deliver(Outgoing(Address(self.name, inbound.event.chat_id, user_id=key),
                                                      Reply(texts.FLOOD))))
            self._answered(ident)
            return
        queue = self._users.get(key)
        if queue is None:
            queue = self._users[key] = asyncio.Queue()
            self._spawn(self._serve_user(key, queue))
        queue.put_nowait(inbound)

    async def _serve_user(self, key: str, queue: asyncio.Queue[Inbound]) -> None:
        """One person's updates, strictly in order; the worker ends when his queue is empty."""
        try:
            while not queue.empty():
                await self._handle(queue.get_nowait())
        finally:
            if self._users.get(key) is queue:
                del self._users[key]

    async def _answer_callback(self, callback: Callback) -> None:
        try:
            await self.caller.call("messages.sendMessageEventAnswer", {
                "event_id": callback.event_id, "user_id": callback.user_id, "peer_id": callback.peer_id},
                urgent=True)
        except VkCallError as exc:
            log.warning("VK callback %s of %s not answered: %s", callback.event_id, callback.user_id, exc)

    async def _handle(self, inbound: Inbound) -> None:
        token = _SOURCE.set(_Source(inbound.source))
        try:
            event = inbound.event
            outs = await self.app.engine.handle(event)
            answered = True
            for out in outs:
                ok = await self.app.deliver(out)
                if out.address.channel == self.name and out.address.chat_id == event.chat_id:
                    answered = answered and ok
            if inbound.chat_peer is not None:
                await self._chat_note(inbound, answered)
        except Exception:
            log.exception("VK update %s of %s failed", inbound.source, inbound.event.user_id)
        finally:
            _SOURCE.reset(token)
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
    async def deliver(self, out: Outgoing) -> bool:
        """Send a reply to a VK dialogue; False if it could not be delivered (the reason is logged)."""
        peer = int(out.address.chat_id)
        source = _SOURCE.get()
        seed = source.next_seed() if source else uuid.uuid4().hex
        caps = self.caps.get(out.address.user_id or out.address.chat_id, FULL_CAPS) if peer < CHAT_START_ID \
            else FULL_CAPS
        try:
            ids = await self._send(peer, render(out.reply, caps), seed)
        except VkUnreachable as exc:
            user = out.address.user_id or (str(peer) if peer < CHAT_START_ID else None)
            log.warning("VK user %s does not accept messages from the community (error %s); marked unreachable",
                        user or peer, exc.code)
            if user:
                await mark_unreachable(self.app.services.db, self.name, user)
            return False
        except VkCallError as exc:
            if exc.code in RETRY_LATER_CODES:  # retries spent on network/rate/flood errors: the outbox tries later
                raise TransientSendError(f"vk: {exc}") from exc
            log.error("VK message to %s not sent: %s", peer, exc)
            return False
        except Exception:  # e.g. the channel is stopping: the caller learns it was not delivered
            log.exception("VK message to %s not sent", peer)
            return False
        if out.reply.tag:
            now = self.app.services.clock()
            await record_sent(self.app.services.db, self.name, str(peer), ids, out.reply.tag, now)
        return True

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
                    log.error("VK: file %r for %s not uploaded (%s); sending the text with a note",
                              doc.filename, peer, exc)
                    notes.append(texts.VK_FILE_UNAVAILABLE.format(name=doc.filename))
            text = message.text
            if notes and len(text) + sum(len(n) + 2 for n in notes) <= MAX_TEXT:
                text, notes = "\n\n".join([text, *notes]), []
            params: dict[str, Any] = {"peer_id": peer, "random_id": random_id(seed, part), "message": text,
                                      **(extra or {})}
            if message.keyboard:
                params["keyboard"] = message.keyboard
            if message.lat is not None and message.long is not None:
                params["lat"], params["long"] = message.lat, message.long
            if attachments:
                params["attachment"] = ",".join(attachments)
            ids.append(str(await self.caller.call("messages.send", params)))
            if notes:
                await self.caller.call("messages.send", {"peer_id": peer, "random_id": random_id(seed, -1 - part),
                                                         "message": "\n\n".join(notes)})
        return ids


async def run_vk(app: App, stop: asyncio.Event, *, config: VkConfig | None = None,
                 session_factory: SessionFactory = requests.Session) -> None:
    """``consult-bot run``: the VK channel until ``stop``; raises so the supervisor restarts it."""
    channel = VkChannel(app, config or VkConfig.from_settings(app.settings), session_factory)
    await channel.run(stop)


__all__ = ["ClientCaps", "VkChannel", "VkConfig", "run_vk"]

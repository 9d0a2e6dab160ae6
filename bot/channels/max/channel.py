"""The MAX channel: updates in as core events, core replies out as MAX messages. ``run`` is the
entry of ``consult-bot run`` (registry name ``max``, configured by ``MAX_TOKEN``).

Receiving. ``accept(update)`` takes one update in either mode and starts its handling at once (so
the updates of a chat keep their order); the returned future is done when the update is safe:
its unit of work committed (the conversation state, the domain change and every outgoing
message are in the database), or it needed none (flood, nothing for a conversation).
- Webhook (production): MAX POSTs each update to ``MAX_WEBHOOK_URL`` on the bot's web server
  (``bot.web_server``), which checks the secret; the 200 is given at the commit, a few
  milliseconds, and the answer's messages go out after it. Not later: MAX lets a chat have 2
  messages a second and one answer is often three (a confirmation, the .ics, the place on the
  map), so waiting for them would hold MAX's deliveries for a second. Not earlier: MAX delivers an
  update again only when it had no 200, so a crash between a 200 and the commit would lose it.
  A crash after the commit leaves the messages in the outbox, where the sweeper of any instance
  finds them; an update delivered again is recognised by its id and answered once.
- Long polling (development, small installations): ``GET /updates`` from the marker saved in the
  database (``ReadPosition``), a batch at a time: the next call, whose marker tells MAX the batch
  is read, is made only when every update of the batch is safe and the new marker is saved. So
  what was written while the bot was down is answered after a restart, at least once, and never
  twice (the engine drops an update id it has handled).
- ``bot_started`` (the «Начать» button or a deep link) opens the menu; ``bot_stopped`` marks the
  person unreachable; ``bot_added`` to a group logs the chat's id (nothing about people) for the
  administrator, and whether the bot reads all messages there.

Sending. ``render`` makes MAX messages of a reply, ``send.deliver`` uploads files and sends them
(paced: 2 messages a second in a chat, 28 requests a second; 429 and 5xx retried). A navigation
screen answering a press replaces the screen that was pressed: through ``POST /answers`` (one
call answers the press and edits the message), or ``PUT /messages`` if the press was answered.
A reply whose later part failed is sent again from that part. MAX refusing a chat (the person
stopped the bot, the bot left the group) raises ``Unreachable``; what is worth trying later
raises ``TransientSendError``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from bot.channels.antiflood import FloodGuard
from bot.channels.base import Channel, Here, SendFailed, TransientSendError, Unreachable
from bot.channels.max import webhook
from bot.channels.max.api import MaxApi, MaxApiError, reads_all_messages
from bot.channels.max.events import CHANNEL, Inbound, Me, parse_update
from bot.channels.max.polling import Poller, stream_name
from bot.channels.max.render import edit_body, render
from bot.channels.max.send import deliver
from bot.channels.max.types import Update
from bot.channels.position import ReadPosition
from bot.settings import Settings
from handlers.models import Address, Event, Reply
from storage.clients import get_client, mark_unreachable, touch_client

if TYPE_CHECKING:
    from bot.app import App
    from handlers.engine import Handled

log = logging.getLogger(__name__)

REMEMBERED = 20_000  # menus and partly sent replies kept in memory
COMMIT_WAIT = 25.0  # seconds a webhook request waits for its commit (MAX waits 30)
UNREACHABLE_CODES = frozenset({"chat.not.found", "chat.denied", "user.not.found", "dialog.not.found"})


class _Bounded(OrderedDict[Hashable, Any]):
    def remember(self, key: Hashable, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > REMEMBERED:
            self.popitem(last=False)


def update_id(inbound: Inbound) -> str:
    """``max:<mid>`` of a message, ``max:<callback_id>`` of a press (the rest: type, chat, person,
    time): the same for the same update however often MAX delivers it."""
    return f"{CHANNEL}:{inbound.key.split(':', 1)[1]}"


def webhook_secret(settings: Settings) -> str:
    """MAX_WEBHOOK_SECRET, or one derived from the token: the same on every instance."""
    if settings.max_webhook_secret:
        return settings.max_webhook_secret.get_secret_value()
    assert settings.max_token is not None
    return webhook.derive_secret(settings.max_token.get_secret_value())


def webhook_url(settings: Settings) -> str:
    base = (settings.max_webhook_url or "").rstrip("/")
    path = "/" + settings.max_webhook_path.lstrip("/")
    return base if base.endswith(path) else base + path


def make_api(settings: Settings) -> MaxApi:
    if settings.max_token is None:
        raise ValueError("MAX_TOKEN is not set")
    return MaxApi(settings.max_token.get_secret_value(), settings.max_api_url, rps=settings.max_api_rps,
                  ca_file=settings.max_ca_file)


def failure(exc: MaxApiError) -> SendFailed:
    """MAX's refusal as the base understands it."""
    if exc.status == 403 or (exc.status == 404 and exc.code in UNREACHABLE_CODES):
        return Unreachable(f"max: {exc.code}")
    if exc.transient or exc.status == 401:  # a revoked token may be replaced: the outbox tries later
        return TransientSendError(f"max: {exc.status} {exc.code}")
    return SendFailed(f"max: {exc.status} {exc.code}", transient=False)


class MaxChannel(Channel):
    name: ClassVar[str] = CHANNEL

    def __init__(self, app: App, api: MaxApi, *, me: Me | None = None, flood: FloodGuard | None = None,
                 commit_wait: float = COMMIT_WAIT) -> None:
        super().__init__(app, flood=flood)
        self.api = api
        self.me = me or Me()
        self.mode = app.settings.max_mode
        self.commit_wait = commit_wait
        self._menus = _Bounded()  # (chat, mid) -> user: navigation screens a press may replace
        self._partial = _Bounded()  # key -> mids of a reply's parts already sent
        self._tasks: set[asyncio.Task[Any]] = set()

    def is_private(self, chat_id: str) -> bool:
        return False  # a MAX dialogue's chat id is never the person's id: addresses carry the user

    def health(self) -> dict[str, Any]:
        return {"connected": self.connected, "mode": self.mode}

    def staff_chat_ids(self) -> list[str]:
        """The MAX chats where departments' staff work."""
        return sorted(self.services.staff_chat_ids(CHANNEL))

    def _staff_chat(self, chat_id: int | str | None) -> bool:
        return chat_id is not None and self.services.is_staff_chat(CHANNEL, str(chat_id))

    # ------------------------------------------------------------------ receiving
    def accept(self, update: Update) -> asyncio.Future[bool]:
        """Start handling one update; the future is done (True) when it is safe, see above."""
        return self._start(update)[0]

    async def feed(self, update: Update) -> None:
        """Handle one update to its end, the answer sent (the benchmark's entry)."""
        task = self._start(update)[1]
        if task is not None:
            await task

    def _start(self, update: Update) -> tuple[asyncio.Future[bool], asyncio.Task[Any] | None]:
        loop = asyncio.get_running_loop()
        safe: asyncio.Future[bool] = loop.create_future()
        try:
            inbound = parse_update(update, self.me)
        except Exception:  # a shape MAX's description does not have: logged without its content
            log.exception("MAX: an update of type %r could not be read", update.get("update_type"))
            safe.set_result(True)
            return safe, None
        event = inbound.event
        if event is None or (inbound.group and not inbound.addressed and not self._staff_chat(inbound.chat_id)):
            task = self._spawn(self._service(inbound, update))
        else:
            event = replace(event, update_id=update_id(inbound))
            here = Here(event.chat_id, event.user_id, update_id=event.update_id,
                        pressed=event.message_id if event.payload is not None else None,
                        extra={"callback": inbound.callback_id, "safe": safe})
            task = self._spawn(self._handle(event, here, started=inbound.kind == "bot_started"))
        task.add_done_callback(lambda _: safe.done() or safe.set_result(True))
        return safe, task

    async def take(self, update: Update) -> bool:
        """The webhook's ``accept``: True once the update is safe, False if that takes too long."""
        safe = self.accept(update)
        try:
            return await asyncio.wait_for(asyncio.shield(safe), self.commit_wait)
        except TimeoutError:
            log.warning("MAX: update %s not committed within %.1f s; MAX will deliver it again",
                        update.get("update_type"), self.commit_wait)
            return False

    def _spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _handle(self, event: Event, here: Here, *, started: bool = False) -> None:
        try:
            if started:  # «Начать» again after stopping the bot: reachable again
                await self._started(event.user_id, event.chat_id)
            await self.receive(event, here)
        except Exception:
            log.exception("MAX: update %s failed", here.update_id)

    async def _started(self, user: str, chat: str) -> None:
        db = self.services.db
        try:
            client = await get_client(db, CHANNEL, user)
            if client is not None and client.unreachable:
                log.info("MAX: user %s started the bot again", user)
                await touch_client(db, CHANNEL, user, chat, self.services.clock())
        except Exception as exc:
            log.warning("MAX: user %s not marked reachable: %s", user, type(exc).__name__)

    async def answer(self, handled: Handled, here: Here) -> None:
        """The unit of work has committed: the update is safe; then the answer goes out."""
        safe = here.extra.get("safe")
        if isinstance(safe, asyncio.Future) and not safe.done():
            safe.set_result(True)
        await super().answer(handled, here)

    async def _service(self, inbound: Inbound, update: Update) -> None:
        """Updates that are no conversation: the bot stopped, started again, added to a group."""
        user = (update.get("user") or {}).get("user_id")
        db = self.services.db
        try:
            if inbound.kind == "bot_stopped" and user:
                log.info("MAX: user %s stopped the bot", user)
                await mark_unreachable(db, CHANNEL, str(user))
            elif inbound.kind == "bot_added":
                await self._added(inbound.chat_id)
            elif inbound.kind == "bot_removed":
                level = logging.ERROR if self._staff_chat(inbound.chat_id) else logging.INFO
                log.log(level, "MAX: the bot was removed from chat %s", inbound.chat_id)
            elif inbound.kind == "dialog_removed" and user and await get_client(db, CHANNEL, str(user)):
                log.info("MAX: user %s deleted the dialogue", user)
        except Exception as exc:
            log.warning("MAX: %s not recorded: %s", inbound.kind, type(exc).__name__)

    async def _added(self, chat_id: int | None) -> None:
        """Logged for the administrator, who makes the chat a department's staff chat by its id."""
        if chat_id is None:
            return
        reads = await self._reads_all(chat_id)
        log.warning("MAX: the bot was added to group chat %s. To make it a department's staff chat: "
                    "STAFF_CHATS=<department>=max:%s%s", chat_id, chat_id,
                    "" if reads else " — and make the bot an administrator there with «Читать все сообщения»")

    async def _reads_all(self, chat_id: int) -> bool:
        try:
            return reads_all_messages(await self.api.get_membership(chat_id))
        except MaxApiError as exc:
            log.warning("MAX: the bot's rights in chat %s not read: %s %s", chat_id, exc.status, exc.code)
            return False

    async def check_staff_chats(self) -> list[int]:
        """Start-up: the staff chats where the bot does not see every message (logged)."""
        blind = []
        for chat in self.staff_chat_ids():
            if not await self._reads_all(int(chat)):
                blind.append(int(chat))
                log.error("MAX: the bot does not see every message in staff chat %s: staff replies to cards and "
                          "commands are lost. Make it an administrator there with «Читать все сообщения»", chat)
        return blind

    async def acknowledge(self, here: Here, notice: str | None) -> None:
        """A press is answered with the flood notice when there is one; otherwise its answer is the
        new screen (``send``), or none: MAX needs none."""
        callback = here.extra.get("callback")
        if not notice or not callback:
            return
        here.extra["callback"] = None
        try:
            await self.api.answer_callback(callback, notification=notice, chat_id=int(here.chat_id))
        except MaxApiError as exc:
            log.info("MAX: a press in chat %s not answered: %s %s", here.chat_id, exc.status, exc.code)

    # ------------------------------------------------------------------ sending
    async def send(self, address: Address, reply: Reply, *, key: str, here: Here | None = None) -> list[str]:
        """Show a reply in a MAX chat; the mids of its messages. Raises ``Unreachable`` /
        ``SendFailed``."""
        try:
            edited = await self._edit_in_place(address, reply, here)
            if edited is not None:
                return edited
            return await self._send_new(address, reply, key, here)
        except MaxApiError as exc:
            raise failure(exc) from exc
        except ValueError as exc:  # MAX would refuse it (a payload too long, too many buttons)
            raise SendFailed(f"max: {exc}", transient=False) from exc

    @staticmethod
    def _target(address: Address) -> dict[str, int]:
        """A chat by its id; a person by his id when that is all the address has (``chat_id`` is
        then the user id, as for a private link sent from a staff chat)."""
        if address.user_id is not None and address.chat_id == address.user_id:
            return {"user_id": int(address.user_id)}
        return {"chat_id": int(address.chat_id)}

    async def _send_new(self, address: Address, reply: Reply, key: str, here: Here | None) -> list[str]:
        messages = render(reply)
        done: list[str] = self._partial.get(key, [])
        try:
            sent = await deliver(self.api, messages[len(done):], **self._target(address))
        except MaxApiError as exc:
            if exc.sent:  # a retry of this message goes on from the part that failed
                self._partial.remember(key, done + [m["body"]["mid"] for m in exc.sent])
            raise
        self._partial.pop(key, None)
        mids = done + [m["body"]["mid"] for m in sent]
        menu = reply.menu and len(messages) == 1 and any(
            a.get("type") == "inline_keyboard" for a in messages[0].body.get("attachments") or [])
        if menu and mids:
            user = address.user_id or (here.user_id if here is not None else "")
            self._menus.remember((address.chat_id, mids[0]), user)
        return mids

    async def _edit_in_place(self, address: Address, reply: Reply, here: Here | None) -> list[str] | None:
        """A navigation screen answering a press on a screen of the same person: that message is
        replaced, like the Telegram channel does. None: send new messages instead."""
        if here is None or not here.pressed or here.shown or not reply.menu or address.chat_id != here.chat_id:
            return None
        mid = here.pressed
        if self._menus.get((here.chat_id, mid)) != here.user_id:
            return None  # a card, a result, another person's menu: kept as it is
        body = edit_body(reply)
        if body is None:
            return None
        chat = int(here.chat_id)
        callback = here.extra.get("callback")
        try:
            if callback:
                here.extra["callback"] = None
                try:  # one call answers the press and replaces the screen
                    await self.api.answer_callback(callback, message=body, chat_id=chat)
                except MaxApiError as exc:
                    if exc.transient:
                        raise
                    await self.api.edit_message(mid, body, chat_id=chat)  # the press is too old to answer
            else:
                await self.api.edit_message(mid, body, chat_id=chat)
        except MaxApiError as exc:
            if exc.transient:
                raise
            log.info("MAX: message %s in chat %s not edited (%s); sending a new one", mid, chat, exc.code)
            return None
        self._menus.remember((here.chat_id, mid), here.user_id)
        return [mid]

    # ------------------------------------------------------------------ running
    async def run(self, stop: asyncio.Event) -> None:
        """Receive until ``stop``; the bot must be known (``start``)."""
        if self.mode == "webhook":
            await self._run_webhook(stop)
        else:
            await self._run_polling(stop)

    async def start(self) -> bool:
        """Who the bot is, and its rights in the staff chats; False if MAX refuses the token."""
        try:
            me = await self.api.get_me()
        except MaxApiError as exc:
            if exc.status == 401:
                log.error("MAX: MAX does not accept MAX_TOKEN (401 %s); check the token on the MAX for partners "
                          "platform (Чат-боты → ⋮ → Настройки). The MAX channel is not started", exc.code)
                return False
            raise
        self.me = Me(me["user_id"], me.get("username"))
        log.info("MAX: bot %s (@%s), %s mode", me["user_id"], me.get("username"), self.mode)
        await self.check_staff_chats()
        return True

    async def _run_webhook(self, stop: asyncio.Event) -> None:
        settings = self.app.settings
        server = self.app.web
        if server is None:
            log.error("MAX: webhook mode needs the bot's web server (bot.web_server, started by consult-bot run); "
                      "the MAX channel is not started")
            return
        secret = webhook_secret(settings)
        url = webhook_url(settings)
        receive = webhook.handler(secret, self.take)
        server.serve(CHANNEL, receive)
        try:
            dropped = await webhook.subscribe(self.api, url, secret)
            if dropped:
                log.warning("MAX: subscriptions to other addresses removed: %s", ", ".join(dropped))
            self.connected = True
            log.info("MAX: webhook at %s, served on port %s", url, server.port(CHANNEL))
            await stop.wait()
        finally:
            server.withdraw(CHANNEL, receive)
            self.connected = False

    async def _run_polling(self, stop: asyncio.Event) -> None:
        settings = self.app.settings
        dropped = await webhook.unsubscribe_all(self.api)
        if dropped:
            log.warning("MAX: webhook subscriptions removed for long polling: %s", ", ".join(dropped))
        assert self.me.user_id is not None
        poller = Poller(self.api, ReadPosition(self.services.db, stream_name(self.me.user_id), self.services.clock),
                        timeout=settings.max_polling_timeout)
        try:
            await poller.load()
        except Exception as exc:  # no database yet: MAX gives its newest update
            log.warning("MAX: long-poll marker not read (%s); starting from the newest update", type(exc).__name__)
        self.connected = True
        try:
            while not stop.is_set():
                fetch = asyncio.create_task(poller.batch())
                stopping = asyncio.create_task(stop.wait())
                await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                if not fetch.done():
                    fetch.cancel()
                    await asyncio.gather(fetch, return_exceptions=True)
                    break
                try:
                    updates = fetch.result()
                except MaxApiError as exc:
                    if exc.status == 401:
                        log.error("MAX: MAX no longer accepts MAX_TOKEN (401); the MAX channel stops")
                        return
                    raise
                if not updates:
                    continue
                safe = [self.accept(update) for update in updates]  # in order: each chat keeps it
                await asyncio.wait(safe)
                for update in updates:
                    poller.answered(update)
                await poller.position.save()  # before the next call tells MAX the batch is read
        finally:
            self.connected = False

    async def close(self) -> None:
        await super().close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def run(app: App, stop: asyncio.Event, *, api: MaxApi | None = None) -> None:
    """``consult-bot run``: the MAX channel until ``stop``; ``api`` is for tests."""
    settings = app.settings
    if settings.max_mode == "webhook" and not settings.max_webhook_url:
        log.error("MAX_MODE=webhook needs MAX_WEBHOOK_URL (the public https address of this server); "
                  "the MAX channel is not started")
        return
    own_api = api is None
    api = api or make_api(settings)
    channel = MaxChannel(app, api)
    try:
        if not await channel.start():
            return
        app.add_channel(channel)
        await channel.run(stop)
    finally:
        app.remove_channel(channel)
        await channel.close()
        if own_api:
            await api.close()

"""The conversation engine: one event in, replies out, state saved, whatever the channel.

A conversation is a stack of *steps*. A step is data plus behaviour: ``screen()`` says what to
show (text and options), ``on_option`` / ``on_text`` / ``on_contact`` / ``on_files`` react. The
engine does everything common to all steps: global commands (start, menu, back, help, cancel),
typed numbers and labels for buttons, stale buttons, bad input, persistence and error handling.
"""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from handlers import texts
from handlers.inputs import storable_fields
from handlers.matching import clean, is_greeting, match_label, nav_command, parse_number
from handlers.models import (
    Address,
    Attachment,
    Button,
    Contact,
    Document,
    Event,
    Outgoing,
    Reply,
    Venue,
    reply_from_payload,
    reply_to_payload,
)
from handlers.services import Services
from storage.conversations import State, StateConflict, load_state, save_state
from storage.db import Unit
from storage.locks import lock_id, person_lock
from storage.outbox import NewMessage, Queued, put_messages

log = logging.getLogger(__name__)

HOME = "menu"
GLOBAL_PREFIX = "g."
MAX_TEXT = 4000  # longer messages are refused politely, never truncated silently


@dataclass(frozen=True, slots=True)
class Option:
    id: str  # short ASCII, unique on its screen
    label: str
    aliases: tuple[str, ...] = ()
    url: str | None = None  # a link, not a choice


@dataclass(slots=True)
class Screen:
    """What a step shows. ``text_mode`` says what typed text that is not a button means:
    ``none`` — only buttons; ``search`` — a question to understand; ``input`` — an answer to store."""

    text: str
    rows: list[list[Option]] = field(default_factory=list)
    title: str | None = None
    text_mode: Literal["none", "search", "input"] = "none"
    max_text: int = 1000
    nav: bool = True
    request_contact: bool = False
    venue: Venue | None = None
    document: Document | None = None
    image: Document | None = None
    menu: bool = True  # a navigation screen (Telegram edits it in place)
    # Typed shortcuts: accepted by label like options, but not shown as buttons (keeps menus short).
    hidden: list[Option] = field(default_factory=list)

    def options(self) -> list[Option]:
        return [o for row in self.rows for o in row if o.url is None]


class Step:
    """Base class of every step. Subclasses set ``name`` and override what they need; a step that
    shows or asks for personal data sets ``personal`` (it is never shown in a group chat)."""

    name: ClassVar[str]
    personal: ClassVar[bool] = False

    async def screen(self, ctx: Context) -> Screen:
        raise NotImplementedError

    async def on_option(self, ctx: Context, option_id: str) -> None:
        ctx.say(texts.NOT_UNDERSTOOD)

    async def on_text(self, ctx: Context, text: str) -> bool:
        return False

    async def on_contact(self, ctx: Context, contact: Contact) -> bool:
        return False

    async def on_files(self, ctx: Context, files: tuple[Attachment, ...]) -> bool:
        return False


STEPS: dict[str, Step] = {}


def step(cls: type[Step]) -> type[Step]:
    """Register a step class under its ``name``."""
    if cls.name in STEPS:
        raise RuntimeError(f"step {cls.name!r} registered twice")
    STEPS[cls.name] = cls()
    return cls


CommandHandler = Callable[["Context", str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class SlashCommand:
    name: str
    handler: CommandHandler
    description: str
    staff: bool = False
    personal: bool = False  # prints clients' personal data: never in an ordinary group chat


COMMANDS: dict[str, SlashCommand] = {}

ActionHandler = Callable[["Context", str], Awaitable[None]]
ACTIONS: dict[str, ActionHandler] = {}
ACTION_PREFIX = "a."


def action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register a button that works from any message at any time, whatever the current step:
    payload ``a.<name>.<argument>`` (e.g. ``a.rq_take.17`` on a staff card, ``a.vcancel.5`` on a
    visit reminder). The handler checks permissions and that the argument still makes sense."""
    def register(fn: ActionHandler) -> ActionHandler:
        if "." in name:
            raise ValueError("action names contain no dots")
        ACTIONS[name] = fn
        return fn
    return register


def action_payload(name: str, arg: str | int = "") -> str:
    payload = f"{ACTION_PREFIX}{name}.{arg}"
    if len(payload.encode()) > 64:
        raise ValueError(f"payload too long for Telegram: {payload!r}")
    return payload


ChatRouter = Callable[["Context"], Awaitable[bool]]
CHAT_ROUTERS: list[ChatRouter] = []


def chat_router(fn: ChatRouter) -> ChatRouter:
    """Register a hook that sees every event first and may take it (True), e.g. messages in a staff
    chat, which are not a citizen's conversation. A hook that takes an event and wants no screen
    shown after its replies sets ``ctx.show_screen = False``."""
    CHAT_ROUTERS.append(fn)
    return fn


def command(name: str, description: str, *, staff: bool = False,
            personal: bool = False) -> Callable[[CommandHandler], CommandHandler]:
    """Register a slash command (``/visits``); ``staff`` ones are refused to anyone but staff,
    ``personal`` ones (they print clients' names, phones, texts) are answered only in a staff chat
    or a private dialogue with the bot, never in an ordinary group chat."""
    def register(fn: CommandHandler) -> CommandHandler:
        COMMANDS[name] = SlashCommand(name, fn, description, staff, personal)
        return fn
    return register


class Context:
    """What a step handler may do: read the event and state, say things, move, notify others."""

    def __init__(self, event: Event, state: State, services: Services) -> None:
        self.event = event
        self.state = state
        self.services = services
        self.replies: list[Reply] = []
        self.outbox: list[Outgoing] = []
        self.show_screen = True
        self.aside = False  # the step handed typed text on to the step before it (step_aside)
        self.erased = False  # personal data was deleted: make it leave the database files at once
        self.now: datetime = services.clock()
        # Results computed once per event (the free visit slots: the screen that checks a pressed
        # button and the screen shown next both need them); cleared by whatever changes them.
        self.memo: dict[object, Any] = {}

    # --- state
    @property
    def params(self) -> dict:
        return self.state.params

    @property
    def data(self) -> dict:
        return self.state.data

    # --- output
    def say(self, text: str | Reply, **kwargs: object) -> None:
        self.replies.append(text if isinstance(text, Reply) else Reply(text=text, **kwargs))  # type: ignore[arg-type]

    def notify(self, address: Address, reply: Reply, *, staff: bool = True, department: str | None = None,
               person: str | None = None, hook: str | None = None, hook_args: dict | None = None) -> None:
        """A message to somebody else (staff, another client); written to the outbox with the event."""
        self.outbox.append(Outgoing(address, reply, staff, department=department, person=person, hook=hook,
                                    hook_args=hook_args))

    def send(self, out: Outgoing) -> None:
        self.outbox.append(out)

    # --- navigation
    def go(self, name: str, params: dict | None = None, *, push: bool = True) -> None:
        if name not in STEPS:
            raise KeyError(f"unknown step {name!r}")
        if (push and self.state.step != name) or (push and self.state.params != (params or {})):
            self.state.stack.append([self.state.step, self.state.params])
            del self.state.stack[:-30]  # bounded: state stays small
        self.state.step = name
        self.state.params = dict(params or {})

    def back(self) -> bool:
        if not self.state.stack:
            return False
        name, params = self.state.stack.pop()
        if name not in STEPS:
            return self.back()
        self.state.step, self.state.params = name, dict(params)
        return True

    def home(self, *, keep_data: bool = False) -> None:
        self.state.step, self.state.params, self.state.stack = HOME, {}, []
        if not keep_data:
            self.state.data = {k: v for k, v in self.state.data.items() if k.startswith("_")}

    def step_aside(self) -> None:
        """From ``on_text``: this step does not take what was typed (an optional question the person
        passed over); back to the step before it, which gets the text instead."""
        if not self.back():
            self.home(keep_data=True)
        self.aside = True

    def is_staff(self) -> bool:
        return self.services.is_staff(self.event)


def _unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (or the connection was lost), as opposed to a bug: a
    network error, a refused or dropped connection, a connection found dead on use."""
    if isinstance(exc, OSError | TimeoutError | OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def describe(exc: BaseException) -> str:
    """An exception for the log: its type and where it happened, without its message, which may
    quote what a person wrote or the SQL parameters of a statement (personal data)."""
    where = "".join(traceback.format_tb(exc.__traceback__)).rstrip()
    inner = f" ({type(exc.orig).__name__})" if isinstance(exc, DBAPIError) else ""
    return f"{type(exc).__name__}{inner}\n{where}"


def _token(state: State) -> str:
    raw = state.step + json.dumps(state.params, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.blake2s(raw.encode(), digest_size=3).hexdigest()


def render(screen: Screen, state: State) -> Reply:
    """Turn a screen into a reply: option buttons carry ``<token>.<option id>`` as payload."""
    token = _token(state)
    rows: list[list[Button]] = []
    for row in screen.rows:
        buttons = [Button(o.label, url=o.url) if o.url else Button(o.label, payload=f"{token}.{o.id}")
                   for o in row]
        if buttons:
            rows.append(buttons)
    if screen.nav and state.step != HOME:
        nav = [Button(texts.BTN_BACK, payload=GLOBAL_PREFIX + "back")] if state.stack else []
        nav.append(Button(texts.BTN_MENU, payload=GLOBAL_PREFIX + "menu"))
        rows.append(nav)
    return Reply(text=screen.text, title=screen.title, buttons=rows, venue=screen.venue,
                 document=screen.document, image=screen.image, request_contact=screen.request_contact,
                 menu=screen.menu)


# The parameter of the link to the private dialogue (Telegram: t.me/bot?start=continue): the
# conversation goes on where it stopped in the group instead of starting afresh.
CONTINUE = "continue"


def _navigation(event: Event) -> bool:
    """Back, menu, cancel, help or start: allowed anywhere, also in a group at a personal step."""
    if event.payload is not None:
        return event.payload.startswith(GLOBAL_PREFIX)
    return bool(event.text and nav_command(clean(event.text)))


def private_only(event: Event, state: State) -> Reply:
    """Instead of a step with personal data, in a group chat: go on in the private dialogue, where
    the same conversation waits at the same step (it is the person's, not the chat's)."""
    rows: list[list[Button]] = []
    if event.dialogue_url:
        rows.append([Button(texts.BTN_PRIVATE, url=event.dialogue_url)])
    nav = [Button(texts.BTN_BACK, payload=GLOBAL_PREFIX + "back")] if state.stack else []
    rows.append([*nav, Button(texts.BTN_MENU, payload=GLOBAL_PREFIX + "menu")])
    return Reply(text=texts.PRIVATE_ONLY, buttons=rows)


@dataclass(slots=True)
class Handled:
    """What an event produced, after its unit of work committed: ``messages`` are outbox rows
    claimed for delivery now (in order), ``screen`` the replies shown at once and not stored
    (navigation screens and menus, edited in place where the channel can; losing one to a crash
    costs nobody anything: the next message shows the screen again)."""

    messages: list[Queued] = field(default_factory=list)
    screen: list[Outgoing] = field(default_factory=list)
    duplicate: bool = False  # the update was handled before: nothing was done again
    erased: bool = False  # personal data was deleted (the database files were checkpointed)

    @property
    def outgoing(self) -> list[Outgoing]:
        """Everything to show, in order, as messages (tests and the console read it this way)."""
        return [queued_outgoing(q) for q in self.messages] + self.screen


def queued_outgoing(q: Queued) -> Outgoing:
    return Outgoing(Address(q.channel, q.chat_id, q.thread_id, q.user_id), reply_from_payload(q.payload["reply"]),
                    bool(q.payload.get("staff")), department=q.department, person=q.person, hook=q.hook,
                    hook_args=q.hook_args, bulk=q.bulk, edit=q.payload.get("edit"))


def new_message(out: Outgoing) -> NewMessage:
    a = out.address
    payload: dict[str, Any] = {"reply": reply_to_payload(out.reply), "staff": out.staff}
    if out.edit is not None:
        payload["edit"] = out.edit
    return NewMessage(a.channel, a.chat_id, a.thread_id, a.user_id, payload, department=out.department,
                      person=out.person, bulk=out.bulk, hook=out.hook, hook_args=out.hook_args, tag=out.reply.tag)


# How long a writer owns the rows it will deliver right after its commit; if it dies meanwhile,
# the sweeper of any instance delivers them after that.
DELIVERY_LEASE = timedelta(minutes=2)
RECENT_UPDATES = 20  # update ids remembered per person: redeliveries come soon after the first


def scoped(services: Services, out: Outgoing) -> Outgoing:
    """A message to a department's staff chat is that department's business (/undelivered shows
    it to them and to nobody else) even when the flow did not say so."""
    if out.department is None:
        department = services.staff_chats.get((out.address.channel, out.address.chat_id))
        if department is not None:
            return replace(out, department=department)
    return out


async def queue(services: Services, outs: list[Outgoing], *, bulk: bool = False) -> list[Queued]:
    """Write messages to the outbox within the caller's unit; returns those to deliver after the
    commit (a job's, a routine's, a delivery hook's messages)."""
    if bulk:
        outs = [replace(o, bulk=True) for o in outs]
    return await put_messages(services.db, [new_message(scoped(services, o)) for o in outs], services.clock(),
                              DELIVERY_LEASE)


class Engine:
    """Handles one event at a time per person (the lock), in one unit of work: the domain change,
    the conversation state and the outbox rows commit together."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def handle(self, event: Event) -> Handled:
        """Process one event; always answers the person (at least an apology), never raises."""
        event = storable_fields(event)  # no NUL or lone surrogate reaches a flow or the database
        here = Address(event.channel, event.chat_id, event.thread_id, user_id=event.user_id)
        menu = [[Button(texts.BTN_MENU, payload=GLOBAL_PREFIX + "menu")]]
        db = self.services.db
        try:
            async with person_lock(db, event.key):
                for attempt in range(3):
                    try:
                        async with db.unit(lock=lock_id(event.key)) as unit:
                            handled = await self._process(event, here, unit)
                        if handled.erased:
                            await self._checkpoint()
                        return handled
                    except StateConflict:
                        log.warning("state of %s:%s changed concurrently, retrying (%d)", *event.key, attempt + 1)
                return Handled(screen=[Outgoing(here, Reply(texts.BUSY, buttons=menu))])
        except Exception as exc:
            if not _unavailable(exc):
                log.error("failed to handle %s event of %s:%s: %s", event.channel, *event.key, describe(exc))
                return Handled(screen=[Outgoing(here, Reply(texts.INTERNAL_ERROR, buttons=menu))])
            # The database is unreachable: apologise; the next message is tried afresh (the pool
            # reconnects by itself), so the bot recovers without a restart. The exception's text
            # only: SQL parameters (a client's data) are never logged.
            log.error("database unavailable while handling %s:%s: %s", *event.key, type(exc).__name__)
            return Handled(screen=[Outgoing(here, Reply(texts.DB_UNAVAILABLE))])

    async def resume(self, event: Event) -> list[Outgoing] | None:
        """The screen a person stopped at (after a restart), or None if there is nothing to resume."""
        state = await load_state(self.services.db, event.channel, event.user_id)
        if state is None or state.step == HOME or state.step not in STEPS:
            return None
        ctx = Context(event, state, self.services)
        reply = render(await STEPS[state.step].screen(ctx), state)
        return [Outgoing(Address(event.channel, event.chat_id, user_id=event.user_id), reply)]

    async def _process(self, event: Event, here: Address, unit: Unit) -> Handled:
        db = self.services.db
        state = await load_state(db, event.channel, event.user_id) or State(step=HOME)
        if event.update_id is not None and event.update_id in state.recent:
            log.info("update %s of %s:%s was handled before; not again", event.update_id, *event.key)
            return Handled(duplicate=True)
        if state.step not in STEPS:  # a step removed by an upgrade: start over politely
            state.step, state.params, state.stack = HOME, {}, []
        ctx = Context(event, state, self.services)
        staff_chat = self.services.is_staff_chat(event.channel, event.chat_id)
        if staff_chat:
            await self._staff_chat(ctx)
        elif event.group and STEPS[state.step].personal and not _navigation(event):
            pass  # a step with personal data goes on in the private dialogue only (said below)
        else:
            await self._dispatch(ctx)
        # What the person is told is kept with the event only if the event changed something (a
        # request, a booking, an answer, a staff action): then it must reach him even if the process
        # dies right after the commit. An event that only moved through the conversation shows its
        # answers at once (a crash costs a screen the next message shows again), and so do menus.
        changed = unit.writes > 0
        screen: list[Outgoing] = []
        durable: list[Outgoing] = []
        for reply in ctx.replies:
            (durable if changed and not reply.menu else screen).append(Outgoing(here, reply))
        if ctx.show_screen and not staff_chat:
            if event.group and STEPS[state.step].personal:
                screen.append(Outgoing(here, private_only(event, state)))
            else:
                screen.append(Outgoing(here, render(await STEPS[state.step].screen(ctx), state)))
        if event.update_id is not None:
            state.recent = [*state.recent, event.update_id][-RECENT_UPDATES:]
        await save_state(db, event.channel, event.user_id, event.chat_id, state, ctx.now)
        messages = await put_messages(db, [new_message(scoped(self.services, o)) for o in durable + ctx.outbox],
                                      ctx.now, DELIVERY_LEASE)
        return Handled(messages=messages, screen=screen, erased=ctx.erased)

    async def _checkpoint(self) -> None:
        """After a person's data was deleted (/forget, a consent withdrawn): SQLite's write-ahead
        log still holds the pages as they were; copied into the file (where secure_delete zeroed
        the rows) and truncated now, not at the next periodic checkpoint."""
        try:
            await self.services.db.checkpoint()
        except Exception as exc:  # the periodic checkpoint will do it
            log.warning("checkpoint after an erasure failed: %s", describe(exc))
    async def _staff_chat(self, ctx: Context) -> None:
        """A staff chat is no citizen's conversation: routers (replies to cards), action buttons and
        staff commands work there; other talk among staff is not for the bot, and no screen is shown."""
        ev = ctx.event
        for router in CHAT_ROUTERS:
            if await router(ctx):
                return
        text = clean(ev.text or "")
        if ev.payload and ev.payload.startswith(ACTION_PREFIX):
            await self._action(ctx, ev.payload)
        elif text.startswith("/"):
            cmd = COMMANDS.get(text.split()[0].split("@")[0].lower())
            if cmd is not None and cmd.staff:
                await self._text(ctx, text, ev.attachments)

    async def _dispatch(self, ctx: Context) -> None:
        ev = ctx.event
        for router in CHAT_ROUTERS:
            if await router(ctx):
                return
        if ev.payload and ev.payload.startswith(ACTION_PREFIX):
            await self._action(ctx, ev.payload)
            return
        if ev.payload:
            await self._payload(ctx, ev.payload)
        elif ev.contact:
            if not await STEPS[ctx.state.step].on_contact(ctx, ev.contact):
                ctx.say(texts.CONTACT_NOT_EXPECTED)
        elif ev.attachments and not (ev.text and ev.text.strip()):
            if not await STEPS[ctx.state.step].on_files(ctx, ev.attachments):
                ctx.say(texts.ONLY_TEXT)
        elif ev.text is not None:
            await self._text(ctx, ev.text, ev.attachments)
        else:
            ctx.say(texts.ONLY_TEXT)

    async def _action(self, ctx: Context, payload: str) -> None:
        name, _, arg = payload[len(ACTION_PREFIX):].partition(".")
        handler = ACTIONS.get(name)
        if handler is None:
            ctx.say(texts.STALE_BUTTON)
        else:
            await handler(ctx, arg)

    async def _payload(self, ctx: Context, payload: str) -> None:
        if payload.startswith(GLOBAL_PREFIX):
            await self._nav(ctx, payload[len(GLOBAL_PREFIX):])
            return
        token, _, option_id = payload.partition(".")
        current = STEPS[ctx.state.step]
        if token != _token(ctx.state):
            ctx.say(texts.STALE_BUTTON)
            return
        screen = await current.screen(ctx)
        if option_id not in {o.id for o in screen.options()}:
            ctx.say(texts.STALE_BUTTON)
            return
        await current.on_option(ctx, option_id)

    async def _text(self, ctx: Context, raw: str, files: tuple[Attachment, ...]) -> None:
        text = clean(raw)
        current = STEPS[ctx.state.step]
        if not text:
            ctx.say(texts.EMPTY_MESSAGE)
            return
        if text.startswith("/"):
            name = text.split()[0].split("@")[0].lower()
            if name in COMMANDS:
                cmd = COMMANDS[name]
                if cmd.staff and not ctx.is_staff():
                    log.warning("refused staff command %s from %s:%s", name, *ctx.event.key)
                    ctx.say(texts.STAFF_ONLY)
                    return
                if cmd.personal and ctx.event.group and not self.services.is_staff_chat(ctx.event.channel,
                                                                                         ctx.event.chat_id):
                    log.info("staff command %s from %s:%s in an ordinary group: not answered there", name,
                             *ctx.event.key)
                    ctx.show_screen = False
                    ctx.say(texts.STAFF_NOT_IN_GROUP)
                    return
                await cmd.handler(ctx, text[len(text.split()[0]):].strip())
                return
        nav = nav_command(text)
        if nav == "start" and text.split()[1:] == [CONTINUE] and ctx.state.step != HOME:
            ctx.say(texts.CONTINUED)  # from the link in a group chat: the screen where he stopped follows
            return
        if nav:
            await self._nav(ctx, nav)
            return
        if text.startswith("/"):
            ctx.say(texts.UNKNOWN_COMMAND)
            return
        screen = await current.screen(ctx)
        if screen.text_mode != "input" and is_greeting(text):
            await self._nav(ctx, "start")
            return
        options = screen.options()
        number = parse_number(text)
        in_range = number is not None and 1 <= number <= len(options)
        if in_range:
            await current.on_option(ctx, options[number - 1].id)  # type: ignore[operator]
            return
        if number is not None and screen.text_mode != "input":
            nav_numbers = self._nav_numbers(ctx, len(options))
            if number in nav_numbers:
                await self._nav(ctx, nav_numbers[number])
            else:
                ctx.say(texts.NO_SUCH_NUMBER.format(n=number, total=len(options)))
            return
        chosen = match_label(text, options, strict=screen.text_mode != "none")
        if chosen is None and screen.hidden:
            chosen = match_label(text, screen.hidden, strict=True)
        if chosen is None:
            chosen_nav = match_label(text, [Option("back", texts.BTN_BACK), Option("menu", texts.BTN_MENU)],
                                     strict=True)
            if chosen_nav:
                await self._nav(ctx, chosen_nav.id)
                return
        if chosen is not None:
            await current.on_option(ctx, chosen.id)
            return
        if screen.text_mode == "none":
            ctx.say(texts.NOT_UNDERSTOOD)
            return
        if len(text) > min(screen.max_text, MAX_TEXT):
            ctx.say(texts.TOO_LONG.format(n=len(text), limit=min(screen.max_text, MAX_TEXT)))
            return
        if files and not await current.on_files(ctx, files):
            ctx.say(texts.ONLY_TEXT)
            return
        if not await current.on_text(ctx, text):
            ctx.say(texts.NOT_UNDERSTOOD)
        elif ctx.aside:
            ctx.aside = False
            await self._text(ctx, raw, files)

    def _nav_numbers(self, ctx: Context, n_options: int) -> dict[int, str]:
        """The numbers the console shows for the back/menu buttons after the options."""
        if ctx.state.step == HOME:
            return {}
        names = (["back"] if ctx.state.stack else []) + ["menu"]
        return {n_options + i + 1: name for i, name in enumerate(names)}

    async def _nav(self, ctx: Context, name: str) -> None:
        if name == "start":
            ctx.home()
            ctx.say(texts.WELCOME)
        elif name == "menu":
            ctx.home(keep_data=True)
        elif name == "cancel":
            was_home = ctx.state.step == HOME
            ctx.home()
            ctx.say(texts.NOTHING_TO_CANCEL if was_home else texts.CANCELLED)
        elif name == "back":
            if not ctx.back():
                ctx.say(texts.ALREADY_HOME if ctx.state.step == HOME else texts.NO_WAY_BACK)
                if ctx.state.step != HOME:
                    ctx.home(keep_data=True)
        elif name == "help":
            ctx.say(texts.HELP)
        else:
            ctx.say(texts.NOT_UNDERSTOOD)

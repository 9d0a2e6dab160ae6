"""The Telegram channel (aiogram 3): updates in as core events, core replies out.

No flow logic here: one router turns messages, button presses and shared contacts into
``Event``s for the shared base (bot.channels.base: flood gate, order, the unit of work, the
outbox), and ``send`` renders a ``Reply`` the way Telegram users expect — inline keyboards,
navigation screens edited in place, results as new messages, files, venues, a "share my number"
keyboard. An outer middleware makes sure an unexpected error is logged and apologised for, never
silent. Sending retries 429/5xx/network errors (``retry``); a person who blocked the bot raises
``Unreachable``.
"""

from __future__ import annotations

import asyncio
import io
import logging
import mimetypes
import re
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ChatAction, ChatType, ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    BufferedInputFile,
    CallbackQuery,
    ChatMemberUpdated,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
    Update,
)

from bot.channels.antiflood import FloodGuard
from bot.channels.base import Channel, FileUnavailable, Here, SendFailed, TransientSendError, Unreachable
from bot.channels.telegram.events import CHANNEL, USER_CONTENT, addressed, callback_event, message_event
from bot.channels.telegram.memory import ChatMemory, chat_memory
from bot.channels.telegram.models import RESPONSE_MODELS  # noqa: F401  (aiogram's answer models, built once)
from bot.channels.telegram.render import caption, contact_keyboard, escape, html_chunks, inline_keyboard, split_text
from handlers import texts
from handlers.engine import COMMANDS, CONTINUE
from handlers.models import Address, Attachment, Document, Event, Reply
from storage.clients import get_client, mark_unreachable, touch_client

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
BOT_DEFAULTS = DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
Part = Callable[[Markup | None, int | None], Awaitable[Message | None]]  # None: skipped
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
PHOTO_MAX_BYTES = 10 * 1024 * 1024  # sendPhoto takes up to 10 MB; a larger picture goes as a document
PHOTO_MIMES = frozenset({"image/jpeg", "image/png"})
DOWNLOAD_TIMEOUT = 60  # seconds for one file (getFile gives files up to 20 MB)


def chat_ref(chat_id: str | int) -> int | str:
    """Telegram chat ids are numbers; ``@channelname`` stays a string."""
    try:
        return int(chat_id)
    except (TypeError, ValueError):
        return str(chat_id)


def file_name(attachment: Attachment, path: str) -> tuple[str, str]:
    """A name and a type for a downloaded file: its own, else from Telegram's path (``photos/file_3.jpg``)."""
    suffix = PurePosixPath(path).suffix or (".jpg" if attachment.kind == "photo" else ".bin")
    name = attachment.filename or f"{attachment.kind}{suffix}"
    mime = attachment.mime or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return name, mime


def is_private(chat_id: int | str) -> bool:
    return isinstance(chat_id, int) and chat_id > 0  # users are positive, groups negative


class _ErrorGuard(BaseMiddleware):
    """Outermost: any failure is logged with its context and the person gets an apology."""

    def __init__(self, channel: TelegramChannel) -> None:
        self.channel = channel

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        try:
            return await handler(event, data)
        except Exception:
            update = data.get("event_update")
            if isinstance(event, CallbackQuery):
                what = f"button {event.data!r}"
                chat = event.message.chat.id if event.message else event.from_user.id
                user = event.from_user.id
            elif isinstance(event, Message):
                what = f"{getattr(event.content_type, 'value', event.content_type)} message"
                chat, user = event.chat.id, event.from_user.id if event.from_user else None
            else:
                what, chat, user = type(event).__name__, None, None
            log.exception("telegram: failed to handle %s from user %s in chat %s (update %s)", what, user, chat,
                          getattr(update, "update_id", None))
            await self.channel.apologize_for(event)
            return None


class TelegramChannel(Channel):
    name: ClassVar[str] = CHANNEL
    typing_after = 1.0  # seconds of thinking before "typing…" is shown

    def __init__(self, app: App, bot: Bot, *, flood: FloodGuard | None = None,
                 memory: ChatMemory | None = None) -> None:
        super().__init__(app, flood=flood)
        self.bot = bot
        self.memory = memory if memory is not None else chat_memory(app.settings.redis_url)
        self.router = Router(name="consult-bot")
        for observer in (self.router.message, self.router.callback_query):
            observer.outer_middleware(_ErrorGuard(self))
        self.router.message.register(self._on_message, self._for_us)
        self.router.callback_query.register(self._on_callback)
        self.router.my_chat_member.register(self._on_membership)
        # The conversation state is the engine's (storage.conversations): aiogram's FSM and its
        # middleware, run for every update, would hold nothing.
        self.dispatcher = Dispatcher(disable_fsm=True)
        self.dispatcher.include_router(self.router)

    # ------------------------------------------------------------------ incoming
    def _is_staff_chat(self, chat_id: int) -> bool:
        return self.services.is_staff_chat(CHANNEL, str(chat_id))

    def is_private(self, chat_id: str) -> bool:
        return is_private(chat_ref(chat_id))

    async def _for_us(self, message: Message) -> bool:
        """Filter: a person's own content; in a group, only what is addressed to the bot, except in
        staff chats, where the staff features see everything."""
        if message.from_user is None or message.from_user.is_bot:
            return False
        if message.content_type not in USER_CONTENT:
            return False
        if message.chat.type == ChatType.PRIVATE or self._is_staff_chat(message.chat.id):
            return True
        if message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
            return addressed(message, await self.bot.me())
        return False

    async def _group(self, chat_id: int, chat_type: str | None) -> dict[str, Any]:
        """An event's group fields: in a group that is not a staff chat, nothing personal is shown,
        and the person is given the link to his private dialogue with the bot."""
        if chat_type not in (ChatType.GROUP, ChatType.SUPERGROUP) or self._is_staff_chat(chat_id):
            return {}
        username = (await self.bot.me()).username
        return {"group": True, "dialogue_url": f"https://t.me/{username}?start={CONTINUE}" if username else None}

    async def _on_message(self, message: Message, event_update: Update) -> None:
        me = await self.bot.me()
        event = replace(message_event(message, me), update_id=f"{CHANNEL}:{event_update.update_id}",
                        **await self._group(message.chat.id, message.chat.type))
        if event.contact is not None:
            await self.memory.set_contact_keyboard(message.chat.id, True)  # still shown: remove it next
        await self._process(event, Here(str(message.chat.id), event.user_id, thread_id=event.thread_id,
                                        update_id=event.update_id))

    async def _on_callback(self, query: CallbackQuery, event_update: Update) -> None:
        if query.data is None:
            await self.answer_query(query)
            return
        msg = query.message
        chat_id = msg.chat.id if msg is not None else query.from_user.id
        accessible = isinstance(msg, Message)  # messages older than 48 hours are not
        event = replace(callback_event(query, chat_id), update_id=f"{CHANNEL}:{event_update.update_id}",
                        **await self._group(chat_id, msg.chat.type if msg is not None else None))
        here = Here(str(chat_id), str(query.from_user.id), thread_id=event.thread_id,
                    pressed=str(msg.message_id) if accessible else None, update_id=event.update_id,
                    extra={"query": query})
        await self._process(event, here)

    async def acknowledge(self, here: Here, notice: str | None) -> None:
        """The button stops spinning before anything else happens (a flood notice shows on it)."""
        query = here.extra.get("query")
        if isinstance(query, CallbackQuery):
            await self.answer_query(query, notice)

    async def _on_membership(self, update: ChatMemberUpdated) -> None:
        """A person who blocks the bot is unreachable from now on; unblocking makes him reachable."""
        if update.chat.type != ChatType.PRIVATE:
            return
        who = str(update.chat.id)
        if update.new_chat_member.status == "kicked":
            log.info("telegram: user %s blocked the bot", who)
            await mark_unreachable(self.services.db, CHANNEL, who)
        elif update.new_chat_member.status == "member" and await get_client(self.services.db, CHANNEL, who):
            log.info("telegram: user %s unblocked the bot", who)
            await touch_client(self.services.db, CHANNEL, who, who, self.services.clock())

    async def _process(self, event: Event, here: Here) -> None:
        typing = asyncio.create_task(self._typing_later(here))
        try:
            await self.receive(event, here)
        finally:
            typing.cancel()

    async def _typing_later(self, here: Here) -> None:
        """If the answer takes a while (a busy database, a chart), show "typing…" meanwhile."""
        await asyncio.sleep(self.typing_after)
        with suppress(TelegramAPIError):
            await self.bot.send_chat_action(chat_id=chat_ref(here.chat_id), action=ChatAction.TYPING,
                                            message_thread_id=here.thread_id)

    # ------------------------------------------------------------------ outgoing
    async def send(self, address: Address, reply: Reply, *, key: str, here: Here | None = None) -> list[str]:
        """Show a reply in a chat (optionally a forum topic); a menu answering a press may replace
        the pressed message. Raises ``Unreachable`` / ``SendFailed`` (transient once the retry
        budget of network errors, 5xx and 429 is spent)."""
        target: int | str = chat_ref(address.chat_id)
        thread = address.thread_id if address.thread_id is not None else (here.thread_id if here else None)
        edit = int(here.pressed) if here is not None and here.pressed and here.shown == 0 else None
        user = address.user_id or (here.user_id if here else None)
        for _ in range(2):
            try:
                ids = await self._render(target, reply, thread, user, edit)
                return [str(i) for i in ids]
            except TelegramMigrateToChat as exc:  # a group became a supergroup: its id changed
                log.error("telegram: chat %s is now %s; update its id in the settings", target,
                          exc.migrate_to_chat_id)
                target, edit = exc.migrate_to_chat_id, None
            except TelegramForbiddenError as exc:
                raise Unreachable(exc.message) from exc
            except TelegramBadRequest as exc:
                if "chat not found" in exc.message.lower():
                    raise Unreachable("chat not found") from exc
                raise SendFailed(f"telegram: {exc.message}", transient=False) from exc
            except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
                # The retry budget is spent but the message is fine: worth another try later (outbox).
                raise TransientSendError(f"telegram: {type(exc).__name__}") from exc
            except TelegramAPIError as exc:
                raise SendFailed(f"telegram: {type(exc).__name__}", transient=False) from exc
            except ValueError as exc:  # Telegram would refuse it (callback data too long, too many buttons)
                raise SendFailed(f"telegram: {exc}", transient=False) from exc
        raise SendFailed("telegram: the chat moved twice", transient=False)

    async def edit(self, address: Address, message_id: str, reply: Reply) -> bool:
        """``editMessageText``: the message's text becomes the reply's first part, its buttons go
        (a message with a file or a place has no text to edit: Telegram refuses, and it stays)."""
        chunks = html_chunks(reply)
        try:
            await self.bot.edit_message_text(chat_id=chat_ref(address.chat_id), message_id=int(message_id),
                                             text=chunks[0], parse_mode=ParseMode.HTML,
                                             link_preview_options=NO_PREVIEW, reply_markup=None)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return True
            raise SendFailed(f"telegram: {exc.message}", transient=False) from exc
        except TelegramForbiddenError as exc:
            raise Unreachable(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
            raise TransientSendError(f"telegram: {type(exc).__name__}") from exc
        except TelegramAPIError as exc:
            raise SendFailed(f"telegram: {type(exc).__name__}", transient=False) from exc
        return True

    async def _render(self, chat_id: int | str, reply: Reply, thread_id: int | None, user_id: str | None,
                      edit: int | None) -> list[int]:
        chunks = html_chunks(reply)
        markup = inline_keyboard(reply)
        files: tuple[Attachment, ...] = getattr(reply, "files", ())
        drop_keyboard = not reply.request_contact and await self.memory.contact_keyboard(chat_id)
        only_text = not (reply.venue or reply.document or reply.image or reply.request_contact or files
                         or reply.uploads)
        if (edit is not None and reply.menu and only_text and len(chunks) == 1 and not drop_keyboard
                and await self.memory.menu_owned_by(chat_id, edit, user_id)
                and await self._edit(chat_id, edit, chunks[0], markup)):
            return [edit]

        parts = self._parts(chat_id, reply, chunks)
        keyboard_at = len(parts) - 1  # buttons go under the last message, re-sent files come after
        parts += [self._file_part(chat_id, f) for f in files]
        parts += [self._upload_part(chat_id, doc) for doc in reply.uploads]
        want_contact = reply.request_contact and is_private(chat_id)
        hint = want_contact and (markup is not None or keyboard_at < 0)
        if hint:
            parts.append(self._text_part(chat_id, escape(texts.TG_SHARE_PHONE_HINT)))
        ids: list[int] = []
        for i, part in enumerate(parts):
            kb: Markup | None = markup if i == keyboard_at else None
            if want_contact and i == len(parts) - 1:
                kb = contact_keyboard()
            inline_later = None
            if drop_keyboard and i == 0:
                # One message cannot carry both: remove the reply keyboard, then add the buttons.
                inline_later, kb = (kb if isinstance(kb, InlineKeyboardMarkup) else None), ReplyKeyboardRemove()
            sent, thread_id = await self._send_part(part, kb, thread_id)
            if sent is None:
                continue
            ids.append(sent.message_id)
            if drop_keyboard and i == 0:
                await self.memory.set_contact_keyboard(chat_id, False)
                if inline_later is not None:
                    await self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=sent.message_id,
                                                             reply_markup=inline_later)
        if want_contact:
            await self.memory.set_contact_keyboard(chat_id, True)
        if reply.menu and len(parts) == 1 and chunks and markup is not None and ids and not want_contact:
            await self.memory.remember_menu(chat_id, ids[0], user_id)
        return ids

    def _text_part(self, chat_id: int | str, html: str) -> Part:
        async def send(kb: Markup | None, thread_id: int | None) -> Message:
            return await self.bot.send_message(chat_id=chat_id, text=html, parse_mode=ParseMode.HTML,
                                               link_preview_options=NO_PREVIEW, reply_markup=kb,
                                               message_thread_id=thread_id)
        return send

    def _parts(self, chat_id: int | str, reply: Reply, chunks: list[str]) -> list[Part]:
        """Text first, then the picture, the file and the place on the map."""
        parts = [self._text_part(chat_id, chunk) for chunk in chunks]
        for doc, kind in ((reply.image, "photo"), (reply.document, "document")):
            if doc is None:
                continue
            cap = caption(doc)
            if doc.caption and cap is None:  # too long for a caption: a message of its own before the file
                parts += [self._text_part(chat_id, escape(p)) for p in split_text(doc.caption)]
            file = BufferedInputFile(doc.content, filename=doc.filename)

            async def send_file(kb: Markup | None, thread_id: int | None, file: BufferedInputFile = file,
                                cap: str | None = cap, kind: str = kind) -> Message:
                if kind == "photo":
                    return await self.bot.send_photo(chat_id=chat_id, photo=file, caption=cap,
                                                     parse_mode=ParseMode.HTML, reply_markup=kb,
                                                     message_thread_id=thread_id)
                return await self.bot.send_document(chat_id=chat_id, document=file, caption=cap,
                                                    parse_mode=ParseMode.HTML, reply_markup=kb,
                                                    message_thread_id=thread_id)
            parts.append(send_file)
        if reply.venue is not None:
            v = reply.venue

            async def send_venue(kb: Markup | None, thread_id: int | None) -> Message:
                return await self.bot.send_venue(chat_id=chat_id, latitude=v.latitude, longitude=v.longitude,
                                                 title=v.title, address=v.address, reply_markup=kb,
                                                 message_thread_id=thread_id)
            parts.append(send_venue)
        return parts

    def _file_part(self, chat_id: int | str, f: Attachment) -> Part:
        """A file a person sent, sent again by its Telegram id (no download and upload)."""
        async def send(kb: Markup | None, thread_id: int | None) -> Message | None:
            common: dict[str, Any] = {"chat_id": chat_id, "reply_markup": kb, "message_thread_id": thread_id}
            try:
                if f.kind == "photo":
                    return await self.bot.send_photo(photo=f.file_id, **common)
                if f.kind == "sticker":
                    return await self.bot.send_sticker(sticker=f.file_id, **common)
                if f.kind == "voice":
                    return await self.bot.send_voice(voice=f.file_id, **common)
                if f.kind == "video":
                    return await self.bot.send_video(video=f.file_id, **common)
                return await self.bot.send_document(document=f.file_id, **common)
            except TelegramBadRequest as exc:  # a file id of another bot or an expired one: skip it
                log.warning("telegram: could not re-send %s %s to chat %s: %s", f.kind, f.file_id, chat_id,
                            exc.message)
                return None
        return send

    def _upload_part(self, chat_id: int | str, doc: Document) -> Part:
        """A file brought from another messenger: a picture as a photo, anything else (or a picture
        Telegram will not take as a photo) as a document."""
        async def send(kb: Markup | None, thread_id: int | None) -> Message:
            common: dict[str, Any] = {"chat_id": chat_id, "reply_markup": kb, "message_thread_id": thread_id}
            if doc.mime in PHOTO_MIMES and len(doc.content) <= PHOTO_MAX_BYTES:
                try:
                    return await self.bot.send_photo(photo=BufferedInputFile(doc.content, doc.filename), **common)
                except TelegramBadRequest as exc:
                    log.info("telegram: a picture not taken as a photo (%s); sending it as a document", exc.message)
            return await self.bot.send_document(document=BufferedInputFile(doc.content, doc.filename), **common)
        return send

    async def fetch(self, attachment: Attachment, limit: int) -> Document:
        """A file a person sent, by its id: ``getFile``, then its download (Telegram gives bots files
        up to 20 MB)."""
        if not attachment.file_id:
            raise FileUnavailable("no file id")
        try:
            file = await self.bot.get_file(attachment.file_id)
        except TelegramBadRequest as exc:
            raise FileUnavailable(exc.message, too_big="too big" in exc.message.lower()) from exc
        except TelegramAPIError as exc:
            raise FileUnavailable(type(exc).__name__) from exc
        if file.file_size is not None and file.file_size > limit:
            raise FileUnavailable("past the limit", too_big=True)
        if not file.file_path:
            raise FileUnavailable("Telegram gave no file path")
        buffer = io.BytesIO()
        try:
            await self.bot.download_file(file.file_path, destination=buffer, timeout=DOWNLOAD_TIMEOUT)
        except Exception as exc:  # aiohttp's errors, a timeout: the file is not to be had now
            raise FileUnavailable(f"download failed ({type(exc).__name__})") from exc
        content = buffer.getvalue()
        if len(content) > limit:
            raise FileUnavailable("past the limit", too_big=True)
        filename, mime = file_name(attachment, file.file_path)
        return Document(filename, content, mime)

    async def _send_part(self, part: Part, kb: Markup | None, thread_id: int | None
                         ) -> tuple[Message | None, int | None]:
        """Send one part; a forum topic that is gone is not worth losing the message: the chat gets it."""
        try:
            return await part(kb, thread_id), thread_id
        except TelegramBadRequest as exc:
            if thread_id is None or "thread not found" not in exc.message.lower():
                raise
            log.error("telegram: topic %s not found; sending to the chat without a topic", thread_id)
            return await part(kb, None), None

    async def _edit(self, chat_id: int | str, message_id: int, html: str, markup: InlineKeyboardMarkup | None) -> bool:
        try:
            await self.bot.edit_message_text(chat_id=chat_id, message_id=message_id, text=html,
                                             parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW,
                                             reply_markup=markup)
        except TelegramBadRequest as exc:
            if "message is not modified" in exc.message:
                return True
            log.info("telegram: cannot edit message %s in chat %s (%s); sending a new one", message_id, chat_id,
                     exc.message)
            return False
        return True

    # ------------------------------------------------------------------ politeness
    async def answer_query(self, query: CallbackQuery, text: str | None = None) -> None:
        """Every press is answered; an old query can no longer be, which is fine."""
        try:
            await self.bot.answer_callback_query(callback_query_id=query.id, text=text)
        except TelegramBadRequest as exc:
            log.debug("telegram: callback query %s not answered: %s", query.id, exc.message)

    async def apologize_for(self, event: TelegramObject) -> None:
        if isinstance(event, CallbackQuery):
            await self.answer_query(event)
            chat_id = event.message.chat.id if event.message else event.from_user.id
        elif isinstance(event, Message):
            chat_id = event.chat.id
        else:
            return
        await self.apologize(Here(str(chat_id), ""))

    # ------------------------------------------------------------------ lifecycle
    async def setup_commands(self) -> None:
        """The command menu next to the input field; staff chats and admins also see staff commands."""
        public = [BotCommand(command=name, description=descr) for name, descr in (
            ("start", texts.CMD_START), ("menu", texts.CMD_MENU), ("back", texts.CMD_BACK),
            ("help", texts.CMD_HELP), ("cancel", texts.CMD_CANCEL))]
        staff: list[BotCommand] = []
        for cmd in COMMANDS.values():
            name = cmd.name.lstrip("/")
            if not _COMMAND_NAME.match(name) or any(c.command == name for c in public + staff):
                continue
            (staff if cmd.staff else public).append(BotCommand(command=name, description=cmd.description[:256] or name))
        scopes: list[tuple[list[BotCommand], Any]] = [(public, BotCommandScopeDefault())]
        staff_chats = self.services.staff_chat_ids(CHANNEL)
        people = set(self.services.admin_ids)  # in their private chats with the bot: admins, listed staff
        for dep in self.services.directory.departments:
            people |= set(dep.staff) | set(dep.heads)
        staff_chats |= {who.split(":", 1)[1] for who in people if who.startswith(CHANNEL + ":")}
        if staff:
            scopes += [(public + staff, BotCommandScopeChat(chat_id=chat_ref(chat))) for chat in sorted(staff_chats)]
        for commands, scope in scopes:
            try:
                await self.bot.set_my_commands(commands=commands, scope=scope)
            except TelegramAPIError as exc:
                log.warning("telegram: could not set the command menu for %s: %s", scope.type, exc.message)

    async def close(self) -> None:
        await super().close()
        await self.memory.close()

"""Personal data: consent first, then a name and a phone, reusing what the client already gave.

Flows call ``ask_personal(ctx, then=..., purpose=...)``; when consent and contact are there the
conversation continues at the step ``then`` with ``ctx.data["contact"] = {"name", "phone"}``.
``FORGET_HOOKS`` let every feature erase its part when a client asks to delete his data.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from handlers import texts
from handlers.engine import Context, Option, Screen, Step, step
from handlers.models import Contact
from handlers.services import Services
from storage.clients import Client, get_client, save_contact, touch_client

ForgetHook = Callable[[Services, Client], Awaitable[None]]
FORGET_HOOKS: list[ForgetHook] = []


def forget_hook(fn: ForgetHook) -> ForgetHook:
    """Register what to erase of a client when he asks (/forget)."""
    FORGET_HOOKS.append(fn)
    return fn


_NAME = re.compile(r"^[A-Za-zА-Яа-яЁё][A-Za-zА-Яа-яЁё .'\-]{1,99}$")


def normalize_phone(text: str) -> str | None:
    """``8 (911) 123-45-67`` / ``+7 911 1234567`` -> ``+79111234567``; None if not a phone. ASCII
    digits only: a number written in other digits would be another string for the same phone."""
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] == "9":
        return "+7" + digits
    if 11 <= len(digits) <= 15 and text.strip().startswith("+"):
        return "+" + digits
    return None


async def ask_personal(ctx: Context, *, then: str, purpose: str, then_params: dict | None = None,
                       need_phone: bool = True) -> None:
    ctx.data["_pd"] = {"then": then, "params": then_params or {}, "purpose": purpose, "need_phone": need_phone}
    client = await touch_client(ctx.services.db, ctx.event.channel, ctx.event.user_id, ctx.event.chat_id, ctx.now)
    if client.consent_at is None:
        ctx.go("personal.consent")
    else:
        ctx.go("personal.name")


def _finish(ctx: Context) -> None:
    pd = ctx.data.pop("_pd", None) or {}
    ctx.go(pd.get("then", "menu"), pd.get("params", {}))


async def _client(ctx: Context) -> Client | None:
    return await get_client(ctx.services.db, ctx.event.channel, ctx.event.user_id)


@step
class ConsentStep(Step):
    name = "personal.consent"

    async def screen(self, ctx: Context) -> Screen:
        purpose = (ctx.data.get("_pd") or {}).get("purpose", "продолжить")
        return Screen(text=texts.CONSENT.format(purpose=purpose),
                      rows=[[Option("yes", texts.BTN_CONSENT_YES, aliases=("да", "согласен", "согласна")),
                             Option("no", texts.BTN_CONSENT_NO, aliases=("нет",))]])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "yes":
            client = await touch_client(ctx.services.db, ctx.event.channel, ctx.event.user_id,
                                        ctx.event.chat_id, ctx.now)
            await save_contact(ctx.services.db, client.id, consent_at=ctx.now)
            ctx.go("personal.name")
        else:
            ctx.data.pop("_pd", None)
            ctx.home()
            ctx.say(texts.CONSENT_REFUSED)


@step
class NameStep(Step):
    name = "personal.name"

    async def screen(self, ctx: Context) -> Screen:
        client = await _client(ctx)
        rows = [[Option("saved", texts.USE_SAVED.format(value=client.name)[:60])]] if client and client.name else []
        return Screen(text=texts.ASK_NAME, rows=rows, text_mode="input", max_text=100)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        client = await _client(ctx)
        ctx.data["contact"] = {"name": client.name if client else None}
        await self._next(ctx)

    async def on_text(self, ctx: Context, text: str) -> bool:
        name = " ".join(text.split())
        if not _NAME.match(name):
            ctx.say(texts.BAD_NAME)
            return True
        client = await _client(ctx)
        assert client is not None
        await save_contact(ctx.services.db, client.id, name=name)
        ctx.data["contact"] = {"name": name}
        await self._next(ctx)
        return True

    async def _next(self, ctx: Context) -> None:
        ctx.go("personal.phone")


@step
class PhoneStep(Step):
    name = "personal.phone"

    async def screen(self, ctx: Context) -> Screen:
        client = await _client(ctx)
        rows = []
        if client and client.phone:
            rows.append([Option("saved", texts.USE_SAVED.format(value=client.phone))])
        if not (ctx.data.get("_pd") or {}).get("need_phone", True):
            rows.append([Option("skip", texts.BTN_SKIP)])
        return Screen(text=texts.ASK_PHONE, rows=rows, text_mode="input", max_text=40, request_contact=True)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        client = await _client(ctx)
        phone = client.phone if client and option_id == "saved" else None
        ctx.data.setdefault("contact", {})["phone"] = phone
        _finish(ctx)

    async def on_contact(self, ctx: Context, contact: Contact) -> bool:
        return await self.on_text(ctx, contact.phone)

    async def on_text(self, ctx: Context, text: str) -> bool:
        phone = normalize_phone(text)
        if phone is None:
            ctx.say(texts.BAD_PHONE)
            return True
        client = await _client(ctx)
        assert client is not None
        await save_contact(ctx.services.db, client.id, phone=phone)
        ctx.data.setdefault("contact", {})["phone"] = phone
        _finish(ctx)
        return True

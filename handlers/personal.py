"""Personal data: a consent for each purpose, then a name and a phone, reusing what the client gave.

Every purpose the bot uses personal data for has its own consent (152-FZ art. 9: a separate
document since 1 September 2025), its own versioned text (handlers/texts/consent.py) and its own
step: a visit, a written request, a call back, an e-mail copy of the answer, survey invitations.
A consent covers its purpose and the wording the person saw: a new purpose, or a new version of
the text, asks again. Each consent is recorded (storage.consents) with purpose, version, channel
and time.

Flows call ``ask_personal(ctx, then=..., purpose="visit")`` for a name and a phone: with the
consent of that purpose the conversation continues at the step ``then`` with
``ctx.data["contact"] = {"name", "phone"}``. For a purpose that only adds to a flow (a call back,
an e-mail copy) ``ask_consent(ctx, purpose, then=...)``: agreeing goes on to ``then``, refusing
goes back one step. ``FORGET_HOOKS`` let every feature erase its part when a client asks to delete
his data; ``on_refusal`` hooks remember a "no" where it matters (no survey invitations).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from handlers import texts
from handlers.engine import Context, Option, Screen, Step, step
from handlers.models import Contact
from handlers.services import Services
from storage.clients import Client, get_client, save_contact, touch_client
from storage.consents import consents_in_force, record_consent
from storage.survey import anon_hash

ForgetHook = Callable[[Services, Client], Awaitable[None]]
FORGET_HOOKS: list[ForgetHook] = []
RefusalHook = Callable[[Context], Awaitable[None]]
REFUSAL_HOOKS: dict[str, RefusalHook] = {}

# Purposes without which the flow cannot go on (their consent is asked before the name); the others
# add to a flow and may be declined.
REQUIRED = ("visit", "request")


def forget_hook(fn: ForgetHook) -> ForgetHook:
    """Register what to erase of a client when he asks (/forget)."""
    FORGET_HOOKS.append(fn)
    return fn


def on_refusal(purpose: str) -> Callable[[RefusalHook], RefusalHook]:
    """Register what to remember when a person declines the consent of ``purpose``."""
    def register(fn: RefusalHook) -> RefusalHook:
        REFUSAL_HOOKS[purpose] = fn
        return fn
    return register


def person_of(ctx: Context) -> str:
    return f"{ctx.event.channel}:{ctx.event.user_id}"


def consent_hash(services: Services, person: str) -> str:
    """The person as a consent record keeps him once the consent ended: a keyed hash (the key is
    the deployment's secret, SURVEY_SALT), so the record proves a consent only to whoever knows
    the person already."""
    return anon_hash(services.survey_salt, "consent", person)


async def has_consent(services: Services, person: str, purpose: str) -> bool:
    """Whether the person agreed to this purpose, to the wording in force."""
    version = texts.CONSENT_VERSIONS[purpose]
    return any(c.purpose == purpose and c.version == version
               for c in await consents_in_force(services.db, person))


async def grant_consent(services: Services, person: str, purpose: str) -> None:
    """Record that ``person`` ("channel:user id") agreed to ``purpose`` in the wording in force."""
    await record_consent(services.db, person=person, person_hash=consent_hash(services, person), purpose=purpose,
                         version=texts.CONSENT_VERSIONS[purpose], channel=person.partition(":")[0],
                         now=services.clock())


def consent_text(services: Services, purpose: str) -> str:
    org = services.directory.organization
    return texts.CONSENT_TEXTS[purpose].format(operator=org.name,
                                               address=org.address or services.directory.visit_place.address)


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
    """A name and a phone for ``purpose`` (``visit``, ``request``), after its consent."""
    ctx.data["_pd"] = {"then": then, "params": then_params or {}, "need_phone": need_phone}
    await touch_client(ctx.services.db, ctx.event.channel, ctx.event.user_id, ctx.event.chat_id, ctx.now)
    if await has_consent(ctx.services, person_of(ctx), purpose):
        ctx.go("personal.name")
    else:
        ctx.go("personal.consent", {"purpose": purpose})


async def ask_consent(ctx: Context, purpose: str, *, then: str, then_params: dict | None = None) -> bool:
    """An optional purpose (a call back, an e-mail copy, survey invitations): go on to ``then`` if
    the person agreed before (True); else ask, and go there once he agrees."""
    if await has_consent(ctx.services, person_of(ctx), purpose):
        ctx.go(then, then_params)
        return True
    ctx.go("personal.consent", {"purpose": purpose, "then": then, "then_params": then_params or {}})
    return False


def _finish(ctx: Context) -> None:
    pd = ctx.data.pop("_pd", None) or {}
    ctx.go(pd.get("then", "menu"), pd.get("params", {}))


async def _client(ctx: Context) -> Client | None:
    return await get_client(ctx.services.db, ctx.event.channel, ctx.event.user_id)


@step
class ConsentStep(Step):
    """The consent of one purpose: its full text, agree or not."""

    name = "personal.consent"
    personal = True

    def _purpose(self, ctx: Context) -> str:
        purpose = str(ctx.params.get("purpose", ""))
        return purpose if purpose in texts.CONSENT_TEXTS else "request"

    async def screen(self, ctx: Context) -> Screen:
        # Asked on the way (survey invitations), the question may be passed over by writing
        # something else: that goes to where the person was (``on_text``).
        return Screen(text=consent_text(ctx.services, self._purpose(ctx)),
                      rows=[[Option("yes", texts.BTN_CONSENT_YES, aliases=("да", "согласен", "согласна")),
                             Option("no", texts.BTN_CONSENT_NO, aliases=("нет",))]], menu=False,
                      text_mode="input" if ctx.params.get("back") else "none")

    async def on_text(self, ctx: Context, text: str) -> bool:
        ctx.step_aside()  # no answer is no consent: nothing is recorded
        return True

    async def on_option(self, ctx: Context, option_id: str) -> None:
        purpose = self._purpose(ctx)
        then, then_params = ctx.params.get("then"), ctx.params.get("then_params") or {}
        if option_id == "yes":
            await grant_consent(ctx.services, person_of(ctx), purpose)
            if ctx.params.get("back"):  # asked on the way (survey invitations): where he was
                if not ctx.back():
                    ctx.home(keep_data=True)
            else:
                ctx.go(then or "personal.name", then_params if then else None, push=False)
            return
        refused = REFUSAL_HOOKS.get(purpose)
        if refused is not None:
            await refused(ctx)
        if purpose in REQUIRED and not then and not ctx.params.get("back"):
            ctx.data.pop("_pd", None)
            ctx.home()
            ctx.say(texts.CONSENT_REFUSED)
            return
        if refused is None:
            ctx.say(texts.CONSENT_OPTIONAL_REFUSED)
        if not ctx.back():
            ctx.home(keep_data=True)


@step
class NameStep(Step):
    name = "personal.name"
    personal = True

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
    personal = True

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

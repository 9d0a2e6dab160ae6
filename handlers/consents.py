"""«Мои данные» (/mydata): the consents a person gave, withdrawing one, deleting everything.

Withdrawing a consent stops the processing for that purpose at once and deletes what was kept
for it (152-FZ art. 9 part 2, art. 21 part 5): a visit's booking is cancelled and deleted; open
requests are withdrawn and every request loses its texts and contacts; a call back or an e-mail
copy is no longer made (the department is told) and the address goes; survey invitations stop.
The consent's record then keeps only a keyed hash of the person (storage.consents).
"""

from __future__ import annotations

from handlers import texts
from handlers.destinations import to_staff
from handlers.engine import Context, Option, Screen, Step, command, step
from handlers.menu import menu_shortcut
from handlers.models import Reply
from handlers.personal import has_consent, person_of
from handlers.requests_common import fmt_date
from handlers.requests_jobs import forget_client_requests
from handlers.survey_invites import forget_invitations, opt_out
from handlers.visits_staff import forget_visits
from storage.clients import Client, erase_email, erase_personal_data, get_client, touch_client
from storage.consents import consents_in_force, end_consents
from storage.requests import drop_extra_channel


@command("/mydata", texts.CMD_MY_DATA)
async def cmd_my_data(ctx: Context, args: str) -> None:
    ctx.go("personal.mine")


@step
class MyData(Step):
    """What the person agreed to, with a button to withdraw each, and to delete everything."""

    name = "personal.mine"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        consents = await consents_in_force(ctx.services.db, person_of(ctx))
        forget = [Option("forget", texts.BTN_FORGET_ALL)]
        if not consents:
            return Screen(title=texts.BTN_MY_DATA, text=texts.MY_DATA_NONE, rows=[forget])
        lines = [texts.MY_DATA_HEAD]
        lines += [texts.MY_DATA_LINE.format(purpose=texts.CONSENT_PURPOSES[c.purpose],
                                            date=fmt_date(ctx.services, c.given_at), version=c.version)
                  for c in consents]
        rows = [[Option(f"w_{c.purpose}", texts.BTN_WITHDRAW.format(purpose=texts.CONSENT_PURPOSES[c.purpose]))]
                for c in consents]
        return Screen(title=texts.BTN_MY_DATA, text="\n".join([*lines, "", texts.MY_DATA_FOOT]),
                      rows=[*rows, forget])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "forget":
            ctx.go("forget.confirm")
        elif option_id.startswith("w_") and option_id[2:] in texts.CONSENT_PURPOSES:
            ctx.go("personal.withdraw", {"purpose": option_id[2:]})


@step
class Withdraw(Step):
    """Are you sure? What withdrawing means for this purpose, then it is done."""

    name = "personal.withdraw"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        purpose = str(ctx.params.get("purpose"))
        return Screen(text=texts.WITHDRAW_ASK.get(purpose, texts.WITHDRAW_NOTHING),
                      rows=[[Option("yes", texts.BTN_WITHDRAW_YES, aliases=("да",)),
                             Option("no", texts.BTN_WITHDRAW_NO, aliases=("нет",))]], menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        purpose = str(ctx.params.get("purpose"))
        if option_id != "yes":
            ctx.say(texts.WITHDRAW_KEPT)
        elif await withdraw(ctx, purpose):
            ctx.erased = True
            ctx.say(texts.WITHDRAWN.format(purpose=texts.CONSENT_PURPOSES[purpose]))
        else:
            ctx.say(texts.WITHDRAW_NOTHING)
        ctx.go("personal.mine", push=False)


async def withdraw(ctx: Context, purpose: str) -> bool:
    """End the consent of ``purpose`` and stop everything done for it; False if there was none."""
    services, ev = ctx.services, ctx.event
    db, person = services.db, person_of(ctx)
    if purpose not in texts.CONSENT_PURPOSES or not await end_consents(db, person, [purpose], now=ctx.now,
                                                                        why="withdrawn"):
        return False
    client = await get_client(db, ev.channel, ev.user_id) \
        or await touch_client(db, ev.channel, ev.user_id, ev.chat_id, ctx.now)
    if purpose == "visit":
        await forget_visits(services, client)
    elif purpose == "request":
        await forget_client_requests(services, client)
    elif purpose in ("callback", "email"):
        await _drop_extra(ctx, "phone" if purpose == "callback" else "email")
        if purpose == "email":
            await erase_email(db, ev.channel, ev.user_id)
    elif purpose == "survey":
        await opt_out(services, ev.channel, ev.user_id)
        await forget_invitations(services, client)
    await _drop_contact_if_unused(ctx, client)
    return True


async def _drop_extra(ctx: Context, kind: str) -> None:
    """No call back / e-mail copy any more: the departments of the open requests learn it."""
    template = texts.ST_PD_CALLBACK_WITHDRAWN if kind == "phone" else texts.ST_PD_EMAIL_WITHDRAWN
    for rq in await drop_extra_channel(ctx.services.db, ctx.event.channel, ctx.event.user_id, kind, ctx.now):
        for out in to_staff(ctx.services, rq.department, Reply(template.format(number=rq.id))):
            ctx.send(out)


async def _drop_contact_if_unused(ctx: Context, client: Client) -> None:
    """Name and phone were given for visits and requests: with neither consent left, they go."""
    person = person_of(ctx)
    if not (await has_consent(ctx.services, person, "visit") or await has_consent(ctx.services, person, "request")):
        await erase_personal_data(ctx.services.db, client.id)


menu_shortcut("mydata", texts.BTN_MY_DATA, "personal.mine")

"""Deleting one's data (/forget or the menu item): after a confirmation every feature's forget hook
runs (requests are anonymised, visits erase their bookings ...), then the client's name, phone,
e-mail and consent are erased and the conversation starts afresh with nothing remembered."""

from __future__ import annotations

import logging

from handlers import texts
from handlers.engine import HOME, Context, Option, Screen, Step, command, step
from handlers.personal import FORGET_HOOKS
from storage.clients import erase_personal_data, get_client

log = logging.getLogger(__name__)


@command("/forget", texts.CMD_FORGET)
async def cmd_forget(ctx: Context, args: str) -> None:
    ctx.go("forget.confirm")


@step
class ForgetStep(Step):
    name = "forget.confirm"

    async def screen(self, ctx: Context) -> Screen:
        return Screen(text=texts.FORGET_CONFIRM, rows=[[Option("yes", texts.BTN_FORGET_YES),
                                                        Option("no", texts.BTN_FORGET_NO, aliases=("нет",))]],
                      menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id != "yes":
            ctx.home(keep_data=True)
            ctx.say(texts.FORGET_KEPT)
            return
        complete = await forget_client(ctx)
        # Nothing of the conversation is kept: no answers, no drafts, no navigation history.
        ctx.state.step, ctx.state.params, ctx.state.stack, ctx.state.data = HOME, {}, [], {}
        ctx.say(texts.FORGET_DONE if complete else texts.FORGET_PARTLY)


async def forget_client(ctx: Context) -> bool:
    """Run every feature's hook, then erase the contact data; False if some hook failed (the rest
    still ran: one feature's fault must not keep the others' data)."""
    services = ctx.services
    client = await get_client(services.db, ctx.event.channel, ctx.event.user_id)
    if client is None:
        return True  # never gave any data
    complete = True
    for hook in FORGET_HOOKS:
        try:
            await hook(services, client)
        except Exception:
            complete = False
            log.exception("forget hook %s failed for client %d", getattr(hook, "__name__", hook), client.id)
    await erase_personal_data(services.db, client.id)
    log.info("client %d (%s) asked to be forgotten%s", client.id, client.channel, "" if complete else ", partly")
    return complete

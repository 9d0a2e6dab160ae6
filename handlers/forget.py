"""Deleting one's data (/forget or «Удалить все мои данные»): after a confirmation everything the bot
keeps about the person goes, in the same unit of work:

- messages about him or for him still waiting in the outbox (staff cards of his requests, notices
  of his visits, answers to him);
- every feature's part (forget hooks: requests are anonymised and open ones withdrawn, visits
  deleted, survey invitations deleted);
- his consents (the records keep only a keyed hash, as proof), his contact row and the
  conversation with its drafts.

Staff cards and notices already posted about him are edited to «данные клиента удалены по его
просьбе» where the channel lets the bot edit its own messages, and each department concerned is
told, without any personal data. SQLite's ``secure_delete`` overwrites what was deleted; the WAL
keeps old pages until the next checkpoint (every minute, and after the daily clean-up).
"""

from __future__ import annotations

import logging

from handlers import texts
from handlers.destinations import to_staff
from handlers.engine import HOME, Context, Option, Screen, Step, command, describe, step
from handlers.models import Address, Outgoing, Reply
from handlers.personal import FORGET_HOOKS, person_of
from handlers.requests_common import CLARIFY_TAG, TAG
from storage.clients import delete_client, get_client, touch_client
from storage.consents import end_consents
from storage.outbox import forget_person
from storage.requests import all_client_requests
from storage.sent import SentMessage, forget_tags, tagged_messages
from storage.visits import visits_of

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
        ctx.erased = True
        # Nothing of the conversation is kept: no answers, no drafts, no navigation history.
        ctx.state.step, ctx.state.params, ctx.state.stack, ctx.state.data = HOME, {}, [], {}
        ctx.say(texts.FORGET_DONE if complete else texts.FORGET_PARTLY)


async def forget_client(ctx: Context) -> bool:
    """Erase everything of the person; False if some feature's hook failed (the rest still ran:
    one feature's fault must not keep the others' data)."""
    services, ev = ctx.services, ctx.event
    db = services.db
    person = person_of(ctx)
    requests = await all_client_requests(db, ev.channel, ev.user_id)
    visits = await visits_of(db, ev.channel, ev.user_id)
    departments: dict[str, str] = {}  # tag -> department
    for rq in requests:
        departments[TAG.format(id=rq.id)] = departments[CLARIFY_TAG.format(id=rq.id)] = rq.department
    for visit in visits:
        departments[f"visit:{visit.id}"] = visit.department
    tags = list(departments)
    dropped = await forget_person(db, person, tags=tags)
    _erase_posted(ctx, await tagged_messages(db, tags), departments)
    await forget_tags(db, [t for t in tags if t.startswith("visit:")])  # the visits go; their cards were edited

    client = await get_client(db, ev.channel, ev.user_id) \
        or await touch_client(db, ev.channel, ev.user_id, ev.chat_id, ctx.now)
    complete = True
    for hook in FORGET_HOOKS:
        try:
            async with db.transaction():  # a savepoint: a failed statement must not end the whole unit
                await hook(services, client)
        except Exception as exc:
            complete = False
            log.error("forget hook %s failed for client %d: %s", getattr(hook, "__name__", hook), client.id,
                      describe(exc))
    await end_consents(db, person, None, now=ctx.now, why="forgotten")
    await delete_client(db, ev.channel, ev.user_id)
    _tell_staff(ctx, requests_by=_numbers(departments, "request:"), visits_by=_numbers(departments, "visit:"))
    log.info("client %d (%s) asked to be forgotten: %d requests, %d visits, %d queued messages removed%s",
             client.id, client.channel, len(requests), len(visits), dropped, "" if complete else ", partly")
    return complete


def _erase_posted(ctx: Context, sent: list[SentMessage], departments: dict[str, str]) -> None:
    """Staff cards and notices about the person, already posted: their text becomes a note that
    the data was deleted (the channel edits its message after the commit, where it can)."""
    ev = ctx.event
    for m in sent:
        if m.channel == ev.channel and m.chat_id in (ev.user_id, ev.chat_id):
            continue  # his own dialogue: the messages there are his
        ctx.send(Outgoing(Address(m.channel, m.chat_id), Reply(texts.PD_CARD_ERASED), staff=True,
                          department=departments.get(m.tag), edit=m.message_id))


def _numbers(departments: dict[str, str], prefix: str) -> dict[str, list[str]]:
    by: dict[str, list[str]] = {}
    for tag, department in departments.items():
        if tag.startswith(prefix):
            by.setdefault(department, []).append("№" + tag.removeprefix(prefix))
    return by


def _tell_staff(ctx: Context, *, requests_by: dict[str, list[str]], visits_by: dict[str, list[str]]) -> None:
    for department in sorted(set(requests_by) | set(visits_by)):
        items = []
        if requests_by.get(department):
            items.append(texts.ST_PD_REQUESTS.format(numbers=", ".join(requests_by[department])))
        if visits_by.get(department):
            items.append(texts.ST_PD_VISITS.format(numbers=", ".join(visits_by[department])))
        for out in to_staff(ctx.services, department, Reply(texts.ST_PD_FORGOTTEN.format(items="; ".join(items)))):
            ctx.send(out)

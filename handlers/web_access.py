"""``/web``: a staff member asks for a one-time link to the web workspace (bot/web).

Asked in a department's staff chat, the link goes to the person's private dialogue with the bot
(anyone in the group could open a link shown there, and would be signed in as him); asking there
also makes him staff of that department for the session it opens. Asked in the private
dialogue, the directory (``staff``, ``heads``) and STAFF_ADMIN_IDS decide. Only the hash of the
link's secret is stored; the link works once, for ``LINK_MINUTES``.

/web is a chat router, not only a command: staff commands work only for members of a staff chat
and admins, but the staff listed in the directory ask in their private dialogue too.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from handlers import texts
from handlers.engine import Context, chat_router, command
from handlers.jobs import delivery_hook
from handlers.matching import clean
from handlers.models import Address, Outgoing, Reply
from handlers.rights import chat_department, person_id, rights_of
from handlers.services import Services
from storage.workspace import Signer, add_link, purge_web

log = logging.getLogger(__name__)

LINK_MINUTES = 10
SESSION_HOURS = 9  # a working day: a session opened in the morning ends in the evening
AUDIT_DAYS = 365  # who opened whose data is kept as long as the requests themselves
LOGIN_PATH = "/staff/login/"


def secret_hash(secret: str) -> str:
    """What is stored of a link's or a session's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def new_link(services: Services, signer: Signer) -> str:
    """A one-time sign-in link for ``signer``, valid for ``LINK_MINUTES``."""
    assert services.web_base_url, "WEB_BASE_URL is not set"
    token = secrets.token_urlsafe(32)
    now = services.clock()
    await add_link(services.db, secret_hash(token), signer, now=now, expires_at=now + timedelta(minutes=LINK_MINUTES))
    return f"{services.web_base_url.rstrip('/')}{LOGIN_PATH}{token}"


def _is_web(text: str | None) -> bool:
    words = clean(text or "").split()
    return bool(words) and words[0].split("@")[0].lower() == "/web"


@chat_router
async def web_link(ctx: Context) -> bool:
    """/web in a staff chat or in the private dialogue."""
    ev = ctx.event
    if not _is_web(ev.text) or ev.payload:
        return False
    ctx.show_screen = False
    await give_link(ctx)
    return True


@command("/web", texts.CMD_WEB, staff=True)  # listed in the staff chats' command menus
async def cmd_web(ctx: Context, args: str) -> None:
    ctx.show_screen = False
    await give_link(ctx)


async def give_link(ctx: Context) -> None:
    ev = ctx.event
    services = ctx.services
    person = person_id(ev.channel, ev.user_id)
    in_chat = chat_department(services, ev.channel, ev.chat_id, ev.thread_id)
    rights = rights_of(services, person, [in_chat] if in_chat else [])
    if not rights.any:
        log.warning("refused /web to %s:%s in chat %s", ev.channel, ev.user_id, ev.chat_id)
        ctx.say(texts.STAFF_ONLY)
        return
    if not services.web_base_url:
        ctx.say(texts.WEB_NOT_CONFIGURED)
        return
    link = await new_link(services, Signer(person, ev.user_name, (in_chat,) if in_chat else ()))
    log.info("web sign-in link issued to %s", person)
    reply = Reply(texts.WEB_LINK.format(minutes=LINK_MINUTES, link=link))
    if not ev.group:  # the private dialogue
        ctx.say(reply)
        return
    # In a group anyone could use it: the link goes to the private dialogue; the chat learns if it
    # could not be delivered there.
    ctx.send(Outgoing(Address(ev.channel, ev.user_id, user_id=ev.user_id), reply, hook=LINK_HOOK,
                      hook_args={"channel": ev.channel, "chat": ev.chat_id}))
    ctx.say(texts.WEB_LINK_SENT_PRIVATELY)


LINK_HOOK = "web_link"


@delivery_hook(LINK_HOOK)
async def link_delivered(services: Services, args: dict[str, Any], delivered: bool) -> list[Outgoing]:
    if delivered:
        return []
    return [Outgoing(Address(args["channel"], args["chat"]), Reply(texts.WEB_LINK_NOT_DELIVERED), staff=True)]


async def web_retention(services: Services) -> list[Outgoing]:
    """Forget used and expired links and sessions; keep the workspace's audit trail a year (part of
    the daily clean-up, handlers/retention.py)."""
    now = services.clock()
    await purge_web(services.db, links_before=now - timedelta(days=1), audit_before=now - timedelta(days=AUDIT_DAYS))
    return []

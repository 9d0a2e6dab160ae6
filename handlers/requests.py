"""Written requests, the citizen's side (section 3 of the order), in the order he experiences it:
write the request (text, photos, documents, in one or several messages) -> its topic (pre-filled
from need identification or understood from the text) -> consent, name and phone -> the channel
for the answer (this chat, plus an optional copy by e-mail or a call back: the order requires
offering one) -> check and send -> a number, the topic and the date the answer is due.
"My requests" shows every request's status and lets the client add to an open one or answer a
clarifying question from staff.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from handlers import texts
from handlers.destinations import to_staff
from handlers.domain.fields import EMAIL_RE
from handlers.engine import Context, Option, Screen, Step, action, step
from handlers.inputs import parse_id
from handlers.matching import normalize
from handlers.menu import menu_entry, menu_shortcut
from handlers.models import Attachment, Reply
from handlers.personal import ask_consent, ask_personal, has_consent, person_of
from handlers.requests_common import (
    TAG,
    attachment_dict,
    card,
    carried_files,
    files_line,
    fmt_date,
    standard_due,
    topic_label,
)
from handlers.survey_invites import offer_survey_consent
from handlers.urgency import REPEATED_WINDOW_DAYS, detect
from storage.clients import get_client, save_contact, touch_client
from storage.requests import (
    CLIENT,
    NewRequest,
    Request,
    add_message,
    client_requests,
    count_recent_requests,
    get_request,
    register_request,
    request_messages,
    set_status,
)

log = logging.getLogger(__name__)

MAX_TEXT = 3500  # the whole request fits one staff card (Telegram: 4096 characters)
MAX_FILES = 10
MIN_TEXT = 10
ACCEPTED_FILES = ("photo", "document", "video", "voice", "audio", "other")
EXCERPT = 600
DONE_WORDS = ("готово", "готов", "все", "отправить")


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


class _Collecting(Step):
    """Text and files gathered over several messages into ``ctx.data[KEY]`` until the client is done."""

    KEY = ""

    def draft(self, ctx: Context) -> dict[str, Any]:
        return ctx.data.setdefault(self.KEY, {"parts": [], "files": []})

    async def on_text(self, ctx: Context, text: str) -> bool:
        draft = self.draft(ctx)
        if sum(len(p) for p in draft["parts"]) + len(text) > MAX_TEXT:
            ctx.say(texts.RQ_TOO_LONG.format(limit=MAX_TEXT))
            return True
        draft["parts"].append(text)  # the screen that follows counts what was received
        return True

    async def on_files(self, ctx: Context, files: tuple[Attachment, ...]) -> bool:
        draft = self.draft(ctx)
        wanted = [f for f in files if f.kind in ACCEPTED_FILES]
        if len(wanted) < len(files):
            ctx.say(texts.RQ_FILE_KIND)
        room = MAX_FILES - len(draft["files"])
        if len(wanted) > room:
            ctx.say(texts.RQ_TOO_MANY_FILES.format(limit=MAX_FILES))
            wanted = wanted[:max(room, 0)]
        draft["files"] += [attachment_dict(f, ctx.event.channel) for f in wanted]
        return True


# --------------------------------------------------------------------------- writing a new request


@step
class WriteStep(_Collecting):
    name = "requests.start"
    personal = True
    KEY = "rq"

    def draft(self, ctx: Context) -> dict[str, Any]:
        draft = super().draft(ctx)
        if ctx.params.get("topic") and not (draft["parts"] or draft["files"]):
            draft["topic"] = ctx.params["topic"]  # pre-filled by need identification
        return draft

    async def on_text(self, ctx: Context, text: str) -> bool:
        draft = self.draft(ctx)
        if not (draft["parts"] or draft["files"]) and normalize(text) in DONE_WORDS:
            ctx.say(texts.RQ_TOO_SHORT)  # "done" before anything was written
            return True
        return await super().on_text(ctx, text)

    async def screen(self, ctx: Context) -> Screen:
        draft = ctx.data.get(self.KEY) or {}
        parts, files = len(draft.get("parts", [])), len(draft.get("files", []))
        if parts or files:
            text = texts.RQ_DRAFT.format(parts=parts, files=files)
            rows = [[Option("done", texts.BTN_RQ_DONE, aliases=DONE_WORDS),
                     Option("restart", texts.BTN_RQ_RESTART)]]
        else:
            topic_id = ctx.params.get("topic") or draft.get("topic")
            topic = texts.RQ_WRITE_TOPIC.format(topic=topic_label(ctx.services, topic_id)) if topic_id else ""
            text, rows = texts.RQ_WRITE.format(topic=topic), []
        return Screen(title=texts.RQ_TITLE, text=text, rows=rows, text_mode="input", max_text=MAX_TEXT)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "restart":
            ctx.data[self.KEY] = {"parts": [], "files": [], "topic": ctx.params.get("topic")}
            ctx.say(texts.RQ_RESTARTED)
            return
        draft = self.draft(ctx)
        text = "\n\n".join(draft["parts"])
        if len(text.strip()) < MIN_TEXT:
            ctx.say(texts.RQ_TOO_SHORT)
            return
        if not draft.get("topic"):
            draft["topic"] = ctx.services.understanding.request_topic(text)
        if not draft.get("topic"):
            ctx.go("requests.topic")
            return
        await ask_personal(ctx, then="requests.channel", purpose="request")


@step
class TopicStep(Step):
    """The text did not tell the topic (or the client wants another): choose among the six."""

    name = "requests.topic"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        return Screen(text=texts.RQ_CHOOSE_TOPIC, rows=[[Option(t.id, t.short)] for t in ctx.services.directory.topics])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        ctx.data.setdefault("rq", {"parts": [], "files": []})["topic"] = option_id
        if ctx.params.get("then") == "confirm":
            ctx.go("requests.confirm", push=False)
        else:
            await ask_personal(ctx, then="requests.channel", purpose="request")


@step
class ChannelStep(Step):
    """The answer comes to this chat; the order requires offering an additional channel."""

    name = "requests.channel"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        return Screen(text=texts.RQ_CHANNEL, rows=[[Option("here", texts.BTN_RQ_ONLY_HERE)],
                                                   [Option("email", texts.BTN_RQ_EMAIL, aliases=("почта", "email"))],
                                                   [Option("call", texts.BTN_RQ_CALL, aliases=("звонок",))]])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        draft = ctx.data.setdefault("rq", {"parts": [], "files": []})
        if option_id == "email":  # an e-mail address is another purpose: its own consent first
            await ask_consent(ctx, "email", then="requests.email")
            return
        phone = (ctx.data.get("contact") or {}).get("phone")
        draft["extra"] = ["phone", phone] if option_id == "call" and phone else None
        if draft["extra"]:
            await ask_consent(ctx, "callback", then="requests.confirm")
        else:
            ctx.go("requests.confirm")


@step
class EmailStep(Step):
    name = "requests.email"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        client = await get_client(ctx.services.db, ctx.event.channel, ctx.event.user_id)
        rows = [[Option("saved", texts.USE_SAVED.format(value=client.email)[:60])]] if client and client.email else []
        return Screen(text=texts.RQ_ASK_EMAIL, rows=rows, text_mode="input", max_text=254)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        client = await get_client(ctx.services.db, ctx.event.channel, ctx.event.user_id)
        if client and client.email:
            self._use(ctx, client.email)

    async def on_text(self, ctx: Context, text: str) -> bool:
        email = text.strip().lower()
        if not EMAIL_RE.match(email):
            ctx.say(texts.RQ_BAD_EMAIL)
            return True
        client = await touch_client(ctx.services.db, ctx.event.channel, ctx.event.user_id, ctx.event.chat_id, ctx.now)
        await save_contact(ctx.services.db, client.id, email=email)
        self._use(ctx, email)
        return True

    @staticmethod
    def _use(ctx: Context, email: str) -> None:
        ctx.data.setdefault("rq", {"parts": [], "files": []})["extra"] = ["email", email]
        ctx.go("requests.confirm", push=False)


def _channel_text(extra: list[str] | None) -> str:
    if extra and extra[0] == "email":
        return texts.RQ_CHANNEL_EMAIL.format(email=extra[1])
    if extra and extra[0] == "phone":
        return texts.RQ_CHANNEL_CALL.format(phone=extra[1])
    return texts.RQ_CHANNEL_HERE


async def _consented_extra(ctx: Context, draft: dict[str, Any]) -> list[str] | None:
    """The additional channel of the answer, if its consent is in force (declined or withdrawn
    meanwhile: the answer comes to this chat only)."""
    extra = draft.get("extra")
    purpose = {"email": "email", "phone": "callback"}.get(extra[0]) if extra else None
    if purpose is None or not await has_consent(ctx.services, person_of(ctx), purpose):
        draft["extra"] = None
        return None
    return list(extra)


@step
class ConfirmStep(Step):
    name = "requests.confirm"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        draft = ctx.data.get("rq") or {"parts": [], "files": []}
        draft["extra"] = await _consented_extra(ctx, draft)
        contact = ctx.data.get("contact") or {}
        text = texts.RQ_CONFIRM.format(
            topic=topic_label(ctx.services, draft.get("topic") or ""),
            contact=", ".join(p for p in (contact.get("name"), contact.get("phone")) if p) or "—",
            channel=_channel_text(draft.get("extra")), files=len(draft["files"]),
            text=_excerpt("\n\n".join(draft["parts"])))
        return Screen(text=text, rows=[[Option("send", texts.BTN_RQ_SEND)],
                                       [Option("topic", texts.BTN_RQ_CHANGE_TOPIC)],
                                       [Option("cancel", texts.BTN_RQ_CANCEL)]], menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "topic":
            ctx.go("requests.topic", {"then": "confirm"})
        elif option_id == "cancel":
            ctx.data.pop("rq", None)
            ctx.home()
            ctx.say(texts.RQ_CANCELLED)
        elif ctx.data.get("rq", {}).get("parts") and ctx.data["rq"].get("topic"):
            await _register(ctx)
        else:  # the draft is gone (e.g. the data was deleted meanwhile): start over
            ctx.go("requests.start", push=False)


async def _register(ctx: Context) -> None:
    """Register the request, classify it (topic, need, urgency), send the card to the department."""
    services, ev, now = ctx.services, ctx.event, ctx.now
    draft = ctx.data["rq"]
    contact = ctx.data.get("contact") or {}
    text = "\n\n".join(draft["parts"])
    topic = services.directory.topic(draft["topic"])
    assert topic is not None
    client = await touch_client(services.db, ev.channel, ev.user_id, ev.chat_id, now)
    repeated = await count_recent_requests(services.db, ev.channel, ev.user_id,
                                           now - timedelta(days=REPEATED_WINDOW_DAYS), topic=topic.id)
    urgency = detect(text, now.astimezone(services.tz).date(), topic=topic.id, repeated=repeated)
    extra = await _consented_extra(ctx, draft) or [None, None]
    rq = await register_request(services.db, NewRequest(
        client_id=client.id, channel=ev.channel, user_id=ev.user_id, chat_id=ev.chat_id,
        department=topic.department, topic=topic.id, need=services.understanding.need(text, topic), text=text,
        files=draft["files"], contact_name=contact.get("name"), contact_phone=contact.get("phone"),
        extra_channel=extra[0], extra_address=extra[1] if extra[0] == "email" else None,
        signals=list(urgency.signals), due_at=standard_due(services, now)), now)
    for out in to_staff(services, rq.department, card(services, rq, await request_messages(services.db, rq.id), now)):
        ctx.send(out)
    log.info("request %d registered: %s/%s, urgent signals %d", rq.id, rq.topic, rq.need, len(rq.signals))
    lines = [texts.RQ_ACCEPTED.format(number=rq.id, topic=topic.short, due=fmt_date(services, rq.due_at),
                                      appeal_url=services.directory.organization.appeal_url or texts.GOSUSLUGI_URL)]
    if urgency.possibly_urgent:
        lines.append(texts.RQ_ACCEPTED_URGENT)
    if rq.extra_channel == "email":
        lines.append(texts.RQ_ACCEPTED_EXTRA_EMAIL.format(email=rq.extra_address))
    elif rq.extra_channel == "phone" and rq.contact_phone:
        lines.append(texts.RQ_ACCEPTED_EXTRA_CALL.format(phone=rq.contact_phone))
    ctx.data.pop("rq", None)
    ctx.home()
    ctx.say("\n".join(lines))
    await offer_survey_consent(ctx)


# --------------------------------------------------------------------------- my requests


def _status(rq: Request) -> str:
    return texts.STATUS.get(rq.status, rq.status)


async def _own(ctx: Context, request_id: object) -> Request | None:
    """The request if it is this client's (a number typed or pressed by someone else shows nothing)."""
    number = parse_id(str(request_id))
    rq = await get_request(ctx.services.db, number) if number is not None else None
    if rq is None or rq.channel != ctx.event.channel or rq.user_id != ctx.event.user_id:
        return None
    return rq


@step
class MineStep(Step):
    name = "requests.mine"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        items = await client_requests(ctx.services.db, ctx.event.channel, ctx.event.user_id, limit=10)
        write = [Option("write", texts.BTN_WRITE)]
        forget = [Option("mydata", texts.BTN_MY_DATA), Option("forget", texts.BTN_FORGET)]
        if not items:
            return Screen(title=texts.BTN_MY_REQUESTS, text=texts.RQ_MINE_EMPTY, rows=[write, forget])
        lines = [texts.RQ_MINE_HEAD]
        for rq in items:
            line = texts.RQ_MINE_LINE.format(number=rq.id, date=fmt_date(ctx.services, rq.created_at),
                                             topic=topic_label(ctx.services, rq.topic), status=_status(rq))
            if rq.is_open:
                line += texts.RQ_MINE_DUE.format(due=fmt_date(ctx.services, rq.due_at))
            lines.append(line)
        lines += ["", texts.RQ_MINE_PICK]
        rows = [[Option(f"r{rq.id}", texts.RQ_OPTION.format(number=rq.id, status=_status(rq)))] for rq in items]
        return Screen(title=texts.BTN_MY_REQUESTS, text="\n".join(lines), rows=[*rows, write, forget])

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "write":
            ctx.go("requests.start")
        elif option_id == "forget":
            ctx.go("forget.confirm")
        elif option_id == "mydata":
            ctx.go("personal.mine")
        else:
            ctx.go("requests.view", {"id": int(option_id[1:])})


@step
class ViewStep(Step):
    name = "requests.view"
    personal = True

    async def screen(self, ctx: Context) -> Screen:
        rq = await _own(ctx, ctx.params.get("id"))
        if rq is None:
            return Screen(text=texts.RQ_NOT_FOUND)
        lines = [texts.RQ_VIEW.format(number=rq.id, date=fmt_date(ctx.services, rq.created_at),
                                      topic=topic_label(ctx.services, rq.topic), status=_status(rq))]
        if rq.is_open:
            lines.append(texts.RQ_VIEW_DUE.format(due=fmt_date(ctx.services, rq.due_at)))
        for m in await request_messages(ctx.services.db, rq.id):
            head = texts.RQ_VIEW_ITEM.get(m.kind, texts.RQ_VIEW_ITEM["notice"]).format(
                date=fmt_date(ctx.services, m.at))
            body = _excerpt(m.text) if m.text else texts.RQ_VIEW_ERASED if rq.anonymised_at else ""
            if m.files:
                body = f"{body} {texts.RQ_VIEW_FILES.format(n=len(m.files))}".strip()
            lines += ["", head, body]
        rows = []
        if rq.status == "clarify":
            rows.append([Option("reply", texts.BTN_RQ_REPLY)])
        if rq.is_open:
            rows.append([Option("add", texts.BTN_RQ_ADD)])
        return Screen(title=texts.BTN_MY_REQUESTS, text="\n".join(lines), rows=rows, menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        ctx.go("requests.add", {"id": ctx.params.get("id"), "kind": "reply" if option_id == "reply" else "addition"})


@step
class AddStep(_Collecting):
    """An addition to an open request, or the answer to a clarifying question."""

    name = "requests.add"
    personal = True
    KEY = "rq_add"

    def draft(self, ctx: Context) -> dict[str, Any]:
        draft = super().draft(ctx)
        if draft.get("id") != ctx.params.get("id"):
            draft.clear()
            draft.update(id=ctx.params.get("id"), parts=[], files=[])
        return draft

    async def screen(self, ctx: Context) -> Screen:
        rq = await _own(ctx, ctx.params.get("id"))
        if rq is None:
            return Screen(text=texts.RQ_NOT_FOUND)
        if not rq.is_open:
            return Screen(text=texts.RQ_NOT_OPEN.format(number=rq.id, status=_status(rq)))
        draft = ctx.data.get(self.KEY) or {}
        if draft.get("id") == rq.id and (draft.get("parts") or draft.get("files")):
            return Screen(text=texts.RQ_ADD_DRAFT.format(parts=len(draft["parts"]), files=len(draft["files"])),
                          rows=[[Option("send", texts.BTN_RQ_SEND, aliases=("готово",))]], text_mode="input",
                          max_text=MAX_TEXT)
        if ctx.params.get("kind") == "reply":
            question = next((m.text for m in reversed(await request_messages(ctx.services.db, rq.id))
                             if m.kind == "question"), "") or ""
            text = texts.RQ_REPLY.format(number=rq.id, question=question)
        else:
            text = texts.RQ_ADD.format(number=rq.id)
        return Screen(text=text, text_mode="input", max_text=MAX_TEXT)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        rq = await _own(ctx, ctx.params.get("id"))
        draft = self.draft(ctx)
        if rq is None or not rq.is_open:
            return
        if not draft["parts"] and not draft["files"]:
            ctx.say(texts.RQ_ADD_EMPTY)
            return
        reply = ctx.params.get("kind") == "reply"
        text = "\n\n".join(draft["parts"])
        await add_message(ctx.services.db, rq.id, author="client", kind="reply" if reply else "addition",
                          text=text, files=draft["files"], now=ctx.now)
        if rq.status == "clarify":
            await set_status(ctx.services.db, rq.id, "in_work" if rq.assignee_id else "received", CLIENT, ctx.now)
        relay = (texts.ST_CLIENT_REPLIED if reply else texts.ST_CLIENT_ADDED).format(number=rq.id, text=text)
        if draft["files"]:
            relay += "\n" + files_line(draft["files"], resent=True)
        for out in to_staff(ctx.services, rq.department, _relay(relay, rq, draft["files"])):
            ctx.send(out)
        ctx.data.pop(self.KEY, None)
        ctx.say((texts.RQ_REPLY_SENT if reply else texts.RQ_ADD_SENT).format(number=rq.id))
        ctx.go("requests.view", {"id": rq.id}, push=False)


def _relay(text: str, rq: Request, files: list[dict[str, Any]]) -> Reply:
    return Reply(text=text, tag=TAG.format(id=rq.id), files=carried_files(files))


# --------------------------------------------------------------------------- buttons in messages from staff


@action("rq_view")
async def act_view(ctx: Context, arg: str) -> None:
    rq = await _own(ctx, arg)
    if rq is None:
        ctx.say(texts.RQ_NOT_FOUND)
        return
    ctx.go("requests.view", {"id": rq.id})


@action("rq_reply")
async def act_reply(ctx: Context, arg: str) -> None:
    rq = await _own(ctx, arg)
    if rq is None:
        ctx.say(texts.RQ_NOT_FOUND)
        return
    if rq.status == "clarify":
        ctx.go("requests.add", {"id": rq.id, "kind": "reply"})
    else:
        ctx.go("requests.view", {"id": rq.id})


# One main-menu item for writing and following requests (and deleting one's data): the menu stays
# within VK's ten buttons.
menu_entry(50, "requests", texts.BTN_REQUESTS, "requests.mine", aliases=(texts.BTN_MY_REQUESTS,))
menu_shortcut("write", texts.BTN_WRITE, "requests.start")
menu_shortcut("forget", texts.BTN_FORGET, "forget.confirm")

"""Need identification: clarifying questions down a topic's tree, free-text understanding with a
"did I understand you right?" check, the out-of-scope answer, and the result card with contacts."""

from __future__ import annotations

from handlers import texts
from handlers.domain.calendar import describe_schedule, line_status
from handlers.domain.directory import Node, OurPart, Topic
from handlers.domain.fields import phone_display
from handlers.engine import STEPS, Context, Option, Screen, Step, step

# Needs whose answers are formal written appeals (a complaint): the result card says how to file
# one officially (59-FZ through Gosuslugi) and links to it.
APPEAL_NEEDS = ("complaint",)


def _topic_node(ctx: Context) -> tuple[Topic, Node]:
    topic = ctx.services.directory.topic(ctx.params.get("topic", ""))
    if topic is None:
        raise LookupError(f"unknown topic {ctx.params.get('topic')!r}")
    node = topic.root.find(ctx.params.get("node") or topic.root.id) or topic.root
    return topic, node


async def route_question(ctx: Context, text: str) -> None:
    """Understand a free-text question and move to the fitting step."""
    understood = ctx.services.understanding.understand(text)
    ctx.data["question"] = text[:1000]
    if understood.verdict == "confident":
        g = understood.guesses[0]
        ctx.go("need.confirm", {"topic": g.id, "node": g.node})
    elif understood.verdict == "unsure":
        ctx.go("need.choose", {"guesses": [[g.id, g.node] for g in understood.guesses]})
    elif understood.verdict == "outside":
        ctx.go("need.outside", {"id": understood.guesses[0].id})
    elif understood.verdict == "service":
        asked = understood.guesses[0].id
        topic = next((g.id for g in understood.guesses[1:] if g.kind == "topic"), None)
        if asked == "booking" and topic is not None and "visits.start" in STEPS:
            ctx.data["topic"] = topic  # «записаться на приём по аттестации»: the days of that department
            ctx.go("visits.start", {"topic": topic})
        else:
            ctx.go("need.service", {"id": asked})
    else:
        ctx.go("need.unknown")  # never a dead end: topics, phones, writing, other bodies


def _open_node(ctx: Context, topic: Topic, node: Node) -> None:
    ctx.data["topic"] = topic.id
    if node.children:
        ctx.go("need.node", {"topic": topic.id, "node": node.id})
    else:
        ctx.go("need.result", {"topic": topic.id, "node": node.id})


class _Searching(Step):
    """Steps where a typed question is understood anew."""

    async def on_text(self, ctx: Context, text: str) -> bool:
        await route_question(ctx, text)
        return True


@step
class NodeStep(_Searching):
    """A clarifying question of a topic ("active listening"): what exactly do you need?"""

    name = "need.node"

    async def screen(self, ctx: Context) -> Screen:
        topic, node = _topic_node(ctx)
        return Screen(title=topic.short, text=node.question or topic.title,
                      rows=[[Option(c.id, c.label)] for c in node.children], text_mode="search")

    async def on_option(self, ctx: Context, option_id: str) -> None:
        topic, node = _topic_node(ctx)
        child = next(c for c in node.children if c.id == option_id)
        _open_node(ctx, topic, child)


@step
class ConfirmStep(_Searching):
    """After a free-text question: did I understand you right?"""

    name = "need.confirm"

    async def screen(self, ctx: Context) -> Screen:
        topic, node = _topic_node(ctx)
        text = (texts.CONFIRM_TOPIC.format(label=topic.short) if node is topic.root
                else texts.CONFIRM_TOPIC_IN.format(label=node.label, topic=topic.short))
        return Screen(text=text, rows=[[Option("yes", texts.BTN_CONFIRM_YES, aliases=("да", "верно", "ага")),
                                        Option("no", texts.BTN_CONFIRM_NO, aliases=("нет", "не верно"))]],
                      text_mode="search")

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "yes":
            topic, node = _topic_node(ctx)
            _open_node(ctx, topic, node)
        else:
            ctx.home(keep_data=True)
            ctx.say(texts.TOPICS_PROMPT)


@step
class ChooseStep(_Searching):
    """Unsure which topic: offer the two or three likeliest."""

    name = "need.choose"

    async def screen(self, ctx: Context) -> Screen:
        rows = []
        for i, (topic_id, node_id) in enumerate(ctx.params.get("guesses", [])):
            topic = ctx.services.directory.topic(topic_id)
            if topic is None:
                continue
            node = topic.root.find(node_id) if node_id else None
            label = topic.short if node is None or node is topic.root else node.label
            rows.append([Option(f"g{i}", label)])
        rows.append([Option("none", texts.BTN_NONE_OF_THESE)])
        return Screen(text=texts.CHOOSE_AMONG, rows=rows, text_mode="search")

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id == "none":
            ctx.home(keep_data=True)
            ctx.say(texts.TOPICS_PROMPT)
            return
        topic_id, node_id = ctx.params["guesses"][int(option_id[1:])]
        topic = ctx.services.directory.topic(topic_id)
        assert topic is not None
        _open_node(ctx, topic, topic.root.find(node_id) if node_id else topic.root)


@step
class OutsideStep(_Searching):
    """Not our question: say so and tell where to turn instead (section 4 of the order)."""

    name = "need.outside"

    async def screen(self, ctx: Context) -> Screen:
        item = ctx.services.directory.out_of_scope_item(ctx.params.get("id", ""))
        lines = [texts.OUT_OF_SCOPE_HEAD, "", item.answer if item else ""]
        links: list[Option] = []
        if item and item.contacts:
            lines += ["", texts.OUT_OF_SCOPE_WHERE]
            for c in item.contacts:
                parts = [c.name, *c.phones]
                if c.url:
                    parts.append(c.url)
                lines.append("• " + ", ".join(parts))
                if c.url:
                    links.append(Option(f"u{len(links)}", _clip(c.name), url=c.url))
        rows = [[Option("other", texts.BTN_ASK_OTHER)], [Option("ours", texts.BTN_ITS_OURS)]]
        part = _our_part(ctx, item.ours) if item and item.ours else None
        if part is not None:
            lines += ["", texts.OUT_OF_SCOPE_OURS.format(label=part[2])]
            rows.insert(0, [Option("part", part[2])])
        return Screen(title=item.title if item else None, text="\n".join(lines).strip(),
                      rows=[*([[o] for o in links]), *rows], text_mode="search", menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        item = ctx.services.directory.out_of_scope_item(ctx.params.get("id", ""))
        part = _our_part(ctx, item.ours) if item and item.ours else None
        if option_id == "part" and part is not None:
            _open_node(ctx, part[0], part[1])
            return
        ctx.home(keep_data=True)
        if option_id == "ours":
            ctx.say(texts.TOPICS_PROMPT)


def _clip(label: str, limit: int = 40) -> str:
    """A link's label within VK's 40 characters, cut at a word."""
    if len(label) <= limit:
        return label
    cut = label[:limit - 1]
    return cut[:cut.rfind(" ")].rstrip(" ,.;:-") + "…" if " " in cut else cut + "…"


def _our_part(ctx: Context, ours: OurPart) -> tuple[Topic, Node, str] | None:
    """The topic (and clarifying answer) of ours that an out-of-scope subject points to, with its label."""
    topic = ctx.services.directory.topic(ours.topic)
    if topic is None:
        return None
    node = topic.root.find(ours.node) if ours.node else topic.root
    if node is None or node is topic.root:
        return topic, topic.root, topic.short
    return topic, node, node.label


def contact_lines(ctx: Context, topic: Topic) -> list[str]:
    d = ctx.services.directory
    hours = describe_schedule(d.hours.line)
    status = line_status(ctx.services.calendar, d.hours.line, ctx.now, ctx.services.tz)
    return [
        texts.RESULT_WHERE.format(department=d.department(topic.department).name),
        texts.RESULT_PHONES.format(phones=", ".join(phone_display(p) for p in topic.phones)),
        texts.RESULT_EMAILS.format(emails=", ".join(topic.emails)),
        texts.RESULT_HOURS.format(hours=hours),
        status.text,
    ]


@step
class ResultStep(_Searching):
    """The answer: short guidance, the responsible department, its contacts, and whether the line
    is open right now; then what to do next (write, book a visit, ask another question)."""

    name = "need.result"

    async def screen(self, ctx: Context) -> Screen:
        topic, node = _topic_node(ctx)
        ctx.data["topic"] = topic.id
        head = node.answer if node.answer else topic.title
        lines = [head, "", *contact_lines(ctx, topic)]
        appeal = ctx.services.directory.organization.appeal_url if node.need in APPEAL_NEEDS else None
        if appeal:  # a complaint may need to be a registered appeal: say how to file one
            lines += ["", texts.RESULT_OFFICIAL_APPEAL]
        text = "\n".join(lines)
        actions = []
        if "requests.start" in STEPS:
            actions.append(Option("write", texts.BTN_WRITE))
        if "visits.start" in STEPS:
            actions.append(Option("book", texts.BTN_BOOK))
        rows = [actions] if actions else []
        if appeal:
            rows.append([Option("appeal", texts.BTN_OFFICIAL_APPEAL, url=appeal)])
        rows.append([Option("other", texts.BTN_OTHER_QUESTION)])
        if "survey.start" in STEPS:  # a while after the answer: how satisfied was the client?
            from handlers.survey_invites import invite_after_consultation

            await invite_after_consultation(ctx)
        return Screen(title=topic.short if node is topic.root else f"{topic.short}: {node.label}", text=text,
                      rows=rows, text_mode="search", menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        topic, _ = _topic_node(ctx)
        if option_id == "write":
            ctx.go("requests.start", {"topic": topic.id})
        elif option_id == "book":
            ctx.go("visits.start", {"topic": topic.id})
        else:
            ctx.home(keep_data=True)

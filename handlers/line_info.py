"""Questions about the line itself, answered at once (no topic needed): where the reception is and
how to get there, the hours and whether the line is open now, how to book a visit, the e-mail
addresses, how to reach a person, accessibility, thanks. And the two screens that make sure a
question never ends in a dead end: nothing matched (topics, phones, writing to the department,
other bodies) and the list of other bodies (section 4 of the order: say where to turn instead)."""

from __future__ import annotations

from handlers import texts
from handlers.directions import accessibility_line, map_button, route_lines, topic_emails, topic_phones
from handlers.domain.calendar import describe_schedule, line_status
from handlers.engine import STEPS, Context, Option, Screen, Step, step
from handlers.models import Venue

# Where each button of these screens leads (only to the flows that are installed).
_TARGETS = {"book": "visits.start", "mine": "visits.mine", "write": "requests.start", "survey": "survey.start",
            "elsewhere": "need.elsewhere"}


def _buttons(*ids: str) -> list[Option]:
    labels = {"book": texts.BTN_BOOK, "mine": texts.BTN_MY_VISITS, "write": texts.BTN_WRITE,
              "survey": texts.BTN_SURVEY, "elsewhere": texts.BTN_ELSEWHERE}
    return [Option(i, labels[i]) for i in ids if _TARGETS[i] in STEPS]


def _follow(ctx: Context, option_id: str) -> None:
    if option_id in _TARGETS and _TARGETS[option_id] in STEPS:
        ctx.go(_TARGETS[option_id], {})
    else:  # "another question"
        ctx.home(keep_data=True)


class _Answers(Step):
    """A typed question on these screens is understood anew, as everywhere else."""

    async def on_text(self, ctx: Context, text: str) -> bool:
        from handlers.need import route_question

        await route_question(ctx, text)
        return True

    async def on_option(self, ctx: Context, option_id: str) -> None:
        _follow(ctx, option_id)


@step
class ServiceAnswer(_Answers):
    """The answer to a question about the line itself; ``params["id"]`` names it."""

    name = "need.service"

    async def screen(self, ctx: Context) -> Screen:
        intent = str(ctx.params.get("id", ""))
        d, s = ctx.services.directory, ctx.services
        place = d.visit_place
        line_hours, visit_hours = describe_schedule(d.hours.line), describe_schedule(d.hours.visits)
        line_now = line_status(s.calendar, d.hours.line, ctx.now, s.tz).text
        venue = None
        links: list[Option] = []
        if intent in ("address", "accessibility"):
            lines = [texts.LINE_ADDRESS.format(address=place.address), *route_lines(place)]
            lines += accessibility_line(place)
            if intent == "accessibility":
                lines += ["", texts.LINE_ACCESSIBILITY_CALL, *topic_phones(d)]
            lines += ["", texts.LINE_VISIT_HOURS.format(hours=visit_hours),
                      line_status(s.calendar, d.hours.visits, ctx.now, s.tz).text]
            link = map_button(place)
            links = [Option("map", link.label, url=link.url)]
            venue = Venue(place.latitude, place.longitude, texts.BTN_VISITS, place.address)
            actions = _buttons("book")
        elif intent == "hours":
            lines = [texts.LINE_HOURS.format(line=line_hours, visits=visit_hours), line_now]
            actions = _buttons("book", "write")
        elif intent == "booking":
            lines = [texts.LINE_BOOKING.format(address=place.address, hours=visit_hours)]
            actions = _buttons("book", "mine")
        elif intent == "email":
            lines = [texts.LINE_EMAIL, *topic_emails(d), "", texts.LINE_EMAIL_WRITE]
            actions = _buttons("write")
        elif intent == "thanks":
            lines = [texts.LINE_THANKS]
            actions = _buttons("survey")
        else:  # "operator": a person to talk to
            lines = [texts.LINE_OPERATOR.format(hours=line_hours), *topic_phones(d), line_now, "",
                     texts.LINE_OPERATOR_WRITE]
            actions = _buttons("write")
        rows = [[o] for o in links]
        if actions:
            rows.append(actions)
        rows.append([Option("other", texts.BTN_OTHER_QUESTION)])
        return Screen(text="\n".join(lines), rows=rows, venue=venue, text_mode="search", menu=False)


@step
class Unknown(_Answers):
    """Nothing matched: the topics, the phones, writing to the department and other bodies — so
    that the client always has somewhere to go."""

    name = "need.unknown"

    async def screen(self, ctx: Context) -> Screen:
        d, s = ctx.services.directory, ctx.services
        lines = [texts.UNKNOWN.format(hours=describe_schedule(d.hours.line)), *topic_phones(d),
                 line_status(s.calendar, d.hours.line, ctx.now, s.tz).text, "", texts.UNKNOWN_ELSEWHERE]
        rows = [[Option(f"t_{t.id}", t.short)] for t in d.topics]
        rows.append(_buttons("write", "elsewhere"))
        return Screen(text="\n".join(lines), rows=[r for r in rows if r], text_mode="search", menu=False)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id.startswith("t_"):
            topic = ctx.services.directory.topic(option_id[2:])
            if topic is not None:
                ctx.go("need.node", {"topic": topic.id, "node": topic.root.id})
                return
        _follow(ctx, option_id)


@step
class Elsewhere(_Answers):
    """Subjects of other bodies: choose one to see where to turn."""

    name = "need.elsewhere"

    async def screen(self, ctx: Context) -> Screen:
        items = ctx.services.directory.out_of_scope
        return Screen(text=texts.ELSEWHERE, rows=[[Option(f"o_{o.id}", o.title)] for o in items],
                      text_mode="search")

    async def on_option(self, ctx: Context, option_id: str) -> None:
        if option_id.startswith("o_") and ctx.services.directory.out_of_scope_item(option_id[2:]):
            ctx.go("need.outside", {"id": option_id[2:]})
        else:
            _follow(ctx, option_id)

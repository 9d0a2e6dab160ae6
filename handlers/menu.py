"""The main menu: the six topics of the order, the services, and a place to type a question."""

from __future__ import annotations

from dataclasses import dataclass

from handlers import texts
from handlers.engine import HOME, STEPS, Context, Option, Screen, Step, step


@dataclass(frozen=True, slots=True)
class MenuEntry:
    order: int
    id: str
    label: str
    step: str
    aliases: tuple[str, ...] = ()


MENU_ENTRIES: list[MenuEntry] = []
MENU_SHORTCUTS: list[MenuEntry] = []


def menu_entry(order: int, entry_id: str, label: str, step_name: str, aliases: tuple[str, ...] = ()) -> None:
    """Flows add their own item to the main menu (visits, requests, survey ...). Keep the menu at
    ten buttons or fewer: VK shows at most ten buttons under a message."""
    MENU_ENTRIES.append(MenuEntry(order, entry_id, label, step_name, aliases))
    MENU_ENTRIES.sort(key=lambda e: e.order)


def menu_shortcut(entry_id: str, label: str, step_name: str) -> None:
    """A main-menu action one can type but that has no button of its own ("Написать в отдел")."""
    MENU_SHORTCUTS.append(MenuEntry(0, entry_id, label, step_name))


@step
class MainMenu(Step):
    """The first screen: what is your question about?"""

    name = HOME

    async def screen(self, ctx: Context) -> Screen:
        rows = [[Option(f"t_{t.id}", t.short)] for t in ctx.services.directory.topics]
        extra = [Option(f"m_{e.id}", e.label, aliases=e.aliases) for e in MENU_ENTRIES if e.step in STEPS]
        rows += [extra[i:i + 2] for i in range(0, len(extra), 2)]
        hidden = [Option(f"m_{e.id}", e.label) for e in MENU_SHORTCUTS if e.step in STEPS]
        return Screen(text=texts.MENU, rows=rows, text_mode="search", nav=False, hidden=hidden)

    async def on_option(self, ctx: Context, option_id: str) -> None:
        kind, _, ident = option_id.partition("_")
        if kind == "t":
            topic = ctx.services.directory.topic(ident)
            if topic:
                ctx.go("need.node", {"topic": topic.id, "node": topic.root.id})
                return
        for entry in (*MENU_ENTRIES, *MENU_SHORTCUTS):
            if kind == "m" and entry.id == ident:
                ctx.go(entry.step)
                return
        ctx.say(texts.NOT_UNDERSTOOD)

    async def on_text(self, ctx: Context, text: str) -> bool:
        from handlers.need import route_question

        await route_question(ctx, text)
        return True

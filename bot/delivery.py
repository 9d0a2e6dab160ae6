"""Sending from the outbox, after the commit.

``deliver`` takes rows an event (a job, a hook) just committed and claimed, and sends them through
their channels in order; ``sweep`` (the scheduler, every few seconds) takes rows that are due: a
retry's time has come, or an instance died before it had sent what it claimed. For each row:

- delivered: the row is deleted, tagged messages are recorded (staff reply to cards);
- transient failure (network, 5xx, rate limit beyond the channel's own retries): tried again
  later with growing pauses, and the chat's later rows wait behind it, so the order holds;
- refused, retried too long, or the recipient blocked the bot: the row stays as ``failed`` /
  ``unreachable`` for ``/undelivered`` of its department; the other rows go on.

A row with a delivery hook has it run with the outcome, in a unit of work together with the
row's own update; what the hook says is delivered next.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.channels.base import Here, Outcome, SendFailed, Unreachable
from bot.files import FileCarrier
from bot.pacing import bulk
from handlers.engine import describe, queue, queued_outgoing
from handlers.jobs import DELIVERY_HOOKS
from handlers.models import Outgoing
from storage.outbox import Queued, claim_due, delivered, given_up, retry_later
from storage.sent import record_sent

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.base import Channel

log = logging.getLogger(__name__)

# Pauses before the 2nd, 3rd... attempt of a message that failed for now; after the last it is
# given up (about a day of trying in all).
RETRY_DELAYS = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
                timedelta(hours=2), timedelta(hours=6), timedelta(hours=12))
SWEEP_LEASE = timedelta(minutes=2)
MAX_HOOK_DEPTH = 3  # a hook's messages may have hooks; no chain goes on for ever


class Sender:
    def __init__(self, app: App) -> None:
        self.app = app

    async def deliver(self, rows: Sequence[Queued], *, here: Here | None = None, via: Channel | None = None,
                      depth: int = 0) -> None:
        """Send claimed rows in order; ``here``/``via``: the event's chat and channel, if any."""
        if not rows:
            return
        outcomes: list[tuple[Queued, Outcome]] = []
        stalled: set[tuple[str, str]] = set()  # chats with a failure for now: their later rows wait
        files = FileCarrier(self.app)  # files from another messenger, fetched once for the batch
        for row in rows:
            chat = (row.channel, row.chat_id)
            if chat in stalled:
                outcomes.append((row, Outcome(error="an earlier message to this chat is waiting", transient=True)))
                continue
            outcome = await self._send(row, here, via, files)
            if outcome.transient:
                stalled.add(chat)
            outcomes.append((row, outcome))
        await self._finish(outcomes, depth)

    async def sweep(self, limit: int = 100) -> int:
        """Deliver what is due; returns how many rows were taken."""
        services = self.app.services
        rows = await claim_due(services.db, services.clock(), lease=SWEEP_LEASE, limit=limit)
        if rows:
            with bulk():  # nobody is waiting at this moment: paced under the messengers' limits
                await self.deliver(rows)
        return len(rows)

    # ------------------------------------------------------------------ inside
    async def _send(self, row: Queued, here: Here | None, via: Channel | None, files: FileCarrier) -> Outcome:
        out = queued_outgoing(row)
        # An answer in the event's own chat goes through the channel object the event came through
        # (the tests run several consoles side by side); anything else through the app's channel.
        same_chat = (here is not None and via is not None and via.name == row.channel
                     and row.chat_id == here.chat_id and row.thread_id in (None, here.thread_id))
        channel = via if same_chat else self.app.channel_for(row.channel)
        if channel is None:
            configured = row.channel in self.app.configured
            return Outcome(error=f"channel {row.channel} is {'not connected now' if configured else 'not set up'}",
                           transient=configured)
        if out.edit is not None:
            return await self._edit(channel, row, out)
        try:
            reply = await files.prepare(out)
            if row.bulk:
                with bulk():
                    ids = await channel.send(out.address, reply, key=f"outbox:{row.id}")
            else:
                ids = await channel.send(out.address, reply, key=f"outbox:{row.id}",
                                         here=here if same_chat else None)
        except Unreachable as exc:
            await channel.unreachable(out.address, str(exc))
            if same_chat and here is not None:
                here.reachable = False
            return Outcome(error=str(exc) or "unreachable", unreachable=True)
        except SendFailed as exc:
            return Outcome(error=str(exc) or type(exc).__name__, transient=exc.transient)
        except Exception as exc:  # a bug in a channel must not lose the message silently
            log.error("%s: sending outbox row %d failed: %s", row.channel, row.id, describe(exc))
            return Outcome(error=type(exc).__name__)
        if same_chat and here is not None:
            here.shown += len(ids)
        return Outcome(ids=ids)

    async def _edit(self, channel: Channel, row: Queued, out: Outgoing) -> Outcome:
        """Replace a message the bot sent earlier. Where the channel cannot edit, or the message can
        no longer be edited (deleted, too old), there is nothing to deliver: the row is done."""
        assert out.edit is not None
        try:
            edited = await channel.edit(out.address, out.edit, out.reply)
        except SendFailed as exc:
            if exc.transient:
                return Outcome(error=str(exc) or type(exc).__name__, transient=True)
            log.info("%s: message %s in chat %s could not be edited (%s)", row.channel, out.edit, _chat(row), exc)
            return Outcome()
        except Exception as exc:
            log.error("%s: editing message %s failed: %s", row.channel, out.edit, describe(exc))
            return Outcome()
        if not edited:
            log.info("%s: cannot edit its messages; message %s in chat %s left as it is", row.channel, out.edit,
                     _chat(row))
        return Outcome()

    async def _finish(self, outcomes: list[tuple[Queued, Outcome]], depth: int) -> None:
        services = self.app.services
        db, now = services.db, services.clock()
        sent = [row.id for row, o in outcomes if o.sent]
        if len(sent) == len(outcomes) and not any(row.hook or row.payload.get("reply", {}).get("tag")
                                                  for row, _ in outcomes):
            await delivered(db, sent)  # the usual case: one statement
            return
        follow: list[Queued] = []
        async with db.transaction():
            await delivered(db, sent)
            for row, o in outcomes:
                tag = row.payload.get("reply", {}).get("tag")
                if o.sent and tag and o.ids:
                    await record_sent(db, row.channel, row.chat_id, o.ids, tag, now)
                if o.sent:
                    pass
                elif o.transient and row.attempts <= len(RETRY_DELAYS):
                    await retry_later(db, [row.id], o.error or "", now + RETRY_DELAYS[row.attempts - 1])
                    log.warning("%s: message %d to chat %s not sent now (%s); retried later", row.channel, row.id,
                                _chat(row), o.error)
                    continue
                else:
                    status = "unreachable" if o.unreachable else "failed"
                    await given_up(db, [row.id], status, o.error or "", now)
                    log.error("%s: message %d to chat %s given up (%s)", row.channel, row.id, _chat(row), o.error)
                if row.hook:
                    follow += await self._hook(row, o.sent, depth)
        if follow:
            await self.deliver(follow, depth=depth + 1)

    async def _hook(self, row: Queued, sent: bool, depth: int) -> list[Queued]:
        hook = DELIVERY_HOOKS.get(row.hook or "")
        if hook is None:
            log.error("outbox row %d names an unknown delivery hook %r", row.id, row.hook)
            return []
        outs = await hook(self.app.services, row.hook_args or {}, sent)
        if depth >= MAX_HOOK_DEPTH:
            outs = [o for o in outs if o.hook is None]
        return await queue(self.app.services, outs)


def _chat(row: Queued) -> str:
    """A chat for the log: a group's id, but never an e-mail address or a phone."""
    return "(e-mail)" if row.channel == "email" else row.chat_id

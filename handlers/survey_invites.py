"""Invitations to the satisfaction survey: scheduled after a consultation, a visit or an answered
request, sent by the scheduler, at most one per client per period, never to those who said
"do not ask me again" or answered recently, and only to those who agreed to get them (the
consent of purpose ``survey``, asked once after a booking or a request: an invitation is a
message to the person's messenger id). An invitation is deleted once answered, or when its
period is over.

Also the keyed hashes that keep the survey anonymous (see ``storage.survey``): the receipt of an
invitation, the receipt of a client (for the once-per-period rule) and the opt-out mark.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta

from handlers import texts
from handlers.domain.survey import Survey
from handlers.engine import STEPS, Context, action, action_payload
from handlers.inputs import parse_token
from handlers.jobs import job_handler
from handlers.models import Address, Button, Outgoing, Reply
from handlers.personal import forget_hook, has_consent, on_refusal
from handlers.services import Services
from storage.clients import Client, get_client
from storage.jobs import Job, cancel_jobs, delete_jobs
from storage.survey import (
    Invitation,
    add_opt_out,
    anon_hash,
    cancel_client_invitations,
    client_invitations,
    create_invitation,
    delete_client_invitations,
    delete_invitations_before,
    get_invitation,
    invitation_by_token,
    invitation_facts,
    is_opted_out,
    receipt_date,
    set_invitation_status,
)

log = logging.getLogger(__name__)
INVITE_JOB = "survey_invite"
CHECKED_MARK = "_svy_checked"  # conversation data: the day the consultation invite was last considered


# --------------------------------------------------------------------------- anonymity keys


def _salt(services: Services) -> str:
    return services.survey_salt


def invitation_receipt(services: Services, token: str) -> str:
    return anon_hash(_salt(services), "invitation", token)


def client_receipt(services: Services, survey_id: str, channel: str, user_id: str) -> str:
    return anon_hash(_salt(services), "client", survey_id, channel, user_id)


def _opt_out_key(services: Services, channel: str, user_id: str) -> str:
    return anon_hash(_salt(services), "optout", channel, user_id)


def local_day(services: Services, moment: datetime) -> date:
    return moment.astimezone(services.tz).date()


# --------------------------------------------------------------------------- rules


def invitation_survey(services: Services) -> Survey:
    return services.surveys.get(services.surveys.invitations.survey)


def invitation_delay(services: Services, reason: str) -> timedelta:
    """The configured delay (survey.yaml ``invitations.delay_minutes``) after an event of this kind."""
    return timedelta(minutes=services.surveys.invitations.delay_minutes.get(reason, 60))


async def answered_recently(services: Services, survey_id: str, channel: str, user_id: str,
                            today: date) -> date | None:
    """The day the client last answered this survey, if within the period; else None."""
    day = await receipt_date(services.db, client_receipt(services, survey_id, channel, user_id))
    return day if _within_period(services, day, today) else None


def _within_period(services: Services, day: date | None, today: date) -> bool:
    return day is not None and today - day < timedelta(days=services.surveys.invitations.period_days)


async def open_invitation(services: Services, channel: str, user_id: str, now: datetime) -> Invitation | None:
    """A sent invitation of the client that is still valid and not used yet."""
    for inv in await client_invitations(services.db, channel, user_id):
        if inv.status == "sent" and inv.expires_at and inv.expires_at > now \
                and await receipt_date(services.db, invitation_receipt(services, inv.token)) is None:
            return inv
    return None


async def _why_not(services: Services, channel: str, user_id: str, now: datetime,
                   skip_id: int | None = None) -> str | None:
    """Why this client must not get an invitation now (for the log), or None if he may."""
    cfg = services.surveys.invitations
    survey = invitation_survey(services)
    if not await has_consent(services, f"{channel}:{user_id}", "survey"):
        return "no consent to invitations"
    facts = await invitation_facts(services.db, channel, user_id,
                                   opt_out_hash=_opt_out_key(services, channel, user_id),
                                   receipt_hash=client_receipt(services, survey.id, channel, user_id))
    if facts.opted_out:
        return "opted out"
    since = now - timedelta(days=cfg.period_days)
    for inv in facts.invitations:
        if inv.id == skip_id:
            continue
        if inv.status == "pending":
            return "an invitation is already scheduled"
        if inv.status == "sent" and inv.sent_at and inv.sent_at > since:
            return "invited within the period"
    if _within_period(services, facts.answered_on, local_day(services, now)):
        return "answered within the period"
    return None


def _within_hours(services: Services, moment: datetime) -> datetime:
    """Move a moment into the configured sending hours (nobody is woken up by a survey)."""
    hours = services.surveys.invitations.send_hours
    local = moment.astimezone(services.tz)
    if local.time() < hours.start:
        local = local.replace(hour=hours.start.hour, minute=hours.start.minute, second=0, microsecond=0)
    elif local.time() >= hours.end:
        local = (local + timedelta(days=1)).replace(hour=hours.start.hour, minute=hours.start.minute, second=0,
                                                    microsecond=0)
    return local.astimezone(moment.tzinfo)


# --------------------------------------------------------------------------- scheduling


def _job_key(invitation_id: int) -> str:
    return f"{INVITE_JOB}:{invitation_id}:"  # the trailing colon: cancelling #1 must not cancel #12


async def schedule_invitation(services: Services, channel: str, user_id: str, chat_id: str, reason: str,
                              after: timedelta) -> int | None:
    """Invite a client to the satisfaction survey ``after`` an event; returns the invitation id, or
    None when the client must not be invited.

    ``reason`` says what happened and picks the first line of the invitation: ``"consultation"``
    (a result card was shown), ``"visit"`` (a personal visit took place; call with
    ``after=invitation_delay(services, "visit")``, the day after by default) or ``"request"``
    (a written request was answered). ``invitation_delay(services, reason)`` gives the delay
    configured in survey.yaml.

    Safe to call at every such event: nothing is scheduled if the client said "do not ask me
    again", already has an invitation waiting, got one within ``invitations.period_days`` or
    answered the survey within that period. The message goes out through the job queue (kind
    ``survey_invite``) within ``invitations.send_hours``; the rules are checked again then.
    """
    now = services.clock()
    why = await _why_not(services, channel, user_id, now)
    if why:
        log.debug("no survey invitation for %s:%s: %s", channel, user_id, why)
        return None
    due = _within_hours(services, now + after)
    inv = await create_invitation(services.db, token=secrets.token_urlsafe(9), survey_id=invitation_survey(services).id,
                                  channel=channel, user_id=user_id, chat_id=chat_id, reason=reason, due_at=due,
                                  now=now, job=(INVITE_JOB, _job_key))
    return inv.id


async def invite_after_consultation(ctx: Context) -> None:
    """Called when a result card is shown: at most one look at the database per client a day."""
    today = local_day(ctx.services, ctx.now).isoformat()
    if ctx.data.get(CHECKED_MARK) == today or ctx.is_staff() or ctx.event.group:  # not into a group chat
        return
    ctx.data[CHECKED_MARK] = today
    ev = ctx.event
    await schedule_invitation(ctx.services, ev.channel, ev.user_id, ev.chat_id, "consultation",
                              invitation_delay(ctx.services, "consultation"))


async def cancel_pending(services: Services, channel: str, user_id: str) -> None:
    for inv_id in await cancel_client_invitations(services.db, channel, user_id):
        await cancel_jobs(services.db, _job_key(inv_id))


async def answered(services: Services, channel: str, user_id: str) -> None:
    """The client answered the survey: his invitations have done their job and go (the receipt,
    a keyed hash, keeps him from being invited again within the period)."""
    for inv_id in await delete_client_invitations(services.db, channel, user_id):
        await delete_jobs(services.db, _job_key(inv_id))


async def offer_survey_consent(ctx: Context) -> None:
    """After a booking or a request: may the bot invite him to the survey later? Asked once: not
    again after a "yes" (in force) or a "no" (remembered as "do not ask me again")."""
    ev = ctx.event
    if "survey.start" not in STEPS or ctx.is_staff() or ev.group:
        return
    if await has_consent(ctx.services, f"{ev.channel}:{ev.user_id}", "survey") \
            or await is_opted_out(ctx.services.db, _opt_out_key(ctx.services, ev.channel, ev.user_id)):
        return
    ctx.go("personal.consent", {"purpose": "survey", "back": True})


@on_refusal("survey")
async def _declined(ctx: Context) -> None:
    await opt_out(ctx.services, *ctx.event.key)
    ctx.say(texts.CONSENT_SURVEY_REFUSED)


async def opt_out(services: Services, channel: str, user_id: str) -> None:
    """"Do not ask me again": remember it (as a keyed hash) and drop invitations not sent yet."""
    now = services.clock()
    await add_opt_out(services.db, _opt_out_key(services, channel, user_id), local_day(services, now))
    await cancel_pending(services, channel, user_id)


# --------------------------------------------------------------------------- sending


def invitation_reply(services: Services, inv: Invitation) -> Reply:
    survey = services.surveys.find(inv.survey_id) or invitation_survey(services)
    head = texts.SURVEY_INVITE.get(inv.reason, "")
    body = texts.SURVEY_INVITE_BODY.format(n=len(survey.questions))
    return Reply(text=f"{head} {body}".strip(), buttons=[
        [Button(texts.BTN_SURVEY_TAKE, payload=action_payload("svy", inv.token))],
        [Button(texts.BTN_SURVEY_STOP, payload=action_payload("svyno", inv.token))],
    ])


@job_handler(INVITE_JOB)
async def send_invitation(job: Job, services: Services) -> list[Outgoing]:
    inv_id = int(job.payload["invitation"])
    inv = await get_invitation(services.db, inv_id)
    if inv is None or inv.status != "pending":
        return []
    now = services.clock()
    why = await _why_not(services, inv.channel, inv.user_id, now, skip_id=inv.id)
    client = await get_client(services.db, inv.channel, inv.user_id)
    if why is None and client is not None and client.unreachable:
        why = "unreachable"
    if why:
        log.info("survey invitation #%d skipped: %s", inv.id, why)
        await set_invitation_status(services.db, inv.id, "skipped")
        return []
    expires = now + timedelta(days=services.surveys.invitations.valid_days)
    if not await set_invitation_status(services.db, inv.id, "sent", sent_at=now, expires_at=expires):
        return []
    return [Outgoing(Address(inv.channel, inv.chat_id, user_id=inv.user_id), invitation_reply(services, inv),
                     staff=False)]


# --------------------------------------------------------------------------- buttons of the invitation


@action("svy")
async def take_survey(ctx: Context, token: str) -> None:
    token = parse_token(token)  # the bot's own tokens only: nothing else is looked up
    inv = await invitation_by_token(ctx.services.db, token) if token else None
    if inv is not None and (inv.channel, inv.user_id) != ctx.event.key:
        ctx.say(texts.SURVEY_INVITE_FOREIGN)
        return
    # an invitation erased long ago: the intro applies the rules of the menu
    ctx.go("survey.start", {"inv": inv.token} if inv else {})


@action("svyno")
async def stop_inviting(ctx: Context, token: str) -> None:
    """Whoever presses it is the one not to be asked again, whoever's message it was on."""
    await opt_out(ctx.services, *ctx.event.key)
    ctx.say(texts.SURVEY_OPTED_OUT)


@forget_hook
async def forget_invitations(services: Services, client: Client) -> None:
    """/forget: invitations name the client, so they go; the opt-out stays (it names nobody)."""
    for inv_id in await delete_client_invitations(services.db, client.channel, client.user_id):
        await delete_jobs(services.db, _job_key(inv_id))


async def drop_old_invitations(services: Services) -> list[Outgoing]:
    """Invitations name the client: keep them only as long as the once-per-period rule needs them
    (part of the daily clean-up, handlers/retention.py)."""
    cfg = services.surveys.invitations
    keep = timedelta(days=cfg.period_days + cfg.valid_days + 1)
    dropped = await delete_invitations_before(services.db, services.clock() - keep)
    if dropped:
        log.info("dropped %d old survey invitations", dropped)
    return []

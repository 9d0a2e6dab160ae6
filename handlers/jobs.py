"""Scheduled work of the flows: what to do when a stored job falls due, daily routines, and what
to do when a message was (or could not be) delivered.

A flow schedules a job with ``storage.jobs.schedule_job(kind=..., key=...)`` and registers what
running it means with ``@job_handler(kind)``; the handler returns the messages to send. Daily
routines (agenda, retention, deadline alerts) register with ``@daily(name, hour, minute)`` and run
once a day across all instances. A message may name a ``@delivery_hook(name)``: it is called with
the outcome once delivery succeeded or was given up. Each of these runs in a unit of work of its
own: its changes and the messages it returns commit together.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from handlers.models import Outgoing
from handlers.services import Services
from storage.jobs import Job

JobHandler = Callable[[Job, Services], Awaitable[list[Outgoing]]]
JOB_HANDLERS: dict[str, JobHandler] = {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(fn: JobHandler) -> JobHandler:
        JOB_HANDLERS[kind] = fn
        return fn
    return register


DailyHandler = Callable[[Services], Awaitable[list[Outgoing]]]


@dataclass(frozen=True, slots=True)
class Daily:
    name: str
    hour: int
    minute: int
    handler: DailyHandler


DAILY: dict[str, Daily] = {}


def daily(name: str, hour: int, minute: int = 0) -> Callable[[DailyHandler], DailyHandler]:
    """A routine run every day at hh:mm in the directory's time zone (once across instances)."""
    def register(fn: DailyHandler) -> DailyHandler:
        DAILY[name] = Daily(name, hour, minute, fn)
        return fn
    return register


DeliveryHook = Callable[[Services, dict[str, Any], bool], Awaitable[list[Outgoing]]]
DELIVERY_HOOKS: dict[str, DeliveryHook] = {}


def delivery_hook(name: str) -> Callable[[DeliveryHook], DeliveryHook]:
    """``hook(services, hook_args, delivered)``: e.g. record that an answer reached the client, or
    tell staff that it did not."""
    def register(fn: DeliveryHook) -> DeliveryHook:
        DELIVERY_HOOKS[name] = fn
        return fn
    return register

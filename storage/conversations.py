"""Conversation state: load it before a step, save it after, keyed by (channel, user id)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update

from storage.db import Database, insert_new
from storage.tables import ConversationRow


class StateConflict(Exception):
    """Someone else saved this person's state since we loaded it (another instance)."""


@dataclass(slots=True)
class State:
    step: str
    params: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    stack: list = field(default_factory=list)
    version: int = 0  # 0: never saved
    recent: list = field(default_factory=list)  # ids of the last updates handled (newest last)


# Loaded and saved around every event, the bot's hottest path: statements built once, with bound
# parameters (Database.rows: on PostgreSQL, within an event, on the connection holding the
# person's advisory lock).
_T = ConversationRow.__table__
_KEY = (_T.c.channel == bindparam("k_channel")) & (_T.c.user_id == bindparam("k_user"))
_LOAD = select(_T.c.step, _T.c.params, _T.c.data, _T.c.stack, _T.c.version, _T.c.recent_updates).where(_KEY)
_VALUES = {name: bindparam(f"v_{name}") for name in ("chat_id", "step", "params", "data", "stack", "updated_at",
                                                     "recent_updates")}
# A first message of a person: no row comes back if somebody saved one meanwhile.
_INSERT = insert_new(_T, {"channel": bindparam("k_channel"), "user_id": bindparam("k_user"), "version": 1, **_VALUES},
                     key=(_T.c.channel, _T.c.user_id), returning=(_T.c.version,))
# The new version comes back only if the row still had the version we loaded: a single statement
# both checks and writes, atomic even in autocommit.
_UPDATE = (update(_T).where(_KEY, _T.c.version == bindparam("k_version"))
           .values(version=_T.c.version + 1, **_VALUES).returning(_T.c.version))


def _state(row: Sequence[Any]) -> State:
    step, params, data, stack, version, recent = row
    return State(step=step, params=dict(params or {}), data=dict(data or {}), stack=list(stack or []),
                 version=version, recent=list(recent or []))


async def load_state(db: Database, channel: str, user_id: str) -> State | None:
    rows = await db.rows(_LOAD, {"k_channel": channel, "k_user": user_id})
    return _state(rows[0]) if rows else None


async def save_state(db: Database, channel: str, user_id: str, chat_id: str, state: State,
                     now: datetime) -> None:
    """Write the state if nobody changed it meanwhile (optimistic version check)."""
    values = {"k_channel": channel, "k_user": user_id, "k_version": state.version, "v_chat_id": chat_id,
              "v_step": state.step, "v_params": state.params, "v_data": state.data, "v_stack": state.stack,
              "v_updated_at": now, "v_recent_updates": state.recent}
    written = bool(await db.rows(_INSERT if state.version == 0 else _UPDATE, values))
    if not written:
        raise StateConflict(f"{channel}:{user_id} changed since version {state.version}")
    state.version += 1


async def forget_state(db: Database, channel: str, user_id: str) -> None:
    await db.rows(delete(_T).where(_T.c.channel == channel, _T.c.user_id == user_id))


async def count_conversations(db: Database) -> int:
    return int((await db.rows(select(func.count().label("n")).select_from(_T)))[0].n)

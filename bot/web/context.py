"""What every page of the workspace knows: the bot's services, who is signed in and with what
rights, and the providers the application gives (channel states, file contents)."""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from handlers.models import Attachment
from handlers.rights import Rights
from handlers.services import Services
from storage.workspace import Signer


@dataclass(frozen=True, slots=True)
class ChannelState:
    """One messenger as the health page shows it."""

    name: str
    connected: bool
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class FetchedFile:
    content: bytes
    mime: str | None = None


ChannelStates = Callable[[], Awaitable[list[ChannelState]]]
# A stored file -> its content, if the channel it came through gives it.
FileFetcher = Callable[[Attachment], Awaitable[FetchedFile | None]]


@dataclass(frozen=True, slots=True)
class Workspace:
    services: Services
    channel_states: ChannelStates
    fetch_file: FileFetcher
    secure_cookie: bool
    base_url: str | None  # the public address, without /staff/ (origin checks of forms)
    charts: OrderedDict[Any, Any] = field(default_factory=OrderedDict)  # survey charts drawn lately

    @property
    def origin(self) -> str | None:
        if not self.base_url:
            return None
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"


WORKSPACE = web.AppKey("workspace", Workspace)


@dataclass(frozen=True, slots=True)
class StaffUser:
    """The person signed in on this request, his rights and his session's secret (from the
    cookie: forms carry a token derived from it, which another site cannot compute)."""

    signer: Signer
    rights: Rights
    session_secret: str

    @property
    def name(self) -> str:
        return self.signer.staff_name or self.signer.staff_id

    @property
    def csrf(self) -> str:
        return hmac.new(self.session_secret.encode(), b"csrf", hashlib.sha256).hexdigest()


STAFF = web.RequestKey("staff", StaffUser)


def workspace(request: web.Request) -> Workspace:
    return request.config_dict[WORKSPACE]


def user(request: web.Request) -> StaffUser:
    """The signed-in person (pages behind ``signed_in`` only)."""
    return request[STAFF]


def signed_in_user(request: web.Request) -> StaffUser | None:
    return request.get(STAFF)

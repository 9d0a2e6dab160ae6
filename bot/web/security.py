"""Sessions, forms and the headers every response carries.

- The session cookie holds a random secret; the database keeps only its hash (storage.workspace).
  It is HttpOnly, SameSite=Lax, Secure behind HTTPS, scoped to /staff/ and lasts a working day.
- Every form that changes something carries a token derived from the session's secret (HMAC):
  another site can make the browser send the cookie, but cannot read or compute the token.
  Such forms are also refused when the browser says they come from another site (Origin,
  Sec-Fetch-Site).
- Every response: a strict Content-Security-Policy (no scripts at all, styles and images from
  here only), no framing, no referrer to other sites (a sign-in link or a request number never
  leaks), no sniffing, and no caching of pages with personal data.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.web.context import STAFF, StaffUser, signed_in_user, user, workspace
from bot.web.render import page_error
from handlers.rights import rights_of
from handlers.web_access import SESSION_HOURS, secret_hash
from storage.workspace import note_web, session_signer

log = logging.getLogger(__name__)

COOKIE = "consult_staff"
COOKIE_PATH = "/staff/"
CSP = ("default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SESSION_TTL = timedelta(hours=SESSION_HOURS)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Refused(Exception):
    """Stop and show a page that says why (not found, not yours, a bad form)."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(title)
        self.status, self.title, self.message = status, title, message


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: for every response of the workspace, static files included."""
    h = response.headers
    h["Content-Security-Policy"] = CSP
    h["X-Frame-Options"] = "DENY"
    # same-origin: never a referrer to another site (a sign-in link, a request number), while our own
    # forms keep their Origin header (with no-referrer browsers send "Origin: null").
    h["Referrer-Policy"] = "same-origin"
    h["X-Content-Type-Options"] = "nosniff"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if not request.path.startswith("/staff/static/"):
        h["Cache-Control"] = "no-store"


@web.middleware
async def session(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is signed in (``request["staff"]``), and the pages of refusals."""
    secret = request.cookies.get(COOKIE)
    if secret:
        services = workspace(request).services
        signer = await session_signer(services.db, secret_hash(secret), services.clock())
        if signer is not None:
            rights = rights_of(services, signer.staff_id, signer.chat_departments)
            request[STAFF] = StaffUser(signer, rights, secret)
    try:
        return await handler(request)
    except Refused as refusal:
        return page_error(request, refusal.status, refusal.title, refusal.message)


def signed_in(handler: Handler) -> Handler:
    """A page only for staff with a live session."""
    async def wrapped(request: web.Request) -> web.StreamResponse:
        me = signed_in_user(request)
        if me is None:
            raise Refused(401, "Нужно войти",
                          "Войдите по одноразовой ссылке: напишите боту /web в чате отдела или в личном чате — "
                          "он пришлёт ссылку. Сеанс длится рабочий день.")
        if not me.rights.any:
            raise Refused(403, "Нет доступа", "Вас больше нет среди сотрудников отделов. Обратитесь к администратору.")
        return await handler(request)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def set_session_cookie(response: web.StreamResponse, secret: str, *, secure: bool) -> None:
    response.set_cookie(COOKIE, secret, max_age=int(SESSION_TTL.total_seconds()), path=COOKIE_PATH, httponly=True,
                        secure=secure, samesite="Lax")


def clear_session_cookie(response: web.StreamResponse, *, secure: bool) -> None:
    response.del_cookie(COOKIE, path=COOKIE_PATH, secure=secure, httponly=True, samesite="Lax")


def same_site(request: web.Request) -> bool:
    """False when the browser says a form comes from another site."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # an old browser or a tool: the form token still decides
    if origin == "null":  # a privacy setting: trust only the browser's own word that it is our page
        return request.headers.get("Sec-Fetch-Site") == "same-origin"
    expected = workspace(request).origin or f"{request.scheme}://{request.host}"
    return origin == expected


async def checked_form(request: web.Request, action: str) -> MultiDictProxy[Any]:
    """The form of a signed-in person's POST, after the checks against forged requests; a
    refused form is written to the workspace's audit trail."""
    me = user(request)
    form = await request.post()
    token = str(form.get("csrf", ""))
    if not same_site(request) or not hmac.compare_digest(token, me.csrf):
        services = workspace(request).services
        log.warning("refused a forged or stale form (%s) of %s", action, me.signer.staff_id)
        await note_web(services.db, staff_id=me.signer.staff_id, staff_name=me.signer.staff_name,
                       action="forged_form", target=action, now=services.clock())
        raise Refused(403, "Форма не принята",
                      "Форма устарела или отправлена не со страницы рабочего места. Обновите страницу и повторите.")
    return form

"""Signing in with the one-time link /web sent, and signing out.

Opening the link only shows a "Sign in" button: messengers open links themselves to draw a
preview, and that must not use the link up. The button's form is tied to the browser that
opened the page (a nonce in a SameSite=Strict cookie and in the form), so another site cannot
sign a person in to somebody else's session. Using the link and opening the session is one
transaction: a link works once, however many tabs try it at the same moment.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from aiohttp import web

from bot.web.context import user, workspace
from bot.web.render import render
from bot.web.security import (
    SESSION_TTL,
    Refused,
    checked_form,
    clear_session_cookie,
    same_site,
    set_session_cookie,
    signed_in,
)
from handlers.rights import rights_of
from handlers.web_access import LINK_MINUTES, secret_hash
from storage.workspace import end_session, link_state, note_web, sign_in

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

NONCE_COOKIE = "consult_staff_login"


async def _refuse_link(request: web.Request, token: str, reason: str) -> Refused:
    """Why a link does not work (unknown, used, expired), written to the audit trail."""
    services = workspace(request).services
    state = await link_state(services.db, secret_hash(token))
    now = services.clock()
    if state is None:
        title, message, status, why = ("Ссылка недействительна",
                                       "Такой ссылки нет. Попросите новую: напишите боту /web.", 404, "unknown")
    elif state.used_at is not None:
        title, message, status, why = ("Ссылка уже использована",
                                       "Ссылка для входа открывается только один раз. Если это были не вы, сообщите "
                                       "администратору. Новую ссылку даёт команда /web.", 410, "used")
    elif state.expires_at <= now:
        title, message, status, why = ("Срок действия ссылки истёк",
                                       f"Ссылка действует {LINK_MINUTES} минут. Попросите новую: напишите боту /web.",
                                       410, "expired")
    else:
        title, message, status, why = ("Вход не выполнен", "Попробуйте ещё раз или попросите новую ссылку: /web.",
                                       403, reason)
    await note_web(services.db, staff_id=state.signer.staff_id if state else None,
                   staff_name=state.signer.staff_name if state else None, action="login_refused", now=now,
                   detail=why)
    log.warning("refused a sign-in link: %s", why)
    return Refused(status, title, message)


def see_other(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


@routes.get("/login/{token}")
async def login_page(request: web.Request) -> web.StreamResponse:
    """The link from /web: who it is for, and a button to sign in."""
    token = request.match_info["token"]
    services = workspace(request).services
    state = await link_state(services.db, secret_hash(token))
    if state is None or state.used_at is not None or state.expires_at <= services.clock():
        raise await _refuse_link(request, token, "")
    nonce = secrets.token_urlsafe(16)
    response = render(request, "login.html", title="Вход", name=state.signer.staff_name or state.signer.staff_id,
                      nonce=nonce)
    response.set_cookie(NONCE_COOKIE, nonce, max_age=LINK_MINUTES * 60, path="/staff/login/", httponly=True,
                        secure=workspace(request).secure_cookie, samesite="Strict")
    return response


@routes.post("/login/{token}")
async def login(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    ws = workspace(request)
    services = ws.services
    form = await request.post()
    nonce = request.cookies.get(NONCE_COOKIE, "")
    if not nonce or not same_site(request) or not hmac.compare_digest(str(form.get("nonce", "")), nonce):
        raise await _refuse_link(request, token, "forged")
    secret = secrets.token_urlsafe(32)
    now = services.clock()
    signer = await sign_in(services.db, secret_hash(token), secret_hash(secret), now=now,
                           session_expires_at=now + SESSION_TTL)
    if signer is None:
        raise await _refuse_link(request, token, "raced")
    if not rights_of(services, signer.staff_id, signer.chat_departments).any:
        await note_web(services.db, staff_id=signer.staff_id, staff_name=signer.staff_name, action="login_refused",
                       now=now, detail="no rights")
        raise Refused(403, "Нет доступа", "Вас нет среди сотрудников отделов. Обратитесь к администратору.")
    await note_web(services.db, staff_id=signer.staff_id, staff_name=signer.staff_name, action="login", now=now,
                   detail=",".join(signer.chat_departments) or None)
    log.info("web: %s signed in", signer.staff_id)
    response = see_other("/staff/")
    set_session_cookie(response, secret, secure=ws.secure_cookie)
    response.del_cookie(NONCE_COOKIE, path="/staff/login/")
    return response


@routes.post("/logout")
@signed_in
async def logout(request: web.Request) -> web.StreamResponse:
    await checked_form(request, "logout")
    me = user(request)
    ws = workspace(request)
    now = ws.services.clock()
    await end_session(ws.services.db, secret_hash(me.session_secret), now)
    await note_web(ws.services.db, staff_id=me.signer.staff_id, staff_name=me.signer.staff_name, action="logout",
                   now=now)
    response = see_other("/staff/signed-out")
    clear_session_cookie(response, secure=ws.secure_cookie)
    return response


@routes.get("/signed-out")
async def signed_out(request: web.Request) -> web.StreamResponse:
    return render(request, "message.html", title="Вы вышли",
                  message="Сеанс завершён. Чтобы войти снова, напишите боту /web.")

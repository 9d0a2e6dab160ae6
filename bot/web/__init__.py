"""The staff's web workspace at ``/staff/``: the queue of requests with deadlines, one page per
request with its whole history, visits, reports for heads, health; sign-in with a one-time link
from /web (handlers/web_access.py), rights from the directory (handlers/rights.py).

Server-rendered HTML (Jinja2, autoescaped) in Russian with one hand-written stylesheet: no
scripts, no front-end build, no third-party code in the repository.

Entry points:
    build_staff_app(app, ...)       the aiohttp sub-application, to mount at /staff/
    mount_staff(root, app, ...)     mount it on the bot's web server (bot.web_server: ``consult-bot run``)
    serve_staff(app, host, port)    serve it alone (demo, tests); returns the runner to clean up

An action that changes something (stage 2) is one POST handler: ``form = await
checked_form(request, "take")`` (CSRF and origin checks), then one function of handlers/ that
does what the chat's button does, so the chat card and the page stay the same.
"""

from bot.web.app import build_staff_app, mount_staff, serve_staff
from bot.web.context import ChannelState, FetchedFile

__all__ = ["ChannelState", "FetchedFile", "build_staff_app", "mount_staff", "serve_staff"]

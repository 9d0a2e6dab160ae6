"""Every conversation a citizen can have, registered by importing its module."""

from handlers import (  # noqa: F401
    consents,
    contacts,
    forget,
    line_info,
    menu,
    need,
    personal,
    requests,
    requests_jobs,
    requests_staff,
    retention,
    survey,
    survey_invites,
    survey_staff,
    undelivered,
    visits,
    visits_staff,
    web_access,
)

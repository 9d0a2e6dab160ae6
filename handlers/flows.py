"""Every conversation a citizen can have, registered by importing its module."""

from handlers import (  # noqa: F401
    contacts,
    forget,
    menu,
    need,
    personal,
    requests,
    requests_jobs,
    requests_staff,
    survey,
    survey_invites,
    survey_staff,
    visits,
    visits_staff,
    web_access,
)

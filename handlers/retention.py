"""The retention schedule, enforced: one daily routine deletes every kind of personal data whose term
is over (152-FZ art. 5 part 7: no longer than the purpose needs; the order: messages with their
materials one year). README.md lists the same terms in a table; the consent texts
(handlers/texts/consent.py) promise them.

| what                                        | kept                                                    |
|---------------------------------------------|---------------------------------------------------------|
| requests with texts, files, answers, audit  | 1 year after closing (the order)                        |
| visits (name, phone, time, topic)           | 1 year after the visit (the order)                      |
| contact row (name, phone, e-mail)           | while a request is open or a visit ahead, then 30 days  |
| conversation drafts                         | 30 days without a message                               |
| outbox rows                                 | delivered: at once; given up: 30 days (/undelivered)    |
| jobs                                        | payload dropped when done; the row 30 days after        |
| survey invitations                          | until answered, or the once-per-period rule has passed  |
| consent records                             | while in force; then a keyed hash only, 3 years         |
| staff sign-in links, sessions, web audit    | a day; the audit trail a year                           |

The routine runs in one unit of work (JobRunner.run_daily); after its commit the runner
checkpoints SQLite's write-ahead log, so that with ``secure_delete`` on nothing deleted is left
in the database files. PostgreSQL marks deleted rows dead; its autovacuum reclaims them.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.jobs import daily
from handlers.models import Outgoing
from handlers.requests_jobs import retention as purge_requests
from handlers.services import Services
from handlers.survey_invites import drop_old_invitations
from handlers.visits_staff import purge_old_visits
from handlers.web_access import web_retention
from storage.consents import purge_ended_before
from storage.jobs import purge_finished_jobs
from storage.outbox import purge_finished_before
from storage.retention import end_orphan_consents, purge_idle_clients, purge_idle_conversations

log = logging.getLogger(__name__)

CONTACT_GRACE = timedelta(days=30)  # contact data after the last request closed, visit or message
DRAFT_DAYS = timedelta(days=30)  # an abandoned conversation (a request half written, a name given)
UNDELIVERED_DAYS = timedelta(days=30)  # a message given up stays listed to its staff this long
JOB_DAYS = timedelta(days=30)
# A consent's record, without the person's id, proves the processing was lawful (152-FZ art. 9
# part 3) for the general limitation period of claims (Civil Code art. 196).
CONSENT_PROOF = timedelta(days=3 * 365)


@daily("personal_data_retention", 3, 30)
async def purge_personal_data(services: Services) -> list[Outgoing]:
    """Everything whose term is over, in one unit of work; counts only in the log."""
    now = services.clock()
    await purge_requests(services)
    await purge_old_visits(services)
    await drop_old_invitations(services)
    await web_retention(services)
    db = services.db
    counts = {
        "contacts": await purge_idle_clients(db, now - CONTACT_GRACE),
        "conversations": await purge_idle_conversations(db, now - DRAFT_DAYS),
        "undelivered": await purge_finished_before(db, now - UNDELIVERED_DAYS),
        "jobs": await purge_finished_jobs(db, now - JOB_DAYS),
        "consents ended": await end_orphan_consents(db, now),
        "consent records": await purge_ended_before(db, now - CONSENT_PROOF),
    }
    log.info("retention: deleted %s", ", ".join(f"{what} {n}" for what, n in counts.items()))
    return []

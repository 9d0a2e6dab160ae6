"""Every table of the bot, imported in one place for Alembic and for tests."""

from storage.consents import ConsentRow
from storage.jobs import JobRow
from storage.outbox import OutboxRow
from storage.positions import ChannelPositionRow
from storage.requests import RequestAuditRow, RequestMessageRow, RequestRow
from storage.sent import SentMessageRow
from storage.survey import SurveyInvitationRow, SurveyOptOutRow, SurveyReceiptRow, SurveyResponseRow
from storage.tables import ClientRow, ConversationRow
from storage.visits import VisitClosureRow, VisitRow
from storage.workspace import WebAuditRow, WebLinkRow, WebSessionRow

__all__ = [
    "ChannelPositionRow",
    "ClientRow",
    "ConsentRow",
    "ConversationRow",
    "JobRow",
    "OutboxRow",
    "RequestAuditRow",
    "RequestMessageRow",
    "RequestRow",
    "SentMessageRow",
    "SurveyInvitationRow",
    "SurveyOptOutRow",
    "SurveyReceiptRow",
    "SurveyResponseRow",
    "VisitClosureRow",
    "VisitRow",
    "WebAuditRow",
    "WebLinkRow",
    "WebSessionRow",
]

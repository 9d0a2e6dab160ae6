"""Every table of the bot, imported in one place for Alembic and for tests."""

from storage.jobs import JobRow
from storage.sent import SentMessageRow
from storage.tables import ClientRow, ConversationRow

__all__ = ["ClientRow", "ConversationRow", "JobRow", "SentMessageRow"]

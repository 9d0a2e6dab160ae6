"""Every table of the bot, imported in one place for Alembic and for tests."""

from storage.jobs import JobRow
from storage.tables import ClientRow, ConversationRow

__all__ = ["ClientRow", "ConversationRow", "JobRow"]

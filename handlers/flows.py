"""Every conversation a citizen can have, registered by importing its module."""

from handlers import contacts, menu, need, personal  # noqa: F401

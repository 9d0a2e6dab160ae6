"""A local SMTP server for the e-mail tests (load with ``pytest_plugins = ["tests.mail_fixtures"]``):
``smtp_server`` is an aiosmtpd server on 127.0.0.1 and the ``Inbox`` that keeps every letter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiosmtpd.smtp import SMTP

from tests.mail_support import Inbox


@pytest.fixture
async def smtp_server() -> AsyncIterator[tuple[Inbox, int]]:
    inbox = Inbox()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(inbox, hostname="mail.test"),
                                                            "127.0.0.1", 0)
    yield inbox, int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()

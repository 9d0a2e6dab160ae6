"""A department mailbox as a staff destination (a local aiosmtpd server; VK through the fake VK API
over real HTTP): the card arrives with the client's files attached and says how to answer, the
deadline alerts and the morning agenda arrive too; a file over FILE_MAX_MB is named, not sent."""

from __future__ import annotations

import email.header
from collections.abc import AsyncIterator
from email.message import EmailMessage

import pytest

from bot.app import App
from bot.channels.email import EmailChannel
from bot.scheduler import JobRunner
from bot.settings import Settings
from tests.conftest import FakeClock
from tests.fake_vk_api import FakeVk, sample_image
from tests.mail_support import Inbox
from tests.test_staff_vk_chat import STAFF_CHAT, vk_settings
from tests.vk_harness import VkBot, fast_config

pytest_plugins = ["tests.vk_fixtures", "tests.mail_fixtures"]  # fake_vk, smtp_server

CLIENT = 301
MAILBOX = "ok@lenreg.ru"


@pytest.fixture
async def deployment(request: pytest.FixtureRequest, settings: Settings, clock: FakeClock, fake_vk: FakeVk,
                     smtp_server: tuple[Inbox, int]) -> AsyncIterator[tuple[App, VkBot]]:
    """VK with the department's VK chat and mailbox (no Telegram); ``FILE_MAX_MB`` 20, or as parametrized."""
    _, port = smtp_server
    app = await App.create(vk_settings(settings, fake_vk, staff_chats=f"personnel=vk:{STAFF_CHAT},email:{MAILBOX}",
                                       smtp_host="127.0.0.1", smtp_port=port, smtp_from="consult@lenreg.example",
                                       web_base_url="https://bot.example.ru",
                                       file_max_mb=getattr(request, "param", 20)),
                           clock=clock, migrate=False)
    assert app.configured == {"vk", "email"}
    app.add_channel(EmailChannel(app))
    bot = await VkBot(app, fake_vk, fast_config(fake_vk)).start()
    yield app, bot
    await bot.close()
    await app.close()


def subject(letter: EmailMessage) -> str:
    return str(email.header.make_header(email.header.decode_header(letter["Subject"])))


def body(letter: EmailMessage) -> str:
    part = letter.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def attachments(letter: EmailMessage) -> list[tuple[str, str, bytes]]:
    return [(str(p.get_filename()), p.get_content_type(), p.get_payload(decode=True))
            for p in letter.iter_attachments()]


async def write_request(bot: VkBot, fake: FakeVk, files: list[dict]) -> None:
    user = bot.user(CLIENT)
    await user.say("Начать")
    await user.say("Написать в отдел")
    await user.say("Прошу выдать справку о стаже, скан паспорта прилагаю.")
    await user.say("", attachments=files)
    await user.press("Готово")
    await user.press("Согласен(на)")
    await user.say("Ирина Волкова")
    await user.say("+7 921 765-43-21")
    await user.press("Только в этот чат")
    assert "Обращение №1 принято" in (await user.press("Отправить")).text


async def test_card_alerts_and_agenda_reach_the_department_mailbox(
        deployment: tuple[App, VkBot], fake_vk: FakeVk, smtp_server: tuple[Inbox, int], clock: FakeClock) -> None:
    app, bot = deployment
    inbox, _ = smtp_server
    scan = sample_image(800, 600)
    await write_request(bot, fake_vk, [fake_vk.client_photo(CLIENT, scan),
                                       fake_vk.client_doc(CLIENT, "заявление.pdf", b"%PDF-1.4 zayavlenie")])

    # the VK chat gets the card with the files re-sent by their VK ids
    card = next(m for m in fake_vk.sent_to(STAFF_CHAT) if m.text.startswith("Обращение №1"))
    assert [m.kind for m in card.media] == ["photo", "doc"]

    # the mailbox gets the same card, the files attached, and how to answer
    [(envelope, letter)] = inbox.letters
    assert envelope.rcpt_tos == [MAILBOX]
    assert subject(letter) == "Обращение №1 · принято"
    text = body(letter)
    assert "Тема: Иные кадровые вопросы" in text and "Контакт: Ирина Волкова, +79217654321" in text
    assert "Вложения (2): фото — переслан ниже; заявление.pdf — переслан ниже" in text
    assert "Ответить на это письмо нельзя: отвечайте клиенту в чате сотрудников отдела" in text
    assert "Обращение в рабочем месте сотрудника: https://bot.example.ru/staff/requests/1" in text
    [(photo_name, photo_type, photo), (doc_name, doc_type, doc)] = attachments(letter)
    assert (photo_type, photo) == ("image/jpeg", scan) and photo_name.endswith(".jpg")
    assert (doc_name, doc_type, doc) == ("заявление.pdf", "application/pdf", b"%PDF-1.4 zayavlenie")

    # the morning's deadline alert: in the chat and in the mailbox
    runner = JobRunner(app, worker="test")
    clock.set(clock.now.replace(month=4, day=13, hour=6))  # Mon 13.04, 09:00 MSK: due on Thu 16.04
    assert await runner.run_daily("requests_deadlines")
    alert = "Сроки ответов на обращения, 13.04.2026:\nСрок в ближайшие 3 дня: №1\nСписок: /requests"
    assert fake_vk.sent_to(STAFF_CHAT)[-1].text == alert
    envelope, letter = inbox.letters[-1]
    assert envelope.rcpt_tos == [MAILBOX] and body(letter).strip() == alert
    assert subject(letter) == "Сроки ответов на обращения, 13.04.2026:"

    # the visits of the day, at 8:00
    clock.set(clock.now.replace(hour=5))
    assert await runner.run_daily("visits_agenda")
    envelope, letter = inbox.letters[-1]
    assert envelope.rcpt_tos == [MAILBOX] and "Отдел кадров Управления" in body(letter)
    assert body(letter).strip() == fake_vk.sent_to(STAFF_CHAT)[-1].text


@pytest.mark.parametrize("deployment", [1], indirect=True)  # FILE_MAX_MB=1
async def test_a_file_over_the_limit_is_named_not_sent(deployment: tuple[App, VkBot], fake_vk: FakeVk,
                                                       smtp_server: tuple[Inbox, int]) -> None:
    _, bot = deployment
    inbox, _ = smtp_server
    big = b"%PDF-1.4 " + b"0" * (1024 * 1024 + 1)
    await write_request(bot, fake_vk, [fake_vk.client_doc(CLIENT, "скан.pdf", big)])
    [(_, letter)] = inbox.letters
    assert attachments(letter) == []
    assert ("Файл «скан.pdf» (ВКонтакте) не передан: он больше 1 МБ.\n"
            "Файлы обращения можно открыть в рабочем месте сотрудника.") in body(letter)
    assert not any("/files/" in d for d in fake_vk.downloads), "its declared size was enough: nothing downloaded"

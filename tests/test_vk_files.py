"""Files crossing VK, over the fake VK API (real HTTP): what a VK client sends is brought in as the
very bytes, within the size limit; bytes given to a VK client arrive there as a photo or a document."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.app import App
from bot.channels.vk.api_pool import VkCaller, VkConfig
from bot.channels.vk.files import PHOTO_MAX_BYTES, Fetched, VkFileError, download, upload
from bot.settings import Settings
from handlers.models import Address, Attachment, Document, Event, Outgoing, Reply
from tests.fake_vk_api import API_HOST, FakeVk, sample_image
from tests.vk_harness import VkBot, fast_config

pytest_plugins = ["tests.vk_fixtures"]  # fake_vk, vk_bot

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"


@pytest.fixture
async def caller(fake_vk: FakeVk) -> AsyncIterator[VkCaller]:
    c = VkCaller(fast_config(fake_vk), fake_vk.session)
    yield c
    c.close()


async def _sends(vk_bot: VkBot, user_id: int, attachments: list[dict]) -> tuple[Attachment, ...]:
    """The person sends these files; what the engine gets of them."""
    seen: list[Event] = []
    handle = vk_bot.app.engine.handle

    async def capture(event: Event) -> list:
        seen.append(event)
        return await handle(event)

    vk_bot.app.engine.handle = capture  # type: ignore[method-assign]
    try:
        await vk_bot.handled(vk_bot.fake.push_message(user_id, "", attachments=attachments))
    finally:
        vk_bot.app.engine.handle = handle  # type: ignore[method-assign]
    return seen[-1].attachments


async def test_a_clients_photo_is_brought_in_as_its_largest_copy(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    picture = sample_image(1600, 1200)
    [photo] = await _sends(vk_bot, 505, [fake_vk.client_photo(505, picture)])
    assert photo.kind == "photo" and photo.url and photo.file_id
    fetched = await download(vk_bot.channel.caller, photo)
    assert fetched == Fetched(Document(photo.file_id.rsplit("_", 1)[0] + ".jpg", picture, "image/jpeg"), len(picture))
    assert len(fake_vk.downloads) == 1  # the largest copy only, not the small ones


async def test_a_clients_document_is_brought_in_by_its_link(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    [doc] = await _sends(vk_bot, 506, [fake_vk.client_doc(506, "Справка о стаже.pdf", PDF)])
    assert (doc.kind, doc.filename, doc.size, doc.mime) == ("document", "Справка о стаже.pdf", len(PDF),
                                                            "application/pdf")
    fetched = await download(vk_bot.channel.caller, doc)
    assert fetched == Fetched(Document("Справка о стаже.pdf", PDF, "application/pdf"), len(PDF))
    assert fake_vk.downloads[0].startswith("/doc506_") and fake_vk.downloads[1].startswith("/files/")  # redirected


async def test_a_file_over_the_limit_stays_in_vk(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    caller = vk_bot.channel.caller
    doc, photo = await _sends(vk_bot, 507, [fake_vk.client_doc(507, "архив.zip", b"z" * 5000),
                                            fake_vk.client_photo(507, sample_image(800, 600))])
    assert await download(caller, doc, limit=4999) == Fetched(None, 5000, too_big=True)
    assert fake_vk.downloads == []  # VK declared the size: not even asked for
    by_length = await download(caller, photo, limit=1000)  # the file server's Content-Length
    assert by_length.too_big and by_length.document is None and by_length.size and by_length.size > 1000
    fake_vk.chunked = True  # no length declared: the reading stops past the limit
    streamed = await download(caller, photo, limit=1000)
    assert streamed.too_big and streamed.document is None
    whole = await download(caller, photo)  # the configured limit, 20 MB unless set otherwise
    assert whole.document is not None and not whole.too_big and caller.config.file_limit == 20 * 1024 * 1024


def test_the_limit_comes_from_the_settings(settings: Settings) -> None:
    vk = settings.model_copy(update={"vk_token": SecretStr("t"), "vk_group_id": 1})
    assert VkConfig.from_settings(vk).file_limit == 20 * 1024 * 1024
    assert VkConfig.from_settings(vk.model_copy(update={"file_max_mb": 5})).file_limit == 5 * 1024 * 1024


async def test_a_passing_failure_is_retried_an_expired_link_is_reported(
        vk_bot: VkBot, fake_vk: FakeVk, caplog: pytest.LogCaptureFixture) -> None:
    caller = vk_bot.channel.caller
    [doc] = await _sends(vk_bot, 508, [fake_vk.client_doc(508, "заявление.pdf", PDF)])
    fake_vk.file_faults.append(503)
    fetched = await download(caller, doc)
    assert fetched.document is not None and fetched.document.content == PDF
    assert "VK file download failed (the file server answered HTTP 503); retrying" in caplog.text
    assert "hash=" not in caplog.text  # links carry access keys: never logged
    fake_vk.file_faults.extend([404] * 5)
    with pytest.raises(VkFileError) as gone:
        await download(caller, doc)
    assert not gone.value.transient and len(fake_vk.file_faults) == 4  # not asked again
    with pytest.raises(VkFileError) as video:
        await download(caller, Attachment("video", "video508_9"))  # VK gives videos no file link
    assert not video.value.transient


async def test_bytes_reach_a_vk_client_as_a_photo_and_a_document(vk_bot: VkBot, fake_vk: FakeVk) -> None:
    caller = vk_bot.channel.caller
    scan = sample_image(900, 700)
    photo = await upload(caller, 509, Document("скан.jpg", scan, "image/jpeg"), "photo")
    doc = await upload(caller, 509, Document("Ответ.pdf", PDF, "application/pdf"))
    assert re.fullmatch(r"photo-77_\d+_\w+", photo) and re.fullmatch(r"doc-77_\d+_\w+", doc)
    await caller.call("messages.send", {"peer_id": 509, "random_id": 3, "attachment": f"{photo},{doc}"})
    [sent] = fake_vk.sent_to(509)
    assert [(m.kind, m.name, m.content) for m in sent.media] == [("photo", "скан.jpg", scan),
                                                                  ("doc", "Ответ.pdf", PDF)]
    assert [(r["kind"], r["fields"]) for r in fake_vk.upload_requests] == [("photo", ["photo"]), ("doc", ["file"])]


async def test_a_file_vk_cannot_keep_as_a_photo_goes_as_a_document(fake_vk: FakeVk, caller: VkCaller) -> None:
    bmp = sample_image(fmt="BMP")
    ref = await upload(caller, 510, Document("скан.bmp", bmp, "image/bmp"), "photo")
    assert ref.startswith("doc-77_") and fake_vk.media[ref.rsplit("_", 1)[0]].content == bmp
    assert fake_vk.calls_of("photos.getMessagesUploadServer") == []


async def test_too_big_for_vk_is_refused_before_any_request(fake_vk: FakeVk, caller: VkCaller) -> None:
    huge = b"\xff\xd8\xff" + bytes(PHOTO_MAX_BYTES)
    with pytest.raises(VkFileError, match="VK takes up to"):
        await upload(caller, 511, Document("огромный.jpg", huge, "image/jpeg"), "photo")
    assert fake_vk.calls == [] and fake_vk.upload_requests == []


async def test_a_document_the_upload_server_refuses_is_an_error(fake_vk: FakeVk, caller: VkCaller) -> None:
    with pytest.raises(VkFileError, match="upload refused") as refused:
        await upload(caller, 512, Document("setup.exe", b"MZ\x90\x00", "application/octet-stream"))
    assert not refused.value.transient and fake_vk.calls_of("docs.save") == []


async def test_the_upload_server_and_the_save_check_what_they_get(fake_vk: FakeVk, caller: VkCaller) -> None:
    session = fake_vk.session()
    server = await caller.call("photos.getMessagesUploadServer", {"peer_id": 513})
    wrong_field = await asyncio.to_thread(session.post, server["upload_url"],
                                          files={"file": ("a.jpg", sample_image(), "image/jpeg")})
    assert "error" in wrong_field.json()  # a photo goes in the field «photo»
    again = await asyncio.to_thread(session.post, server["upload_url"],
                                    files={"photo": ("a.jpg", sample_image(), "image/jpeg")})
    assert "error" in again.json()  # an upload address serves one file
    server = await caller.call("photos.getMessagesUploadServer", {"peer_id": 513})
    not_a_picture = (await asyncio.to_thread(session.post, server["upload_url"],
                                             files={"photo": ("a.jpg", b"\x89PNG fake", "image/png")})).json()
    assert not_a_picture["photo"] == "[]"  # VK takes no photo from it, without an error
    server = await caller.call("photos.getMessagesUploadServer", {"peer_id": 513})
    taken = (await asyncio.to_thread(session.post, server["upload_url"],
                                     files={"photo": ("a.jpg", sample_image(), "image/jpeg")})).json()
    for params, code in [({**taken, "hash": "forged"}, 121), (not_a_picture, 100)]:
        response = await asyncio.to_thread(session.post, f"{API_HOST}/method/photos.saveMessagesPhoto", data={
            **params, "access_token": fake_vk.token, "v": "5.199"})
        assert response.json()["error"]["error_code"] == code
    response = await asyncio.to_thread(session.post, f"{API_HOST}/method/docs.save", data={
        "file": "never-uploaded", "access_token": fake_vk.token, "v": "5.199"})
    assert response.json()["error"]["error_code"] == 100
    assert [c for _, c, _ in fake_vk.refused] == [121, 100, 100]
    fake_vk.refused.clear()


async def test_a_photo_in_an_answer_reaches_the_client(vk_bot: VkBot, fake_vk: FakeVk, app: App,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    """The channel sends a reply's image through the same upload; a broken one leaves a note."""
    caplog.set_level(logging.ERROR, "bot.channels.vk")
    chart = sample_image(fmt="PNG")
    broken = Document("график.png", b"\x89PNG\r\n\x1a\n broken", "image/png")
    assert await app.deliver(Outgoing(Address("vk", "514"), Reply("Ваш график", image=Document("г.png", chart))))
    assert await app.deliver(Outgoing(Address("vk", "514"), Reply("Ещё график", image=broken)))
    first, second = fake_vk.sent_to(514)
    assert [(m.kind, m.content) for m in first.media] == [("photo", chart)]
    assert second.media == [] and "график.png" in second.text and "VK took no photo" in caplog.text

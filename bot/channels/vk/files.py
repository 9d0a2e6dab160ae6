"""Files crossing VK: a client's attachment brought in as bytes, bytes sent out as a VK photo or document.

Download: VK gives each attachment a link (``Attachment.url``: the largest copy of a photo, the
file of a document, whose link redirects to its storage). It is read as a stream and given up
past the limit (``VkConfig.file_limit``, ``FILE_MAX_MB``): a document's declared size and the
server's ``Content-Length`` are checked before reading, so a large file costs neither time nor
memory, and the result says ``too_big``. Network trouble and VK's 5xx are retried like API calls.

Upload, for a message to one peer: ``photos.getMessagesUploadServer`` → POST ``photo`` →
``photos.saveMessagesPhoto``, or ``docs.getMessagesUploadServer`` → POST ``file`` → ``docs.save``;
the result is the attachment string for ``messages.send`` (``photo-1_2_key``). VK keeps photos
in JPG, PNG or GIF up to 50 MB, so any other picture goes as a document (up to 200 MB).

Links and upload addresses carry access keys: they are never logged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import mimetypes
from dataclasses import dataclass
from functools import partial
from typing import Any

import requests

from bot.channels.vk.api_pool import VkCaller, jittered
from handlers.models import Attachment, Document

log = logging.getLogger(__name__)

PHOTO_MAX_BYTES = 50 * 1024 * 1024
DOC_MAX_BYTES = 200 * 1024 * 1024
CHUNK = 64 * 1024
_PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")  # JPG, PNG, GIF


class VkFileError(Exception):
    """A file not brought over; ``transient``: worth another try later (network, VK's 5xx)."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


@dataclass(frozen=True, slots=True)
class Fetched:
    """A client's file from VK: ``document`` holds its bytes, name and type, unless ``too_big``."""

    document: Document | None
    size: int | None  # bytes: counted, or as declared by VK or its file server (None if unknown)
    too_big: bool = False


def is_vk_photo(content: bytes) -> bool:
    """A picture VK keeps as a photo (JPG, PNG, GIF); other files go as documents."""
    return content.startswith(_PHOTO_MAGIC)


# --- download

def _read(session: requests.Session, url: str, limit: int) -> tuple[bytes | None, int | None, str | None]:
    """The body of ``url`` (None past ``limit``), its size and its Content-Type; in a worker thread."""
    try:
        with session.get(url, stream=True) as response:
            status = response.status_code
            if status >= 400:
                raise VkFileError(f"the file server answered HTTP {status}", transient=status >= 500 or status == 429)
            ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip() or None
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                return None, int(declared), ctype
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > limit:
                    return None, None, ctype
            return bytes(body), len(body), ctype
    except requests.RequestException as exc:
        raise VkFileError(f"the file could not be read ({exc.__class__.__name__})", transient=True) from exc


def _name(attachment: Attachment, ctype: str | None) -> tuple[str, str]:
    """A file name and a type for the bytes: the document's own, or from the server for a photo."""
    if attachment.kind == "document" and attachment.mime:
        mime = attachment.mime  # from the document's own name
    elif ctype and ctype != "application/octet-stream":
        mime = ctype
    else:
        mime = attachment.mime or "application/octet-stream"
    if attachment.filename:
        return attachment.filename, mime
    stem = "_".join((attachment.file_id or attachment.kind).split("_")[:2])  # photo-1_2, without the key
    return stem + (mimetypes.guess_extension(mime) or ".bin"), mime


async def _read_retried(caller: VkCaller, url: str, limit: int) -> tuple[bytes | None, int | None, str | None]:
    base, attempts = caller.config.net_retry
    attempt = 0
    while True:
        try:
            return await caller.transfer(partial(_read, url=url, limit=limit))
        except VkFileError as exc:
            attempt += 1
            if not exc.transient or attempt >= attempts:
                raise
            delay = jittered(base, attempt - 1)
            log.warning("VK file download failed (%s); retrying in %.1f s", exc, delay)
            await asyncio.sleep(delay)


async def download(caller: VkCaller, attachment: Attachment, limit: int | None = None) -> Fetched:
    """The bytes of a file a VK client sent, or ``too_big`` past ``limit`` (default: the
    configured ``file_limit``). Raises ``VkFileError`` when VK gives no file (no link: videos,
    stickers; an expired link; the network after the configured retries)."""
    limit = caller.config.file_limit if limit is None else limit
    url = attachment.url
    if not url or not url.startswith(("https://", "http://")):
        raise VkFileError(f"VK gives no file for a {attachment.kind}", transient=False)
    if attachment.size is not None and attachment.size > limit:
        return Fetched(None, attachment.size, too_big=True)
    content, size, ctype = await _read_retried(caller, url, limit)
    if content is None:
        return Fetched(None, size, too_big=True)
    filename, mime = _name(attachment, ctype)
    return Fetched(Document(filename, content, mime), size)


# --- upload

def _post(session: requests.Session, url: str, field: str, doc: Document) -> dict[str, Any]:
    try:
        response = session.post(url, files={field: (doc.filename, doc.content, doc.mime)})
    except requests.RequestException as exc:
        raise VkFileError(f"upload failed ({exc.__class__.__name__})", transient=True) from exc
    if response.status_code >= 400:
        raise VkFileError(f"the upload server answered HTTP {response.status_code}",
                          transient=response.status_code >= 500)
    try:
        result = response.json()
    except ValueError as exc:
        raise VkFileError("the upload server answered no JSON", transient=True) from exc
    if not isinstance(result, dict) or "error" in result:
        raise VkFileError(f"upload refused: {str(result)[:200]}", transient=False)
    return result


def _photo_taken(sent: dict[str, Any]) -> bool:
    """The upload server lists what it took; a file it could not read as a picture gives ``[]``."""
    try:
        return bool(json.loads(sent.get("photo") or "[]"))
    except (TypeError, ValueError):
        return False


async def upload(caller: VkCaller, peer_id: int, document: Document, kind: str = "doc") -> str:
    """Upload ``document`` for a message to ``peer_id`` as a ``"photo"`` (if VK can keep it as
    one) or a ``"doc"``; returns the attachment string for ``messages.send``. Raises
    ``VkFileError`` (too big for VK, refused by the upload server) or ``VkCallError``."""
    kind = "photo" if kind == "photo" and is_vk_photo(document.content) else "doc"
    limit = PHOTO_MAX_BYTES if kind == "photo" else DOC_MAX_BYTES
    if len(document.content) > limit:
        raise VkFileError(f"a {kind} of {len(document.content)} bytes: VK takes up to {limit}", transient=False)
    if kind == "photo":
        server = await caller.call("photos.getMessagesUploadServer", {"peer_id": peer_id})
        sent = await caller.transfer(partial(_post, url=server["upload_url"], field="photo", doc=document))
        if not _photo_taken(sent):
            raise VkFileError("VK took no photo from the file", transient=False)
        saved = (await caller.call("photos.saveMessagesPhoto", {
            "server": sent["server"], "photo": sent["photo"], "hash": sent["hash"]}))[0]
    else:
        server = await caller.call("docs.getMessagesUploadServer", {"peer_id": peer_id, "type": "doc"})
        sent = await caller.transfer(partial(_post, url=server["upload_url"], field="file", doc=document))
        saved = (await caller.call("docs.save", {"file": sent["file"], "title": document.filename}))["doc"]
    key = f"_{saved['access_key']}" if saved.get("access_key") else ""
    return f"{kind}{saved['owner_id']}_{saved['id']}{key}"

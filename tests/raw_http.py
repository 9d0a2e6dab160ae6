"""A request written byte by byte: headers an HTTP client library would refuse to send (bytes that
are no text), as anyone on the network may send them to a webhook."""

from __future__ import annotations

import asyncio


async def raw_post(port: int, path: str, headers: bytes, body: bytes) -> int:
    """POST ``body`` to 127.0.0.1:``port``; ``headers`` are whole lines (``b"Name: value\\r\\n"``).
    Returns the status of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"
                 + headers + b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
    await writer.drain()
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status

"""ASGI middleware refusing a request body over the size limit (413) or JSON nested too deep
(400), as ``{"error": ...}``, before any route reads it."""

from __future__ import annotations

import json
from typing import Any

from ..request_limits import RequestLimits

_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


class BodyLimits:
    def __init__(self, app: Any, limits: RequestLimits) -> None:
        self.app, self.limits = app, limits

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in _BODYLESS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        try:
            declared = int(headers.get(b"content-length", b"0"))
        except ValueError:
            await _refuse(send, 400, "Content-Length is not a number")
            return
        if declared > self.limits.max_body_bytes:
            await _refuse(send, 413, self.limits.too_large())
            return
        chunks, size = [], 0
        while True:  # the declared length may be absent (chunked) or wrong: count what arrives
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                await _refuse(send, 413, self.limits.too_large())
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if b"json" in headers.get(b"content-type", b"") and self.limits.nested_too_deep(body):
            await _refuse(send, 400, self.limits.too_deep())
            return
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if delivered:
                return await receive()  # after the body, the client's disconnect
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Any, status: int, error: str) -> None:
    content = json.dumps({"error": error}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": content})

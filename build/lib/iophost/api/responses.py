"""JSON answers written by orjson, so a stored body placed with :func:`iophost.jsontext.embed`
goes out as the text it was stored as."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from .. import jsontext


class JSONTextResponse(JSONResponse):
    """A JSON answer whose content may hold embedded JSON text (return it as is from a route:
    FastAPI's own encoder would walk the content first)."""

    def render(self, content: Any) -> bytes:
        return jsontext.dumps_bytes(content)


def with_stored_body(row: dict[str, Any]) -> dict[str, Any]:
    """A store row with its body text embedded as JSON (not as a string)."""
    return {**row, "body": jsontext.embed(row["body"])}

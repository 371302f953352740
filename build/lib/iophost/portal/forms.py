"""URL-encoded form posts, read without python-multipart (the portal's forms post no files)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request

FORM_TYPE = "application/x-www-form-urlencoded"


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of an ``application/x-www-form-urlencoded`` body (last value wins); ``{}`` otherwise."""
    if not request.headers.get("content-type", "").startswith(FORM_TYPE):
        return {}
    body = (await request.body()).decode("utf-8", errors="replace")
    return dict(parse_qsl(body, keep_blank_values=True))


FormFields = Annotated[dict[str, str], Depends(form_fields)]

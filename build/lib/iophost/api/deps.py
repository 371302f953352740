"""Shared dependencies of the API routes: the host core and HTTP Basic authentication."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from ..host import Host
from ..origin import refuse_cross_site


async def get_host(request: Request) -> Host:
    return request.app.state.host


async def require_user(request: Request, host: Annotated[Host, Depends(get_host)]) -> str:
    """The user named by a valid ``Authorization: Basic`` header; 401 otherwise. A state-changing
    request from another site (a browser holding the credentials) is refused first, with 403."""
    return authenticated_user(request, host)


def authenticated_user(request: Request, host: Host) -> str:
    """:func:`require_user` for a route that resolves no dependencies (the message route)."""
    refuse_cross_site(request)
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    username = password = ""
    if scheme.lower() == "basic":
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            username = password = ""
    if not username or not host.check_credentials(username, password):
        raise HTTPException(401, "invalid username or password", headers={"WWW-Authenticate": 'Basic realm="iophost"'})
    return username


HostDep = Annotated[Host, Depends(get_host)]

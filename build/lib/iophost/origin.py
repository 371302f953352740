"""Whether a request comes from this server's own pages: the REST API and the portal refuse
state-changing requests from other sites with it."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(request: Request) -> bool:
    """True when the request's ``Origin`` (else ``Referer``) is this server, or neither is sent
    (``iop``, curl and other non-browser clients send neither)."""
    source = request.headers.get("origin") or request.headers.get("referer")
    if not source:
        return True
    if source == "null":
        return False
    parts = urlsplit(source)
    host = request.headers.get("host", "")
    return parts.netloc == host and parts.scheme == request.url.scheme


def refuse_cross_site(request: Request) -> None:
    """403 for a state-changing request from another site, before its credentials are looked at."""
    if request.method not in SAFE_METHODS and not same_origin(request):
        raise HTTPException(403, "cross-site request refused (its Origin or Referer is not this server)")

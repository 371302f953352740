"""The portal's shared state and request dependencies: the host, auth, templates, change store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from ..origin import refuse_cross_site
from .auth import CSRF_FIELD, Identity, PortalAuth, check_state_change
from .host_protocol import PortalHost
from .production_changes import ProductionChanges

PACKAGE_DIR = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=str(PACKAGE_DIR / "templates"))
NO_STORE = "no-store"
templates.env.filters["urlquote"] = lambda value: quote(str(value), safe="")


@dataclass
class PortalContext:
    host: PortalHost
    auth: PortalAuth
    changes: ProductionChanges
    jobs: dict[int, Any] = field(default_factory=dict)


def portal(request: Request) -> PortalContext:
    return request.app.state.iophost_portal


class LoginRequired(HTTPException):
    """A page asked for without a login: 303 to the login form."""

    def __init__(self, request: Request) -> None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        super().__init__(status_code=303, detail="login required",
                         headers={"Location": f"/portal/login?next={quote(target, safe='')}"})


async def page_user(request: Request, ctx: Annotated[PortalContext, Depends(portal)]) -> Identity:
    """The logged-in user of a page; a redirect to the login form otherwise; CSRF-checked posts."""
    refuse_cross_site(request)  # before anything else: SameSite alone does not cover Basic credentials
    identity = ctx.auth.identify(request)
    if identity is None:
        raise LoginRequired(request)
    await check_state_change(ctx.auth, request, identity)
    return identity


async def api_user(request: Request, ctx: Annotated[PortalContext, Depends(portal)]) -> Identity:
    """The caller of a portal JSON endpoint: session cookie or Basic auth, else 401; CSRF-checked."""
    refuse_cross_site(request)  # before anything else: SameSite alone does not cover Basic credentials
    identity = ctx.auth.identify(request)
    if identity is None:
        raise HTTPException(status_code=401, detail="login required",
                            headers={"WWW-Authenticate": 'Basic realm="iophost"'})
    await check_state_change(ctx.auth, request, identity)
    return identity


Ctx = Annotated[PortalContext, Depends(portal)]
PageUser = Annotated[Identity, Depends(page_user)]
ApiUser = Annotated[Identity, Depends(api_user)]


def render(request: Request, ctx: PortalContext, identity: Identity, template: str, status_code: int = 200,
           **values: Any):
    """Render a page with the layout's values (user, CSRF token, production name, flash message)."""
    base = {"request": request, "user": identity.user, "csrf_field": CSRF_FIELD,
            "csrf_token": ctx.auth.csrf_token(identity.session) if identity.session else "",
            "production_name": ctx.host.production.name, "flash": request.query_params.get("done", ""),
            "flash_error": request.query_params.get("error", "")}
    response = templates.TemplateResponse(request, template, {**base, **values}, status_code=status_code)
    response.headers["Cache-Control"] = NO_STORE  # Back after logging out must not show the page
    return response


def error_page(request: Request, status_code: int, detail: str) -> Response:
    """A portal page's error (unknown item, bad URL) as a page, never a raw JSON answer."""
    response = templates.TemplateResponse(request, "error.html", {"status_code": status_code, "detail": detail},
                                          status_code=status_code)
    response.headers["Cache-Control"] = NO_STORE
    return response

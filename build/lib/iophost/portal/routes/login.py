"""Login form and logout: the session cookie is issued only for the host's own credentials."""

from __future__ import annotations

import hmac
import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...origin import same_origin
from ..auth import LOGIN_COOKIE, SESSION_COOKIE
from ..context import Ctx, PageUser, PortalContext, templates
from ..forms import FormFields

router = APIRouter()


def _safe_next(target: str) -> str:
    return target if target.startswith("/") and not target.startswith("//") else "/portal/"


def _login_page(request: Request, ctx: PortalContext, next_url: str, error: str = "", status_code: int = 200):
    nonce = secrets.token_hex(16)
    response = templates.TemplateResponse(request, "login.html", {
        "next": _safe_next(next_url), "error": error, "login_token": ctx.auth.login_token(nonce),
        "production_name": ctx.host.production.name}, status_code=status_code)
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict", path="/portal/login")
    return response


@router.get("/portal/login", response_class=HTMLResponse)
def login_form(request: Request, ctx: Ctx, next: str = "/portal/") -> Response:
    return _login_page(request, ctx, next)


@router.post("/portal/login", response_class=HTMLResponse)
def login(request: Request, ctx: Ctx, form: FormFields) -> Response:
    username, password = form.get("username", ""), form.get("password", "")
    login_token, next = form.get("login_token", ""), form.get("next", "/portal/")
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not same_origin(request) or not nonce or not hmac.compare_digest(login_token, ctx.auth.login_token(nonce)):
        return _login_page(request, ctx, next, "The login form expired or came from another site; try again.", 403)
    if not ctx.host.check_credentials(username, password):
        ctx.host.log("Warning", "portal", f"refused portal login for user {username!r}")
        return _login_page(request, ctx, next, "Wrong username or password.", 401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, ctx.auth.issue_session(username), httponly=True, samesite="strict",
                        path="/", max_age=ctx.auth.max_age_s)
    response.delete_cookie(LOGIN_COOKIE, path="/portal/login")
    return response


@router.post("/portal/logout")
def logout(ctx: Ctx, identity: PageUser) -> Response:
    if identity.session:
        ctx.auth.revoke(identity.session)
    response = RedirectResponse("/portal/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response

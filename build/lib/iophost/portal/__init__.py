"""The management portal of the embedded host: production, Test, Visual Trace, messages, event log,
training, models and data, in the browser. A web layer only: it drives the host core through
:class:`~iophost.portal.host_protocol.PortalHost` and imports no ML code.

Mount it on the host's FastAPI app with ``mount_portal(app, host)``.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from .auth import PortalAuth
from .context import PortalContext, error_page
from .host_protocol import LogQuery, MessageQuery, PortalHost, TestOutcome
from .production_changes import ProductionChanges, apply_changes
from .routes import actions, api, login, pages, static

__all__ = ["LogQuery", "MessageQuery", "PortalHost", "ProductionChanges", "TestOutcome", "apply_changes",
           "mount_portal"]


def mount_portal(app: FastAPI, host: PortalHost, *, changes: ProductionChanges | None = None) -> PortalContext:
    """Serve the portal at ``/portal/`` on ``app``, logging in with the host's credentials."""
    context = PortalContext(host=host, auth=PortalAuth(host.check_credentials),
                            changes=changes or ProductionChanges(host.data_dir))
    app.state.iophost_portal = context
    for module in (static, login, api, actions, pages):
        app.include_router(module.router, include_in_schema=module is api)
    _errors_as_pages(app)
    return context


def _is_page(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/portal") and not path.startswith(api.router.prefix)


def _errors_as_pages(app: FastAPI) -> None:
    """Errors of the portal's pages (not of its JSON API) answered as an HTML page; others as before."""
    previous_http = app.exception_handlers.get(HTTPException, http_exception_handler)
    previous_invalid = app.exception_handlers.get(RequestValidationError, request_validation_exception_handler)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code >= 400 and _is_page(request):
            return error_page(request, exc.status_code, str(exc.detail))
        return await previous_http(request, exc)

    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_page(request):
            problems = "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in exc.errors())
            return error_page(request, 400, f"This address is not valid: {problems}")
        return await previous_invalid(request, exc)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)

"""The host's web layer: IoP's REST API at ``/api/iop`` (and our additions), routing, validation
and auth only; every route calls the host core (:class:`iophost.host.Host`)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

from ..errors import (
    ComponentError,
    DataFolderInUseError,
    HostError,
    InvalidMessageError,
    RefusedMessageError,
    StateError,
    StoreUnavailableError,
    UnknownItemError,
    UnknownProductionError,
)
from ..host import Host
from .body_limits import BodyLimits
from .routes import iop, messages

API_PREFIX = "/api/iop"

#: How each host error reads over HTTP; a component that failed is the server's error, as on IRIS.
_STATUS = {UnknownItemError: 404, UnknownProductionError: 404, InvalidMessageError: 400, StateError: 409,
           DataFolderInUseError: 409, RefusedMessageError: 400, ComponentError: 500, StoreUnavailableError: 503}


def _status_of(exc: HostError) -> int:
    return next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 500)


def create_app(host: Host) -> FastAPI:
    """The FastAPI app serving ``host``: IoP's REST API, OpenAPI docs at ``/docs``."""
    app = FastAPI(title="iophost", summary="IoP's REST API for the embedded local host",
                  version="1.0.0", docs_url="/docs", openapi_url="/openapi.json")
    app.state.host = host
    app.add_middleware(BodyLimits, limits=host.limits)

    @app.exception_handler(HostError)
    async def _host_error(_request: Request, exc: HostError) -> JSONResponse:
        content = {"error": str(exc)}
        if isinstance(exc, ComponentError):
            content["session_id"] = exc.session_id
        return JSONResponse(content, status_code=_status_of(exc))

    # IoP's clients read ``{"error": ...}``; the portal's own routes keep FastAPI's defaults.
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if not request.url.path.startswith(API_PREFIX):
            return await http_exception_handler(request, exc)
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if not request.url.path.startswith(API_PREFIX):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"error": f"invalid request: {problems}"}, status_code=400)

    # Starlette still logs the traceback; IoP's clients read {"error": ...}, never a plain-text 500.
    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(API_PREFIX):
            return PlainTextResponse("Internal Server Error", status_code=500)
        text = host.mask_text(f"{type(exc).__name__}: {exc}")
        return JSONResponse({"error": f"internal error: {text}"}, status_code=500)

    # FastAPI tries routes in declaration order (about 15 µs each on 2 cores): the message route,
    # the one that carries traffic, comes first.
    app.include_router(iop.message_router, prefix=API_PREFIX)
    app.include_router(iop.router, prefix=API_PREFIX)
    app.include_router(messages.router, prefix=API_PREFIX)
    return app

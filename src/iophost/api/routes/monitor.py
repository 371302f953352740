"""``/api/monitor``: Prometheus metrics as IRIS serves them, liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client.exposition import choose_encoder

from ...monitor.readiness import readiness
from ..deps import HostDep, authenticated_user

router = APIRouter(tags=["monitor"])


def _allowed(request: Request, host: HostDep) -> None:
    if request.app.state.monitor_settings.needs_password:
        authenticated_user(request, host)


@router.get("/metrics", response_class=Response)
def metrics(request: Request, host: HostDep) -> Response:
    """Every metric, in the Prometheus text format (OpenMetrics when the scraper asks for it)."""
    _allowed(request, host)
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encoder(request.app.state.metrics_registry), media_type=content_type)


@router.get("/health")
def health(request: Request, host: HostDep) -> dict[str, str]:
    """Liveness: the host answers (restart it when this fails)."""
    _allowed(request, host)
    return {"status": "up", "production": host.production.name, "production_state": host.production_state()}


@router.get("/ready")
def ready(request: Request, host: HostDep) -> JSONResponse:
    """Readiness: 200 once the production runs and every enabled item finished on_init, else 503
    naming the items that are not ready and why."""
    _allowed(request, host)
    answer = readiness(host)
    return JSONResponse(answer.to_dict(), status_code=200 if answer.ready else 503)

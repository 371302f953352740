"""IoP's REST API (``docs/rest-api.md`` of IoP's repository), route for route."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ...errors import InvalidMessageError, failed
from ...host import Host
from ..deps import HostDep, authenticated_user, require_user
from ..responses import JSONTextResponse
from ..schemas import MAX_ID, ComponentBody, DefaultBody, ProductionBody, TestAnswer, TestBody

API_VERSION = "1.0.0"

router = APIRouter(dependencies=[Depends(require_user)], tags=["IoP"])
#: The message route alone, ahead of the others and without FastAPI's dependency and body
#: resolution: it checks the user and reads its body itself (from the client's send to the route,
#: 0.7 ms instead of 0.9 ms on a 2-core machine; docs/serving.md).
message_router = APIRouter(tags=["IoP"])
_TEST_BODY_SCHEMA = {"required": True, "content": {"application/json": {"schema": TestBody.model_json_schema()}}}


@message_router.post("/test", response_model=TestAnswer, openapi_extra={"requestBody": _TEST_BODY_SCHEMA})
async def test(request: Request) -> JSONTextResponse:
    """Send a message to ``target`` and wait for its response, as IRIS's Test action does."""
    host: Host = request.app.state.host
    authenticated_user(request, host)
    body = _test_body(await request.body())
    if not body.classname:
        raise InvalidMessageError("classname is required (module.Class of a Python message)")
    if body.restart:
        await run_in_threadpool(restart_target, host, body)
    # send() commits the request: in a thread, so a busy database never stalls the event loop
    # (asyncio's own pool: anyio's run_in_threadpool took 0.05 ms more per message).
    sent = await asyncio.get_running_loop().run_in_executor(None, host.send, body.target, body.classname, body.body)
    outcome = await asyncio.wrap_future(sent.outcome)
    if outcome.status != "Completed":
        raise failed(outcome.error, sent.session_id, outcome.refused)
    # Built here, not validated against TestAnswer again: this route carries the traffic. The body
    # is the text the worker wrote, as a JSON string (IoP's answer), never decoded on the way.
    return JSONTextResponse({"classname": outcome.response_class, "body": outcome.response_json or "",
                             "truncated": False, "session_id": sent.session_id})


def _test_body(raw: bytes) -> TestBody:
    """The request's JSON as :class:`TestBody`; a malformed one is refused as FastAPI refuses a
    body it validates (400 ``{"error": "invalid request: body...: ..."}``)."""
    try:
        return TestBody.model_validate_json(raw or b"null")
    except ValidationError as exc:
        raise RequestValidationError([{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]) from None


def restart_target(host: Host, body: TestBody) -> None:
    """``"restart": true``: restart the target before sending, once the message is known to fit."""
    host.check_message(body.target, body.classname, body.body)  # a bad message restarts nothing
    host.restart_item(body.target)


@router.get("/version")
def version() -> dict[str, str]:
    return {"version": API_VERSION, "description": "Interoperability Embedded Python Service API (iophost)"}


@router.get("/status")
def status(host: HostDep) -> dict[str, Any]:
    """The production's state, and (beyond IoP) each item's state, start errors and worker pids."""
    return {"production": host.production.name, "status": host.production_state(), "items": host.item_states(),
            "errors": host.item_errors(), "workers": host.worker_pids()}


@router.post("/start")
def start(host: HostDep, body: Annotated[ProductionBody | None, Body()] = None) -> dict[str, str]:
    name = host.start_production(body.production if body else None)
    return {"status": "started", "production": name}


@router.post("/stop")
def stop(host: HostDep) -> dict[str, str]:
    host.stop_production()
    return {"status": "stopped"}


@router.post("/kill")
def kill(host: HostDep) -> dict[str, str]:
    host.kill_production()
    return {"status": "killed"}


@router.post("/restart")
def restart(host: HostDep) -> dict[str, str]:
    host.restart_production()
    return {"status": "restarted"}


@router.post("/update")
def update(host: HostDep) -> dict[str, Any]:
    """Reload ``settings.py``; restart the items whose definition changed."""
    return {"status": "updated", "items": host.update_production()}


@router.get("/list")
def list_productions(host: HostDep) -> dict[str, Any]:
    return host.list_productions()


@router.get("/default")
def get_default(host: HostDep) -> dict[str, str]:
    return {"production": host.get_default()}


@router.put("/default")
def set_default(host: HostDep, body: DefaultBody) -> dict[str, str]:
    host.set_default(body.production)
    return {"production": body.production}


@router.get("/log")
def log(host: HostDep, top: int = Query(10, ge=1, le=10000),
        since_id: int | None = Query(None, ge=0, le=MAX_ID)) -> list[dict[str, Any]]:
    """The newest ``top`` entries (newest first), or those after ``since_id`` (oldest first)."""
    # IRIS leaves an entry's message and session empty, not null (``iop --log`` prints them).
    return [{key: "" if value is None else value for key, value in entry.items()}
            for entry in host.store.log_entries(since_id=since_id, top=top)]


@router.get("/export")
def export(host: HostDep, production: str | None = None) -> dict[str, Any]:
    return host.export(production)


@router.get("/connections")
def connections(host: HostDep, production: str | None = None) -> dict[str, Any]:
    definition = host.production if not production else host.production_named(production)
    targets: dict[str, list[str]] = {}
    for edge in definition.edges:
        targets.setdefault(edge.source_item, []).append(edge.target)
    return {"production": definition.name, "warnings": [],
            "items": [{"item": item.name, "class_name": item.class_name, "connections": targets.get(item.name, []),
                       "warnings": []} for item in definition.items]}


@router.get("/queues")
def queues(host: HostDep, production: str | None = None) -> dict[str, Any]:
    definition = host.production if not production else host.production_named(production)
    states = host.item_states() if definition is host.production else {}
    return {"production": definition.name, "warnings": [],
            "items": [{"item": item.name, "queue_name": item.name, "class_name": item.class_name,
                       "exists": states.get(item.name) in ("running", "starting"), "count": host.backlog(item.name)}
                      for item in definition.items]}


@router.post("/component/start")
def component_start(host: HostDep, body: ComponentBody) -> dict[str, str]:
    return {"status": _started(host.start_item(body.name)), "component": body.name}


@router.post("/component/stop")
def component_stop(host: HostDep, body: ComponentBody) -> dict[str, str]:
    host.stop_item(body.name)
    return {"status": "stopped", "component": body.name}


@router.post("/component/restart")
def component_restart(host: HostDep, body: ComponentBody) -> dict[str, str]:
    _started(host.restart_item(body.name))
    return {"status": "restarted", "component": body.name}


def _started(state: str) -> str:
    return "started" if state == "running" else state  # "starting": on_init still running (a model load)

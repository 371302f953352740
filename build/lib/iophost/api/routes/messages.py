"""Beyond IoP's API: asynchronous test, and read access to stored messages and sessions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query

from ...errors import InvalidMessageError
from ..deps import HostDep, require_user
from ..responses import JSONTextResponse, with_stored_body
from ..schemas import MAX_ID, TestBody
from .iop import restart_target

router = APIRouter(dependencies=[Depends(require_user)], tags=["Messages (iophost)"])


@router.post("/test/async", status_code=202)
def test_async(host: HostDep, body: TestBody) -> dict[str, Any]:
    """Send a message without waiting (a training can take hours); poll ``/sessions/{session_id}``."""
    if not body.classname:
        raise InvalidMessageError("classname is required (module.Class of a Python message)")
    if body.restart:
        restart_target(host, body)
    sent = host.send(body.target, body.classname, body.body, priority="Async")
    return {"session_id": sent.session_id, "message_id": sent.message_id, "status": "Queued"}


@router.get("/messages")
def find_messages(host: HostDep, status: str = "", source: str = "", target: str = "", body_class: str = "",
                  session_id: int | None = Query(None, ge=0, le=MAX_ID), offset: int = Query(0, ge=0),
                  limit: int = Query(50, ge=1, le=1000)) -> JSONTextResponse:
    """Stored messages, newest first (secrets masked), each body as stored."""
    rows, total = host.store.find(status=status, source=source, target=target, body_class=body_class,
                                  session_id=session_id, offset=offset, limit=limit)
    return JSONTextResponse({"total": total, "messages": [with_stored_body(row) for row in rows]})


@router.get("/messages/{message_id}")
def message(host: HostDep, message_id: int = Path(ge=0, le=MAX_ID)) -> JSONTextResponse:
    row = host.store.message(message_id)
    if row is None:
        raise HTTPException(404, f"no message {message_id}")
    return JSONTextResponse(with_stored_body(row))


@router.get("/sessions/{session_id}")
def session(host: HostDep, session_id: int = Path(ge=0, le=MAX_ID)) -> JSONTextResponse:
    """Every message of a session in order: the request, its response, what it led to."""
    rows = host.store.session(session_id)
    if not rows:
        raise HTTPException(404, f"no session {session_id}")
    return JSONTextResponse({"session_id": session_id, "messages": [with_stored_body(row) for row in rows]})

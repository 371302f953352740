"""The portal's JSON endpoints, polled and called by its pages (and usable with Basic auth)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, HTTPException
from fastapi.responses import Response

from ... import jsontext
from ...api.responses import JSONTextResponse
from ...masking import MASKER
from .. import catalog, states
from ..context import ApiUser, Ctx, PortalContext
from ..examples import is_long_request
from ..host_protocol import MessageQuery, TestOutcome
from ..messages import body_images, hide_images, image_bytes, may_hold_images
from ..ml.training_runs import training_view

router = APIRouter(prefix="/portal/api")


@router.get("/status")
def status(ctx: Ctx, _user: ApiUser) -> dict[str, Any]:
    """The production's state, its badge and applicable actions, each item's state and error."""
    return {"production": ctx.host.production.name,
            **states.status(ctx.host.production_state(), ctx.host.item_states(), ctx.host.item_errors())}


@router.post("/test")
def test(target: Annotated[str, Body()], classname: Annotated[str, Body()], ctx: Ctx, _user: ApiUser,
         body: Annotated[dict[str, Any] | None, Body()] = None,
         asynchronous: Annotated[bool | None, Body()] = None) -> JSONTextResponse:
    """Send a test request; long ones (training) run asynchronously and answer with their session."""
    try:
        ctx.host.production.item(target)
    except ValueError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    body = body or {}
    run_async = is_long_request(classname) if asynchronous is None else asynchronous
    try:
        if run_async:
            session_id = ctx.host.test_async(target, classname, body)
            return JSONTextResponse({"session_id": session_id, "asynchronous": True,
                                     "trace_url": f"/portal/trace/{session_id}"})
        outcome = ctx.host.test(target, classname, body)
    except (ValueError, RuntimeError) as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from exc
    trace = f"/portal/trace/{outcome.session_id}" if outcome.session_id is not None else ""
    return JSONTextResponse({"session_id": outcome.session_id, "asynchronous": False, "trace_url": trace,
                             "classname": outcome.response_class, "body": _shown_body(outcome),
                             "images": _image_links(ctx, outcome), "error": outcome.error,
                             "note": _no_answer_note(target, classname) if _no_answer(outcome) else ""})


def _shown_body(outcome: TestOutcome) -> Any:
    """The response as its worker wrote it, secrets masked; decoded only when images must be hidden."""
    if outcome.response_json is None:
        return None
    text = MASKER.mask_json(outcome.response_json)
    return hide_images(jsontext.loads(text)) if may_hold_images(text) else jsontext.embed(text)


def _no_answer(outcome: TestOutcome) -> bool:
    return not outcome.error and outcome.response_json is None and not outcome.response_class


def _no_answer_note(target: str, classname: str) -> str:
    """Why a call answered ``null`` (a class without a handler is refused before: a 400 naming it)."""
    return f"{target} answered nothing (null): its handler for {classname} returned None."


def _image_links(ctx: PortalContext, outcome: TestOutcome) -> list[dict[str, str]]:
    """Links to the images the response carries, served from its stored message."""
    if not may_hold_images(outcome.response_json):
        return []
    fields = [name for name, _ in body_images(outcome.response_body)]
    if not fields or outcome.session_id is None:
        return []
    stored = [m for m in ctx.host.session(outcome.session_id)
              if m.type.lower() == "response" and m.body_class == outcome.response_class]
    if not stored:
        return []
    url = f"/portal/api/messages/{stored[-1].id}/image?field="
    return [{"field": name, "url": url + quote(name, safe="")} for name in fields]


@router.get("/messages")
def messages(ctx: Ctx, _user: ApiUser, status: str = "", source: str = "", target: str = "", body_class: str = "",
             offset: int = 0, limit: int = 50) -> JSONTextResponse:
    found, total = ctx.host.find_messages(MessageQuery(status=status, source=source, target=target,
                                                       body_class=body_class, offset=offset, limit=min(limit, 500)))
    return JSONTextResponse({"total": total, "messages": [m.to_dict() for m in found]})


def _message_or_404(ctx: PortalContext, message_id: int):
    message = ctx.host.message(message_id)
    if message is None:
        raise HTTPException(status_code=404, detail=f"no message {message_id}")
    return message


@router.get("/messages/{message_id}")
def message(message_id: int, ctx: Ctx, _user: ApiUser) -> JSONTextResponse:
    return JSONTextResponse(_message_or_404(ctx, message_id).to_dict())


@router.get("/messages/{message_id}/image")
def message_image(message_id: int, field: str, ctx: Ctx, _user: ApiUser, download: bool = False) -> Response:
    """A PNG drawn by detection/segmentation, from a body field (``field`` as listed in ``images``)."""
    data = image_bytes(_message_or_404(ctx, message_id).body, field)
    if data is None:
        raise HTTPException(status_code=404, detail=f"no image in field {field!r}")
    headers = {"Content-Disposition": f'attachment; filename="message-{message_id}.png"'} if download else {}
    return Response(content=data, media_type="image/png", headers=headers)


@router.get("/sessions/{session_id}")
def session(session_id: int, ctx: Ctx, _user: ApiUser) -> JSONTextResponse:
    found = ctx.host.session(session_id)
    return JSONTextResponse({"session_id": session_id, "messages": [m.to_dict() for m in found], "done": bool(found)
                             and all(m.status in ("Completed", "Error", "Aborted", "Discarded") for m in found)})


@router.get("/log")
def log(ctx: Ctx, _user: ApiUser, since_id: int | None = None, top: int = 100, type: str = "",
        item: str = "") -> list[dict[str, Any]]:
    return [e.to_dict() for e in ctx.host.log_entries(since_id=since_id, top=min(top, 1000), type=type, item=item)]


@router.get("/training")
def training(item: str, ctx: Ctx, _user: ApiUser, session: int | None = None) -> dict[str, Any]:
    """The item's trainings (queued, running, ended) and one run's curves, log and old/new metrics:
    ``session``'s, else the running one, else the last that ended."""
    return training_view(ctx.host, item, session)


@router.get("/examples")
def examples(ctx: Ctx, _user: ApiUser) -> dict[str, Any]:
    return catalog.test_choices(list(ctx.host.production.items))


@router.get("/export")
def export(ctx: Ctx, _user: ApiUser) -> Response:
    return Response(MASKER.mask_text(ctx.host.production.to_python()), media_type="text/x-python")



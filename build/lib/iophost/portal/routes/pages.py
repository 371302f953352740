"""The portal's pages (GET): each gathers what it shows from the host and renders one template."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ...masking import MASKER
from .. import catalog, search, states
from ..context import Ctx, PageUser, PortalContext, render
from ..diagram import production_svg
from ..host_protocol import LogQuery, MessageQuery
from ..ml.data_view import review_summary
from ..ml.models_view import list_models
from ..production_changes import component_classes
from ..trace import sequence_svg

router = APIRouter()
STATUSES = ("Created", "Queued", "Delivered", "Completed", "Error", "Discarded", "Suspended", "Aborted")
LOG_TYPES = ("Assert", "Error", "Warning", "Info", "Trace", "Alert")


def _item_or_404(ctx: PortalContext, name: str):
    try:
        return ctx.host.production.item(name)
    except ValueError as exc:
        raise HTTPException(status_code=404, detail=f"no item named {name!r}") from exc


@router.get("/portal", include_in_schema=False)
def portal_root() -> Response:
    return RedirectResponse("/portal/", status_code=307)


@router.get("/portal/", response_class=HTMLResponse)
def production_page(request: Request, ctx: Ctx, identity: PageUser) -> Response:
    production = ctx.host.production
    current = states.status(ctx.host.production_state(), ctx.host.item_states(), ctx.host.item_errors())
    return render(request, ctx, identity, "production.html", status=current,
                  diagram=production_svg(production, current["items"], current["errors"]), items=production.items,
                  classes=sorted(component_classes(production)))


@router.get("/portal/items/{name}", response_class=HTMLResponse)
def item_page(name: str, request: Request, ctx: Ctx, identity: PageUser) -> Response:
    item = _item_or_404(ctx, name)
    state = ctx.host.item_states().get(name, "stopped")
    return render(request, ctx, identity, "item.html", item=item, state=state,
                  error=ctx.host.item_errors().get(name, ""),
                  actions=states.item_actions(state, ctx.host.production_state() == "running"),
                  percent_settings=catalog.percent_settings_text(item),
                  other_settings=catalog.other_settings_text(item), class_name=catalog.item_class_name(item),
                  tuning=catalog.is_tuning_item(item), log=ctx.host.log_entries(top=10, item=name))


@router.get("/portal/test", response_class=HTMLResponse)
def test_page(request: Request, ctx: Ctx, identity: PageUser, item: str = "", classname: str = "") -> Response:
    items = list(ctx.host.production.items)
    return render(request, ctx, identity, "test.html", items=items, selected=item, selected_class=classname,
                  choices_json=json.dumps(catalog.test_choices(items)))


@router.get("/portal/trace/{session_id}", response_class=HTMLResponse)
def trace_page(session_id: int, request: Request, ctx: Ctx, identity: PageUser) -> Response:
    messages = ctx.host.session(session_id)
    pending = any(m.status not in ("Completed", "Error", "Aborted", "Discarded") for m in messages) or not messages
    return render(request, ctx, identity, "trace.html", session_id=session_id, messages=messages,
                  diagram=sequence_svg(messages, ctx.host.session_log(session_id)), pending=pending)


@router.get("/portal/messages", response_class=HTMLResponse)
def messages_page(request: Request, ctx: Ctx, identity: PageUser, since: str = "", until: str = "", last: str = "",
                  status: str = "", source: str = "", target: str = "", body_class: str = "", text: str = "",
                  sort: str = "newest", size: int = search.DEFAULT_PAGE_SIZE, page: int = 1) -> Response:
    """Messages whose source, target and class contain the given parts and whose body holds ``text``."""
    span = search.window(since=since, until=until, last=last, sort=sort, size=size, page=page)
    query = MessageQuery(since=span.since, until=span.until, status=status, source=source, target=target,
                         body_class=body_class, body_text=text, contains=True, oldest_first=span.oldest_first,
                         offset=span.offset, limit=span.size)
    messages, total = ctx.host.find_messages(query)
    filters = {"since": since, "until": until, "last": last, "status": status, "source": source, "target": target,
               "body_class": body_class, "text": text, "sort": sort, "size": span.size}
    return render(request, ctx, identity, "messages.html", messages=messages, total=total, page=span.page,
                  pages=max(-(-total // span.size), 1), filters=filters, statuses=STATUSES, search=search,
                  items=[item.name for item in ctx.host.production.items])


@router.get("/portal/log", response_class=HTMLResponse)
def log_page(request: Request, ctx: Ctx, identity: PageUser, type: str = "", item: str = "", text: str = "",
             since: str = "", until: str = "", last: str = "", sort: str = "newest",
             size: int = search.DEFAULT_PAGE_SIZE, page: int = 1) -> Response:
    """Event log entries of a type, whose item and text contain the given parts, in a time window."""
    span = search.window(since=since, until=until, last=last, sort=sort, size=size, page=page)
    entries = ctx.host.search_log(LogQuery(since=span.since, until=span.until, type=type, item=item, text=text,
                                           offset=span.offset, limit=span.size + 1, oldest_first=span.oldest_first))
    filters = {"type": type, "item": item, "text": text, "since": since, "until": until, "last": last,
               "sort": sort, "size": span.size}
    live = span.page == 1 and not span.oldest_first and not (until or text or item)
    return render(request, ctx, identity, "log.html", entries=entries[:span.size], more=len(entries) > span.size,
                  page=span.page, filters=filters, types=LOG_TYPES, search=search, live=live,
                  items=[i.name for i in ctx.host.production.items],
                  last_id=max((e.id for e in entries), default=0))


@router.get("/portal/training", response_class=HTMLResponse)
def training_page(request: Request, ctx: Ctx, identity: PageUser, item: str = "",
                  session: int | None = None) -> Response:
    tuning = [i for i in ctx.host.production.items if catalog.is_tuning_item(i)]
    chosen = item or (tuning[0].name if tuning else "")
    rollback = None
    if chosen:
        rollback = catalog.rollback_class(_item_or_404(ctx, chosen))
    return render(request, ctx, identity, "training.html", items=tuning, item=chosen, rollback_class=rollback,
                  session=session)


@router.get("/portal/models", response_class=HTMLResponse)
def models_page(request: Request, ctx: Ctx, identity: PageUser) -> Response:
    roots = dict.fromkeys([str(ctx.host.model_path), *(
        catalog.percent_settings(i).get("path", "") for i in ctx.host.production.items)])
    listing = [(root, *list_models(Path(root))) for root in roots if root and Path(root).is_dir()]
    return render(request, ctx, identity, "models.html", listing=listing)


@router.get("/portal/data", response_class=HTMLResponse)
def data_page(request: Request, ctx: Ctx, identity: PageUser, item: str = "") -> Response:
    """``iris.Review`` as the chosen tuning item reads it (its ``db_url``, else the default database)."""
    tuning = [i for i in ctx.host.production.items if catalog.is_tuning_item(i)]
    chosen = item or (tuning[0].name if tuning else "")
    db_url = catalog.percent_settings(_item_or_404(ctx, chosen)).get("db_url", "") if chosen else ""
    return render(request, ctx, identity, "data.html", summary=review_summary(db_url or None), items=tuning,
                  item=chosen)


@router.get("/portal/export", response_class=HTMLResponse)
def export_page(request: Request, ctx: Ctx, identity: PageUser) -> Response:
    return render(request, ctx, identity, "export.html", python=MASKER.mask_text(ctx.host.production.to_python()))

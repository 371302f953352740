"""Form posts that change the production; each answers with a redirect (303) carrying its outcome."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from ...errors import HostError
from ...masking import MASK, unmask_lines
from ...settings_rule import parse_settings_lines, settings_line_problems
from .. import catalog
from ..context import Ctx, PageUser, PortalContext
from ..diagram import item_url
from ..examples import OVERRIDE_REQUEST
from ..forms import FormFields
from ..production_changes import ChangeError

router = APIRouter()


def _back(url: str, *, done: str = "", error: str = "") -> Response:
    query = urlencode({key: value for key, value in (("done", done), ("error", error)) if value})
    joiner = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{joiner}{query}" if query else url, status_code=303)


#: What an action may fail with; each is shown on the page the action came from.
ACTION_ERRORS = (HostError, ValueError, RuntimeError, KeyError, OSError)


def _run(url: str, done: str, action: Callable[[], object]) -> Response:
    try:
        action()
    except ACTION_ERRORS as exc:
        return _back(url, error=str(exc) or exc.__class__.__name__)
    return _back(url, done=done)


def _settings_of(form: dict[str, str]) -> dict[str, str]:
    """Host settings from the editor's two text areas: ``%settings`` as typed, the others line by line;
    a line the host would misread is refused (nothing saved)."""
    percent, other = form.get("percent_settings", ""), form.get("other_settings", "")
    problems = [f"%settings {problem}" for problem in settings_line_problems(percent)]
    problems += [f"Other settings {problem}" for problem in settings_line_problems(other)]
    if problems:
        raise ChangeError("; ".join(problems))
    return {catalog.PERCENT_SETTINGS: percent.replace("\r", "").strip("\n"), **parse_settings_lines(other)}


def _running(ctx: PortalContext) -> bool:
    return ctx.host.production_state() == "running"


@router.post("/portal/production/{action}")
def production_action(action: str, ctx: Ctx, identity: PageUser) -> Response:
    calls = {"start": ctx.host.start_production, "stop": ctx.host.stop_production,
             "update": ctx.host.update_production}
    if action not in calls:
        return _back("/portal/", error=f"unknown production action {action!r}")
    ctx.host.log("Info", "portal", f"production {action} by {identity.user}")
    return _run("/portal/", f"production {action}: done", calls[action])


def _apply_item_change(ctx: PortalContext, name: str) -> None:
    """Bring a changed item's workers in line with its definition: restart, start or stop it."""
    item = ctx.host.production.item(name)
    enabled = str(item.enabled).lower() not in ("false", "0")
    if not _running(ctx):
        return
    if enabled:
        ctx.host.restart_item(name)
    else:
        ctx.host.stop_item(name)


@router.post("/portal/items/{name}/settings")
def item_settings(name: str, ctx: Ctx, identity: PageUser, form: FormFields) -> Response:
    def save() -> None:
        settings = _settings_of(form)
        current = ctx.host.production.item(name).host_settings
        settings[catalog.PERCENT_SETTINGS] = unmask_lines(settings[catalog.PERCENT_SETTINGS],
                                                          str(current.get(catalog.PERCENT_SETTINGS) or ""))
        settings.update({key: current[key] for key, value in settings.items() if value == MASK and key in current})
        try:
            pool_size = int(form.get("pool_size") or 1)
        except ValueError as exc:
            raise ValueError("Pool size must be a whole number") from exc
        ctx.changes.update_item(ctx.host.production, name, settings=settings, pool_size=pool_size,
                                comment=form.get("comment", ""), enabled=bool(form.get("enabled")))
        ctx.host.log("Info", name, f"settings changed from the portal by {identity.user}; restarting the item")
        _apply_item_change(ctx, name)

    return _run(item_url(name), f"{name}: settings saved and applied", save)


@router.post("/portal/items")
def add_item(ctx: Ctx, identity: PageUser, form: FormFields) -> Response:
    name, classname = form.get("name", "").strip(), form.get("classname", "")
    try:
        ctx.changes.add_item(ctx.host.production, name, classname, _settings_of(form))
    except ACTION_ERRORS as exc:
        return _back("/portal/", error=str(exc))
    ctx.host.log("Info", name, f"item of class {classname} added from the portal by {identity.user}")
    return _run(item_url(name), f"{name}: added", lambda: _running(ctx) and ctx.host.start_item(name))


@router.post("/portal/items/{name}/{action}")
def item_action(name: str, action: str, ctx: Ctx, identity: PageUser) -> Response:
    production = ctx.host.production
    url = item_url(name)

    def enable(value: bool) -> None:
        ctx.changes.update_item(production, name, enabled=value)
        _apply_item_change(ctx, name)

    def remove() -> None:
        if name in ctx.host.item_states() and ctx.host.item_states()[name] == "running":
            ctx.host.stop_item(name)
        ctx.changes.remove_item(production, name)

    calls: dict[str, Callable[[], object]] = {
        "start": lambda: ctx.host.start_item(name), "stop": lambda: ctx.host.stop_item(name),
        "restart": lambda: ctx.host.restart_item(name), "enable": lambda: enable(True),
        "disable": lambda: enable(False), "remove": remove}
    if action not in calls:
        return _back(url, error=f"unknown item action {action!r}")
    ctx.host.log("Info", name, f"{action} from the portal by {identity.user}")
    return _run("/portal/" if action == "remove" else url, f"{name}: {action} done", calls[action])


@router.post("/portal/messages/{message_id}/resend")
def resend(message_id: int, ctx: Ctx, _identity: PageUser) -> Response:
    try:
        session_id = ctx.host.resend(message_id)
    except ACTION_ERRORS as exc:
        return _back("/portal/messages", error=str(exc))
    return _back(f"/portal/trace/{session_id}", done=f"message {message_id} resent")


@router.post("/portal/training/{name}/{action}")
def training_action(name: str, action: str, ctx: Ctx, identity: PageUser) -> Response:
    """Override or Rollback; an answer that promoted nothing (``promoted: false``) is shown as the failure it is."""
    back = f"/portal/training?item={quote(name, safe='')}"
    try:
        item = ctx.host.production.item(name)
    except ValueError as exc:
        return _back(back, error=str(exc))
    classname = OVERRIDE_REQUEST if action == "override" else catalog.rollback_class(item)
    if action not in ("override", "rollback") or not classname:
        return _back(back, error=f"{name} cannot {action}")
    ctx.host.log("Info", name, f"{action} requested from the portal by {identity.user}")
    try:
        outcome = ctx.host.test(name, classname, {})
    except ACTION_ERRORS as exc:
        return _back(back, error=f"{action}: {exc}")
    body = outcome.response_body if isinstance(outcome.response_body, dict) else {}
    if outcome.error or body.get("promoted") is False:
        return _back(back, error=f"{action}: {outcome.error or body.get('text') or 'nothing was done'}")
    return _back(back, done=f"{action}: {body.get('text') or 'done'} (session {outcome.session_id})")

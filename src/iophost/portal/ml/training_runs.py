"""The trainings of one tuning item as the Training page shows them: every run with its state
(queued, running, finished, failed), and one run's curves, log and old/new metrics, never mixed.

A run is one ``TrainRequest`` to the item and its session; its progress is the event log of that
session, its result the ``TrainResponse`` in that session.
"""

from __future__ import annotations

from typing import Any

from ...statuses import MessageStatus
from ..host_protocol import MessageQuery, PortalHost
from ..messages import MessageView
from .training import curves_from_log, evaluation_report, metrics_table

TRAIN_REQUEST = "msg.TrainRequest"
TRAIN_RESPONSE = "msg.TrainResponse"
#: How many runs the page lists, newest first.
RUNS_LISTED = 20


def run_state(request: MessageView, session: list[MessageView]) -> str:
    """``queued`` until a worker takes it, ``running``, then ``finished`` or ``failed``."""
    if any(m.failed for m in session):
        return "failed"
    if any(m.type.lower() == "response" and m.body_class == TRAIN_RESPONSE for m in session):
        return "finished"
    if request.status in (MessageStatus.CREATED, MessageStatus.QUEUED):
        return "queued"
    return "running" if request.status == "Delivered" else "finished"


def _shown(runs: list[dict[str, Any]], session_id: int | None) -> dict[str, Any] | None:
    """The run asked for, else the one running, else the newest that ended, else the newest queued."""
    if session_id is not None:
        return next((run for run in runs if run["session_id"] == session_id), None)
    for wanted in (("running",), ("finished", "failed")):
        found = next((run for run in runs if run["state"] in wanted), None)
        if found is not None:
            return found
    return runs[0] if runs else None


def training_view(host: PortalHost, item: str, session_id: int | None = None) -> dict[str, Any]:
    """The item's runs and the shown run's curves, metrics, evaluation report, log and error."""
    requests, _ = host.find_messages(MessageQuery(target=item, body_class=TRAIN_REQUEST, limit=RUNS_LISTED))
    sessions = {r.session_id: host.session(r.session_id) for r in requests}
    runs = [{"session_id": r.session_id, "message_id": r.id, "state": run_state(r, sessions[r.session_id]),
             "time_created": r.time_created} for r in requests]
    shown = _shown(runs, session_id)
    view: dict[str, Any] = {"item": item, "runs": runs, "session_id": None, "state": "", "error": "",
                            "curves": curves_from_log([]).to_dict(), "metrics": None, "report": None, "log": []}
    if shown is None:
        return view
    session = sessions.get(shown["session_id"]) or host.session(shown["session_id"])
    entries = [e for e in host.session_log(shown["session_id"]) if e.config_name == item]
    response = next((m for m in session if m.body_class == TRAIN_RESPONSE and isinstance(m.body, dict)), None)
    table = metrics_table(response.body) if response is not None else None
    view.update(session_id=shown["session_id"], state=shown["state"],
                error=next((m.error_text or m.status for m in session if m.failed), ""),
                curves=curves_from_log(e.text for e in entries).to_dict(),
                metrics=table.to_dict() if table else None,
                report=evaluation_report(response.body) if response is not None else None,
                log=[e.text for e in entries[-15:]])
    return view

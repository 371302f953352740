"""Visual Trace: one session drawn as an SVG sequence diagram, as IRIS's Visual Trace shows it.

A column per participant (the caller, then each item in order of appearance: BS → BP → BO);
each message is an arrow (requests solid, responses dashed, errors red) labelled with its id
and body class above and its time below (a response: how long after its request), and is a link
the page opens to show the message. The session's event-log lines sit between the arrows at
their item's column, in the order they were written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from .messages import LogEntryView, MessageView

COLUMN_WIDTH = 240
ROW_HEIGHT = 46
LOG_HEIGHT = 22
TOP = 60
LEFT = 30
LOG_CHARS = 70
LOG_CLASSES = {"Error": "error", "Alert": "error", "Assert": "error", "Warning": "warning"}


def participants(messages: Sequence[MessageView]) -> list[str]:
    names: list[str] = []
    for message in messages:
        for name in (message.source, message.target):
            if name and name not in names:
                names.append(name)
    return names


def _short(classname: str) -> str:
    return classname.rpartition(".")[2] or classname


def _when(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def timeline(messages: Sequence[MessageView],
             log: Sequence[LogEntryView] = ()) -> list[MessageView | LogEntryView]:
    """Messages in the order they were sent, each log line after the message it was written
    for and before the first message created after it."""
    ordered = sorted(messages, key=lambda m: m.id)
    position = {message.id: index for index, message in enumerate(ordered)}
    after: dict[int, list[LogEntryView]] = {}
    for entry in sorted(log, key=lambda e: e.id):
        index = position.get(entry.message_id or 0, -1) + 1
        while index < len(ordered) and ordered[index].time_created < entry.time_logged:
            index += 1
        after.setdefault(index - 1, []).append(entry)
    rows: list[MessageView | LogEntryView] = list(after.get(-1, []))
    for index, message in enumerate(ordered):
        rows.append(message)
        rows.extend(after.get(index, []))
    return rows


def _time_label(message: MessageView, by_id: dict[int, MessageView]) -> str:
    created = _when(message.time_created)
    request = by_id.get(message.corresponding_id or 0)
    started = _when(request.time_created) if request is not None else None
    if created is not None and started is not None:
        return f"+{(created - started).total_seconds() * 1000:.0f} ms"
    return message.time_created[11:] if created is not None else ""


def sequence_svg(messages: Sequence[MessageView], log: Sequence[LogEntryView] = ()) -> str:
    """The SVG markup of the session's diagram (empty diagram when there are no messages)."""
    rows = timeline(messages, log)
    names = participants([row for row in rows if isinstance(row, MessageView)]) or ["(no messages)"]
    for row in rows:
        if isinstance(row, LogEntryView) and row.config_name and row.config_name not in names:
            names.append(row.config_name)
    x_of = {name: LEFT + COLUMN_WIDTH // 2 + i * COLUMN_WIDTH for i, name in enumerate(names)}
    by_id = {message.id: message for message in messages}
    heights = [LOG_HEIGHT if isinstance(row, LogEntryView) else ROW_HEIGHT for row in rows]
    width = LEFT * 2 + COLUMN_WIDTH * len(names)
    height = TOP + sum(heights) + ROW_HEIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trace" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="group" aria-label="Visual trace">',
        # userSpaceOnUse: the arrowhead keeps its size when a selected arrow is drawn thicker.
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" '
        'markerWidth="14" markerHeight="14" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke"/></marker></defs>',
    ]
    for name, x in x_of.items():
        parts.append(f'<rect class="participant" x="{x - COLUMN_WIDTH // 2 + 10}" y="10" '
                     f'width="{COLUMN_WIDTH - 20}" height="30" rx="6"/>')
        parts.append(f'<text class="participant-name" x="{x}" y="30" text-anchor="middle">{escape(name)}</text>')
        parts.append(f'<line class="lifeline" x1="{x}" y1="40" x2="{x}" y2="{height - 10}"/>')
    y = TOP
    for row, row_height in zip(rows, heights, strict=True):
        if isinstance(row, LogEntryView):
            column = row.config_name or names[0]
            parts.append(_log_line(row, x_of[column], y + row_height // 2, leftward=column == names[-1]))
        else:
            parts.append(_arrow(row, x_of, names, y + row_height // 2, _time_label(row, by_id)))
        y += row_height
    parts.append("</svg>")
    return "".join(parts)


def _arrow(message: MessageView, x_of: dict[str, int], names: list[str], y: int, when: str) -> str:
    x1, x2 = x_of.get(message.source, x_of[names[0]]), x_of.get(message.target, x_of[names[-1]])
    kind = "response" if message.type.lower() == "response" else "request"
    classes = f"message {kind}" + (" error" if message.failed else "")
    label = f"[{message.id}] {_short(message.body_class) or message.type}"
    if message.failed:
        label += f" ({message.status or 'Error'})"
    if x1 == x2:
        path, text_x, anchor = f"M {x1} {y - 8} h 40 v 16 h -40", x1 + 46, "start"
    else:
        path, text_x, anchor = f"M {x1} {y} L {x2} {y}", (x1 + x2) // 2, "middle"
    tip = f"{message.type} {message.body_class} — {message.status}"
    if message.error_text:
        tip += f": {message.error_text}"
    return (f'<a href="#message-{message.id}" class="{classes}" data-message-id="{message.id}">'
            f'<title>{escape(tip)}</title><path d="{path}" marker-end="url(#arrow)"/>'
            f'<text x="{text_x}" y="{y - 6}" text-anchor="{anchor}">{escape(label)}</text>'
            f'<text class="time" x="{text_x}" y="{y + 14}" text-anchor="{anchor}">{escape(when)}</text></a>')


def _log_line(entry: LogEntryView, x: int, y: int, *, leftward: bool) -> str:
    """A log line from its item's lifeline to the right (to the left in the last column, inside the diagram)."""
    text = entry.text if len(entry.text) <= LOG_CHARS else entry.text[:LOG_CHARS - 1] + "…"
    kind = LOG_CLASSES.get(entry.type, "")
    text_x, anchor = (x - 8, "end") if leftward else (x + 8, "start")
    return (f'<g class="log {kind}" data-log-id="{entry.id}"><title>{escape(entry.time_logged)} {escape(entry.type)} '
            f'{escape(entry.config_name)}: {escape(entry.text)}</title>'
            f'<circle cx="{x}" cy="{y}" r="3"/>'
            f'<text x="{text_x}" y="{y + 4}" text-anchor="{anchor}">{escape(entry.type)}: {escape(text)}</text></g>')

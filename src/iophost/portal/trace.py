"""Visual Trace: one session's messages drawn as an SVG sequence diagram.

Participants are the caller (the first request's source) and the items, left to right in order
of appearance; each message is an arrow (requests solid, responses dashed, errors red), labelled
with its id and body class, and is a link that the page opens to show the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .messages import MessageView

COLUMN_WIDTH = 240
ROW_HEIGHT = 46
TOP = 60
LEFT = 30


def participants(messages: Sequence[MessageView]) -> list[str]:
    names: list[str] = []
    for message in messages:
        for name in (message.source, message.target):
            if name and name not in names:
                names.append(name)
    return names


def _short(classname: str) -> str:
    return classname.rpartition(".")[2] or classname


def sequence_svg(messages: Sequence[MessageView]) -> str:
    """The SVG markup of the session's diagram (empty diagram when there are no messages)."""
    ordered = sorted(messages, key=lambda m: m.id)
    names = participants(ordered) or ["(no messages)"]
    x_of = {name: LEFT + COLUMN_WIDTH // 2 + i * COLUMN_WIDTH for i, name in enumerate(names)}
    width = LEFT * 2 + COLUMN_WIDTH * len(names)
    height = TOP + ROW_HEIGHT * (len(ordered) + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trace" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Visual trace">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke"/></marker></defs>',
    ]
    for name, x in x_of.items():
        parts.append(f'<rect class="participant" x="{x - COLUMN_WIDTH // 2 + 10}" y="10" '
                     f'width="{COLUMN_WIDTH - 20}" height="30" rx="6"/>')
        parts.append(f'<text class="participant-name" x="{x}" y="30" text-anchor="middle">{escape(name)}</text>')
        parts.append(f'<line class="lifeline" x1="{x}" y1="40" x2="{x}" y2="{height - 10}"/>')
    for row, message in enumerate(ordered, start=1):
        y = TOP + row * ROW_HEIGHT - ROW_HEIGHT // 2
        x1, x2 = x_of.get(message.source, x_of[names[0]]), x_of.get(message.target, x_of[names[-1]])
        kind = "response" if message.type.lower() == "response" else "request"
        classes = f"message {kind}" + (" error" if message.failed else "")
        label = f"[{message.id}] {_short(message.body_class) or message.type}"
        if message.failed:
            label += f" ({message.status or 'Error'})"
        if x1 == x2:
            path = f"M {x1} {y - 8} h 40 v 16 h -40"
            text_x = x1 + 46
            anchor = "start"
        else:
            path = f"M {x1} {y} L {x2} {y}"
            text_x = (x1 + x2) // 2
            anchor = "middle"
        parts.append(
            f'<a href="#message-{message.id}" class="{classes}" data-message-id="{message.id}">'
            f'<title>{escape(message.type)} {escape(message.body_class)} — {escape(message.status)}</title>'
            f'<path d="{path}" marker-end="url(#arrow)"/>'
            f'<text x="{text_x}" y="{y - 6}" text-anchor="{anchor}">{escape(label)}</text></a>')
    parts.append("</svg>")
    return "".join(parts)

"""The production diagram: items as boxes in columns (services, processes, operations), coloured
by state, with the production's connections as arrows; each box links to the item's page."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from iop import Production

BOX_W, BOX_H, GAP_X, GAP_Y, PAD = 250, 72, 90, 18, 20
#: Characters of an item's error written on its box (the whole text is its tooltip and on its page).
REASON_CHARS = 38
COLUMNS = ("service", "process", "operation")


def item_url(name: str) -> str:
    return f"/portal/items/{quote(name, safe='')}"


def _reason(error: str) -> str:
    return error if len(error) <= REASON_CHARS else error[:REASON_CHARS - 1] + "…"


def production_svg(production: Production, states: dict[str, str], errors: dict[str, str] | None = None) -> str:
    """SVG markup of the production; each box has ``data-item``, a ``state-<state>`` class and, for an
    item in error, the reason."""
    errors = errors or {}
    columns: dict[str, list] = {kind: [] for kind in COLUMNS}
    for item in production.items:
        columns.get(item.kind if item.kind in columns else "operation", columns["operation"]).append(item)
    used = [kind for kind in COLUMNS if columns[kind]] or ["operation"]
    rows = max((len(columns[kind]) for kind in used), default=1)
    width = PAD * 2 + len(used) * BOX_W + (len(used) - 1) * GAP_X
    height = PAD * 2 + 24 + max(rows, 1) * (BOX_H + GAP_Y)
    where: dict[str, tuple[int, int]] = {}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="production-diagram" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" role="group" aria-label="Production diagram">',
             '<defs><marker id="edge-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto"><path d="M0 0 L10 5 L0 10z"/></marker></defs>']
    for col, kind in enumerate(used):
        x = PAD + col * (BOX_W + GAP_X)
        parts.append(f'<text class="column-title" x="{x + BOX_W // 2}" y="{PAD + 8}" '
                     f'text-anchor="middle">{kind.capitalize()}s</text>')
        for row, item in enumerate(columns[kind]):
            y = PAD + 24 + row * (BOX_H + GAP_Y)
            where[item.name] = (x, y)
            state = states.get(item.name, "stopped")
            short_class = str(item.class_name or "").rpartition(".")[2]
            error = errors.get(item.name, "")
            title = f"{item.name}: {state}" + (f" — {error}" if error else "")
            parts.append(
                f'<a href="{item_url(item.name)}" class="item state-{escape(state)}" data-item="{escape(item.name)}">'
                f'<title class="item-title">{escape(title)}</title>'
                f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8"/>'
                f'<circle class="lamp" cx="{x + 16}" cy="{y + 18}" r="7"/>'
                f'<text class="item-name" x="{x + 30}" y="{y + 23}">{escape(item.name)}</text>'
                f'<text class="item-detail" x="{x + 30}" y="{y + 42}">{escape(short_class)} · '
                f'<tspan class="state-text">{escape(state)}</tspan></text>'
                f'<text class="item-error" x="{x + 30}" y="{y + 60}">{escape(_reason(error))}</text></a>')
    for edge in production.edges:
        if edge.source_item in where and edge.target in where:
            (x1, y1), (x2, y2) = where[edge.source_item], where[edge.target]
            parts.append(f'<path class="edge" d="M {x1 + BOX_W} {y1 + BOX_H // 2} L {x2} {y2 + BOX_H // 2}" '
                         'marker-end="url(#edge-arrow)"/>')
    parts.append("</svg>")
    return "".join(parts)

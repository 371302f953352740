"""Record scrapes of a real local host's ``/api/monitor/metrics`` under traffic, and draw the panels
of ``docs/grafana/iophost-dashboard.json`` from them (Grafana cannot be installed here: this is a
stand-in renderer, not Grafana).

1. ``iophost start`` in a subprocess with three echo items (one slow, so that its queue builds up;
   one batched), sent steady traffic with some failing messages, scraped every ``--every`` s for
   ``--seconds``; the scrapes go to ``test-artifacts/monitoring/scrapes.jsonl`` and a screenshot of
   the portal's Monitor page to ``docs/screenshots/portal-monitor.png``.
2. Each panel's query is evaluated on the recorded scrapes by :func:`evaluate`, which knows the few
   PromQL forms the dashboard uses (a selector, ``sum by``, ``rate``, ``increase``,
   ``histogram_quantile`` over bucket rates, one ratio of rates): rates are differences between
   scrapes ``--window`` apart. The panels are drawn as SVG in Chromium, to
   ``docs/screenshots/monitoring-dashboard.png``.

    .venv/bin/python bench/monitoring_dashboard.py [--seconds 90] [--every 2]
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.checkout import ROOT, use_checkout  # noqa: E402

use_checkout()

import httpx  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from iophost.testing import PASSWORD, HostProcess  # noqa: E402
from support.browser import CHROMIUM  # noqa: E402
from support.host_settings import write_settings  # noqa: E402

DASHBOARD = ROOT / "docs/grafana/iophost-dashboard.json"
SCREENSHOTS = ROOT / "docs/screenshots"
ARTIFACTS = ROOT / "test-artifacts/monitoring"
ECHO = "support.host_components.EchoRequest"
ITEMS = '''
from support.host_components import BatchEchoOperation
from portal_components import TrainingStandIn
production.operation("Echo", EchoOperation)
production.operation("Slow", EchoOperation)
production.operation("Batched", BatchEchoOperation)
production.operation("Tiny gpt2", MLOperation, settings={{"%settings": "name=tiny-gpt2\\npath={models}\\n"
                                                                   "task=text-generation"}})
production.operation("Tuning", TrainingStandIn, settings={{"%settings": "steps=4\\npause=0.5"}})
'''
Series = dict[tuple, list[tuple[float, float]]]  # labels (sorted pairs) -> [(time, value)]


# -- recording -------------------------------------------------------------------------------------
def traffic(host: HostProcess, stop: threading.Event) -> None:
    """Echo messages (one in ten fails), a burst of slow ones now and then, batches of three, a
    text generation by a tiny model now and then, and two trainings (a stand-in that reports energy)."""
    rng = random.Random(27)

    def send(target: str, body: dict, classname: str = ECHO) -> None:
        host.http.post("/test/async", json={"target": target, "classname": classname, "body": body})

    tick = 0
    while not stop.is_set():
        tick += 1
        send("Echo", {"text": "fail" if rng.random() < 0.1 else "hello", "delay": rng.uniform(0.0, 0.05)})
        if tick % 40 == 0:
            for _ in range(rng.randint(4, 12)):
                send("Slow", {"text": "slow", "delay": 0.4})
        if tick % 15 == 0:
            for _ in range(3):
                send("Batched", {"text": "batch"})
        if tick % 10 == 0:
            send("Tiny gpt2", {"text_inputs": "the production", "max_new_tokens": 4}, "msg.MLRequest")
        if tick in (20, 200):
            send("Tuning", {}, "msg.TrainRequest")
        time.sleep(rng.uniform(0.05, 0.2))


def scrape(url: str) -> list[tuple[str, dict[str, str], float]]:
    text = httpx.get(f"{url}/api/monitor/metrics", timeout=10).text
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text) for s in family.samples]


def record(seconds: float, every: float) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="monitoring-") as folder:
        return _record(Path(folder), seconds, every)


def _record(folder: Path, seconds: float, every: float) -> list[dict]:
    import tiny_models

    tiny_models.build_text_generation(folder / "models" / "tiny-gpt2")
    items = ITEMS.format(models=folder / "models")
    host = HostProcess(write_settings(folder / "app", items, name="demo.Production"), folder / "var").start()
    stop = threading.Event()
    sender = threading.Thread(target=traffic, args=(host, stop), daemon=True)
    sender.start()
    scrapes = []
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            scrapes.append({"time": time.time(), "samples": scrape(host.url)})
            if len(scrapes) == int(seconds / every * 0.8):
                monitor_screenshot(host)
            time.sleep(every)
    finally:
        stop.set()
        sender.join(5)
        host.stop()
    return scrapes


def monitor_screenshot(host: HostProcess) -> None:
    from browser import log_in
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = chromium.new_page(viewport={"width": 1280, "height": 560})
        log_in(page, host.url, PASSWORD)
        page.wait_for_url("**/portal/")
        page.goto(f"{host.url}/portal/monitor")
        page.wait_for_selector('tr[data-monitor-item="Echo"] svg.spark rect')
        page.screenshot(path=str(SCREENSHOTS / "portal-monitor.png"), full_page=True)
        chromium.close()


# -- evaluating the dashboard's queries --------------------------------------------------------------
def selected(scrapes: list[dict], name: str, matchers: dict[str, str]) -> Series:
    series: Series = defaultdict(list)
    for scraped in scrapes:
        for sample, labels, value in scraped["samples"]:
            if sample == name and all(labels.get(k) == v for k, v in matchers.items()):
                series[tuple(sorted(labels.items()))].append((scraped["time"], value))
    return series


def rated(series: Series, window: int, *, per_second: bool = True) -> Series:
    out: Series = {}
    for labels, points in series.items():
        out[labels] = [(t, (v - points[i - window][1]) / ((t - points[i - window][0]) if per_second else 1))
                       for i, (t, v) in enumerate(points) if i >= window]
    return out


def summed_by(series: Series, keep: list[str]) -> Series:
    out: Series = defaultdict(lambda: defaultdict(float))
    for labels, points in series.items():
        key = tuple((k, v) for k, v in labels if k in keep)
        for t, v in points:
            out[key][t] += v
    return {key: sorted(points.items()) for key, points in out.items()}


def quantile(q: float, buckets: Series) -> Series:
    """``histogram_quantile``: per time and group, interpolate in the bucket holding rank q."""
    groups: dict[tuple, dict[float, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
    for labels, points in buckets.items():
        le = float(dict(labels)["le"])
        group = tuple((k, v) for k, v in labels if k != "le")
        for t, v in points:
            groups[group][t].append((le, v))
    out: Series = {}
    for group, times in groups.items():
        points = []
        for t, counts in sorted(times.items()):
            counts.sort()
            total = counts[-1][1]
            if total <= 0:
                continue
            rank, lower, below = q * total, 0.0, 0.0
            for le, cumulative in counts:
                if cumulative >= rank:
                    upper = le if le != float("inf") else lower
                    width = cumulative - below
                    points.append((t, lower + (upper - lower) * ((rank - below) / width if width else 1)))
                    break
                lower, below = le, cumulative
        out[group] = points
    return out


SELECTOR = re.compile(r"^(\w+)(?:\{([^}]*)\})?$")


def evaluate(expr: str, scrapes: list[dict], window: int, namespace: str) -> Series:
    """The dashboard's query ``expr`` over the recorded scrapes (only the forms it uses)."""
    expr = expr.replace("$namespace", namespace).replace("[$__rate_interval]", "").replace("[1h]", "").strip()
    if match := re.fullmatch(r"histogram_quantile\(([\d.]+), sum by \(([\w, ]+)\) \(rate\((.+)\)\)\)", expr):
        keep = [k.strip() for k in match.group(2).split(",")]
        return quantile(float(match.group(1)), summed_by(rated(evaluate(match.group(3), scrapes, window, namespace),
                                                               window), keep))
    if match := re.fullmatch(r"sum by \(([\w, ]+)\) \((.+)\)", expr):
        return summed_by(evaluate(match.group(2), scrapes, window, namespace),
                         [k.strip() for k in match.group(1).split(",")])
    if match := re.fullmatch(r"rate\((\w+)\) / rate\((\w+)\)", expr):
        top, bottom = (rated(selected(scrapes, name, {}), window) for name in match.groups())
        return {labels: [(t, a / b) for (t, a), (_, b) in zip(points, bottom[labels], strict=True) if b]
                for labels, points in top.items()}
    if match := re.fullmatch(r"(rate|increase)\((.+)\)", expr):
        return rated(evaluate(match.group(2), scrapes, window, namespace), window,
                     per_second=match.group(1) == "rate")
    match = SELECTOR.fullmatch(expr)
    if match is None:
        raise ValueError(f"the renderer does not know this query form: {expr}")
    matchers = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
    return selected(scrapes, match.group(1), matchers)


# -- drawing ------------------------------------------------------------------------------------------
COLOURS = ["#2459a8", "#b42318", "#17753f", "#8a5300", "#6b3fa0", "#0e7490"]


def legend(template: str, labels: tuple) -> str:
    values = dict(labels)
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), ""), template).strip() or "value"


def chart(lines: list[tuple[str, list[tuple[float, float]]]], start: float, end: float) -> str:
    width, height = 520, 170
    values = [v for _, points in lines for _, v in points]
    top = max(values, default=1.0) * 1.1 or 1.0
    svg = [f'<svg viewBox="0 0 {width} {height + 18}" width="100%">',
           f'<text x="2" y="10" class="axis">{top:.3g}</text><text x="2" y="{height}" class="axis">0</text>']
    for index, (_, points) in enumerate(lines):
        path = " ".join(f"{40 + (t - start) / max(end - start, 1) * (width - 44):.1f},"
                        f"{height - v / top * (height - 14):.1f}" for t, v in points)
        colour = COLOURS[index % len(COLOURS)]
        svg.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" points="{path}"/>')
    svg.append(f'<text x="40" y="{height + 14}" class="axis">-{end - start:.0f} s</text>'
               f'<text x="{width - 30}" y="{height + 14}" class="axis">now</text></svg>')
    keys = "".join(f'<span><i style="background:{COLOURS[i % len(COLOURS)]}"></i>{html.escape(name)}</span>'
                   for i, (name, _) in enumerate(lines))
    return "".join(svg) + f'<div class="keys">{keys}</div>'


def stat(lines: list[tuple[str, list[tuple[float, float]]]]) -> str:
    return "".join(f'<div class="stat"><b>{points[-1][1]:.4g}</b> {html.escape(name)}</div>'
                   for name, points in lines if points) or '<div class="stat">no data</div>'


def table(series: Series) -> str:
    rows = [dict(labels) for labels in series]
    if not rows:
        return "<p>no data</p>"
    columns = [c for c in rows[0] if c != "production"]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(row.get(c, ''))}</td>" for c in columns) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render(scrapes: list[dict], window: int, namespace: str) -> str:
    dashboard = json.loads(DASHBOARD.read_text())
    start, end = scrapes[0]["time"], scrapes[-1]["time"]
    cells = []
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            cells.append(f'<h2 style="grid-column: 1 / -1">{html.escape(panel["title"])}</h2>')
            continue
        lines, raw = [], {}
        for target in panel["targets"]:
            series = evaluate(target["expr"], scrapes, window, namespace)
            raw.update(series)
            lines += [(legend(target.get("legendFormat", ""), labels), points) for labels, points in series.items()
                      if points]
        if panel["type"] == "table":
            content = table(raw)
        else:
            content = chart(lines, start, end) if panel["type"] == "timeseries" else stat(lines)
        cells.append(f'<section style="grid-column: span {panel["gridPos"]["w"]}"><h3>'
                     f'{html.escape(panel["title"])}</h3>{content}</section>')
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ font: 13px system-ui, sans-serif; background: #111217; color: #d8d9da; margin: 12px; }}
main {{ display: grid; grid-template-columns: repeat(24, 1fr); gap: 8px; }}
section {{ background: #181b1f; border: 1px solid #2c3235; border-radius: 3px; padding: 6px 8px; min-width: 0; }}
h1 {{ font-size: 17px; }} h2 {{ font-size: 14px; margin: 8px 0 0; }} h3 {{ font-size: 13px; margin: 0 0 4px; }}
.axis {{ fill: #8e8e8e; font-size: 10px; }} .keys span {{ margin-right: 10px; font-size: 11px; }}
.keys i {{ display: inline-block; width: 10px; height: 3px; margin-right: 4px; vertical-align: middle; }}
.stat {{ font-size: 12px; }} .stat b {{ font-size: 22px; color: #73bf69; }}
table {{ border-collapse: collapse; font-size: 11px; }} td, th {{ border-bottom: 1px solid #2c3235; padding: 2px 6px; }}
</style></head><body><h1>{html.escape(dashboard["title"])} — drawn from {len(scrapes)} recorded scrapes of a local host
by bench/monitoring_dashboard.py (not Grafana)</h1><main>{"".join(cells)}</main></body></html>"""


def draw(page_html: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "dashboard.html").write_text(page_html)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
        page = chromium.new_page(viewport={"width": 1500, "height": 900})
        page.goto((ARTIFACTS / "dashboard.html").as_uri())
        page.screenshot(path=str(SCREENSHOTS / "monitoring-dashboard.png"), full_page=True)
        chromium.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--every", type=float, default=2.0, help="seconds between scrapes")
    parser.add_argument("--window", type=int, default=5, help="scrapes between the two ends of a rate")
    parser.add_argument("--scrapes", type=Path, help="draw from this recording instead of making one")
    args = parser.parse_args()
    path = ARTIFACTS / "scrapes.jsonl"
    if args.scrapes:
        scrapes = [json.loads(line) for line in args.scrapes.read_text().splitlines()]
    else:
        scrapes = record(args.seconds, args.every)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(s) + "\n" for s in scrapes))
    draw(render(scrapes, args.window, "IRISAPP"))
    print(f"{len(scrapes)} scrapes ({path}); {SCREENSHOTS / 'monitoring-dashboard.png'}, "
          f"{SCREENSHOTS / 'portal-monitor.png'}")


if __name__ == "__main__":
    main()

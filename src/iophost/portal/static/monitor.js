// Production Monitor: the items' table from /portal/api/monitor, drawn at once and every 2 s while Live is on.
"use strict";
(() => {
  const body = document.querySelector("#monitor-table tbody"), live = document.getElementById("monitor-live");
  const SVG = "http://www.w3.org/2000/svg", WIDTH = 180, HEIGHT = 28;

  const seconds = (value) => value === null ? "–"
    : value < 1 ? `${(value * 1000).toFixed(value < 0.01 ? 1 : 0)} ms` : `${value.toFixed(value < 10 ? 2 : 0)} s`;

  function sparkline(series, windowSeconds) {
    const total = series.reduce((sum, [done, failed]) => sum + done + failed, 0);
    const errors = series.reduce((sum, [, failed]) => sum + failed, 0);
    const svg = document.createElementNS(SVG, "svg");
    for (const [key, value] of Object.entries({ width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: "spark", role: "img",
      "aria-label": `${total} messages, ${errors} errors, per ${windowSeconds} s over the last 10 minutes` })) {
      svg.setAttribute(key, value);
    }
    const most = Math.max(1, ...series.map(([done, failed]) => done + failed));
    const step = WIDTH / series.length;
    series.forEach(([done, failed], index) => {
      for (const [count, base, kind] of [[done, 0, "done"], [failed, done, "failed"]]) {
        if (!count) continue;
        const bar = document.createElementNS(SVG, "rect");
        const height = Math.max(1, (count / most) * (HEIGHT - 2));
        const bottom = HEIGHT - (base / most) * (HEIGHT - 2);
        for (const [key, value] of Object.entries({ x: index * step, width: Math.max(1, step - 1),
          y: bottom - height, height, class: kind })) bar.setAttribute(key, value);
        svg.append(bar);
      }
    });
    return svg;
  }

  function row(item, windowSeconds) {
    const name = portal.el("td", {}, portal.el("a", { href: `/portal/items/${encodeURIComponent(item.name)}`,
      text: item.name }));
    const state = portal.el("td", {}, portal.el("span", { class: `badge state-${item.state}`, text: item.state }));
    if (item.error) state.append(portal.el("div", { class: "item-error error-text", text: item.error }));
    if (item.restarts) state.append(portal.el("div", { class: "muted", text: `${item.restarts} restart(s)` }));
    const number = (value, extra = "") => portal.el("td", { class: `number ${extra}`, text: String(value) });
    return portal.el("tr", { "data-monitor-item": item.name }, name, state,
      number(item.queued, item.queued ? "busy" : ""), number(item.in_flight), number(item.completed),
      number(item.errors, item.errors ? "error-text" : ""), number(seconds(item.p50)), number(seconds(item.p99)),
      portal.el("td", {}, sparkline(item.series, windowSeconds)));
  }

  function draw(view) {
    body.replaceChildren(...view.items.map((item) => row(item, view.window_seconds)));
    const state = document.getElementById("monitor-state");
    state.textContent = view.state;
    state.className = `badge state-${view.state}`;
    const ready = view.readiness;
    const waiting = Object.entries(ready.not_ready).map(([name, why]) => `${name}: ${why}`).join("; ");
    document.getElementById("monitor-ready").textContent = waiting ? `${ready.status} (${waiting})` : ready.status;
  }

  async function refresh() {
    if (live.checked) {
      try { draw(await portal.api("/portal/api/monitor")); } catch (error) { /* host restarting: keep polling */ }
    }
    setTimeout(refresh, 2000);
  }

  draw(JSON.parse(document.getElementById("monitor-data").textContent));
  setTimeout(refresh, 2000);
})();

// Training: live loss and evaluation curves, the old/new metrics table, energy and CO2.
"use strict";
(() => {
  const status = document.getElementById("training-status");
  const item = status.dataset.item, session = status.dataset.session;
  const COLORS = ["#2459a8", "#d13438", "#1f9d55", "#b7791f", "#7c3aed", "#0e7490"];
  const SVGNS = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function draw(chart, series, xName) {
    const names = Object.keys(series);
    chart.replaceChildren();
    const W = 520, H = 260, L = 48, R = 12, T = 12, B = 46;
    const points = names.flatMap((n) => series[n]);
    if (!points.length) { chart.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "tick" }, "no data yet")); return; }
    let [x0, x1] = [Math.min(...points.map((p) => p[0])), Math.max(...points.map((p) => p[0]))];
    let [y0, y1] = [Math.min(...points.map((p) => p[1])), Math.max(...points.map((p) => p[1]))];
    if (x0 === x1) { x0 -= 1; x1 += 1; } if (y0 === y1) { y0 -= 0.5; y1 += 0.5; }
    const sx = (x) => L + ((x - x0) / (x1 - x0)) * (W - L - R), sy = (y) => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
    chart.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, class: "axis" }),
      svg("line", { x1: L, y1: T, x2: L, y2: H - B, class: "axis" }));
    for (let i = 0; i <= 4; i++) {
      const y = y0 + ((y1 - y0) * i) / 4, x = x0 + ((x1 - x0) * i) / 4;
      chart.append(svg("text", { x: L - 4, y: sy(y) + 3, "text-anchor": "end", class: "tick" }, y.toPrecision(3)),
        svg("text", { x: sx(x), y: H - B + 13, "text-anchor": "middle", class: "tick" }, Number(x.toPrecision(3))));
    }
    chart.append(svg("text", { x: W - R, y: H - B + 26, "text-anchor": "end", class: "tick" }, xName));
    names.forEach((name, i) => {
      const color = COLORS[i % COLORS.length];
      const d = series[name].map((p, j) => `${j ? "L" : "M"} ${sx(p[0]).toFixed(1)} ${sy(p[1]).toFixed(1)}`).join(" ");
      chart.append(svg("path", { d, class: "series", stroke: color, "data-series": name }));
      for (const p of series[name]) chart.append(svg("circle", { cx: sx(p[0]), cy: sy(p[1]), r: 2.5, fill: color }));
      chart.append(svg("text", { x: L + 8 + i * 120, y: H - 6, class: "legend", fill: color }, name));
    });
  }

  const fmt = (v) => (v === null || v === undefined ? "—" : Number(v).toPrecision(4));

  function table(metrics) {
    const body = document.querySelector("#metrics-table tbody");
    const energy = document.getElementById("energy"), info = document.getElementById("training-info");
    if (!metrics) { body.replaceChildren(portal.el("tr", {}, portal.el("td", { colspan: 4, class: "muted", text: "No finished training yet." }))); return; }
    body.replaceChildren(...metrics.rows.map(([name, old, now]) => portal.el("tr", {},
      portal.el("td", { text: name }), portal.el("td", { text: fmt(old) }), portal.el("td", { text: fmt(now) }),
      portal.el("td", { text: old === null || now === null ? "—" : (now - old >= 0 ? "+" : "") + (now - old).toPrecision(3) }))));
    const parts = [];
    if (metrics.energy_kwh !== null) parts.push(`Energy: ${metrics.energy_kwh.toPrecision(3)} kWh`);
    if (metrics.co2_kg !== null) parts.push(`CO2: ${(metrics.co2_kg * 1000).toPrecision(3)} g`);
    if (metrics.precision) parts.push(`Precision: ${metrics.precision}`);
    const tokens = metrics.tokens || {};
    if (tokens.computed && tokens.seed_recipe) {
      parts.push(`Tokens computed: ${tokens.computed.toLocaleString("en")} (the seed's recipe: ${tokens.seed_recipe.toLocaleString("en")})`);
    }
    energy.textContent = parts.join(" · ") || "Energy and CO2: not measured for this training.";
    info.textContent = metrics.info || "";
  }

  // A cell's blue: its share of the true label's rows (0 white, 1 dark); the text is black or white,
  // whichever contrasts more with that blue (WCAG relative luminance).
  function shade(share) {
    const mix = (light, dark) => Math.round(light + (dark - light) * share);
    const rgb = [mix(255, 23), mix(255, 64), mix(255, 130)];
    const linear = rgb.map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; });
    const luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    return { background: `rgb(${rgb.join(",")})`, color: (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? "#000" : "#fff" };
  }

  function heatmap(table, labels, scores) {
    const caption = table.querySelector("caption");
    if (!scores) { table.replaceChildren(caption); return; }
    const head = portal.el("tr", {}, portal.el("th", { scope: "col", text: "true \\ predicted" }),
      ...labels.map((label) => portal.el("th", { scope: "col", text: label })));
    const rows = scores.confusion.map((row, i) => {
      const total = row.reduce((a, b) => a + b, 0);
      return portal.el("tr", {}, portal.el("th", { scope: "row", text: labels[i] }), ...row.map((count, j) => {
        const { background, color } = shade(total ? count / total : 0);
        const share = total ? Math.round((100 * count) / total) : 0;
        const cell = portal.el("td", { class: i === j ? "hit" : "", text: String(count),
          title: `true ${labels[i]}, predicted ${labels[j]}: ${count} of ${total} rows (${share} %)` });
        Object.assign(cell.style, { background, color });
        return cell;
      }));
    });
    table.replaceChildren(caption, portal.el("thead", {}, head), portal.el("tbody", {}, ...rows));
  }

  function evaluation(report) {
    const note = document.getElementById("evaluation-note");
    heatmap(document.getElementById("confusion-old"), report ? report.labels : [], report && report.old);
    heatmap(document.getElementById("confusion-new"), report ? report.labels : [], report && report.new);
    const body = document.querySelector("#per-label tbody");
    if (!report) { note.textContent = "No evaluation report yet."; body.replaceChildren(); return; }
    note.textContent = "Rows: the true label; columns: the label predicted; the darker a cell, the larger its share of the true label's rows; the diagonal (outlined) is right.";
    const pair = (name, i, digits) => ["old", "new"].map((model) => {
      const values = report[model] && report[model][name];
      return values ? (digits ? values[i].toFixed(digits) : String(values[i])) : "—";
    }).join(" → ");
    body.replaceChildren(...report.labels.map((label, i) => portal.el("tr", {}, portal.el("th", { scope: "row", text: label }),
      portal.el("td", { text: String(((report.new || report.old).support || [])[i] ?? "—") }),
      portal.el("td", { text: pair("precision", i, 2) }), portal.el("td", { text: pair("recall", i, 2) }),
      portal.el("td", { text: pair("f1", i, 2) }), portal.el("td", { text: pair("predicted", i, 0) }))));
  }

  function runs(list, shown) {
    const body = document.querySelector("#training-runs tbody");
    if (!list.length) { body.replaceChildren(portal.el("tr", {}, portal.el("td", { colspan: 4, class: "muted", text: "No training yet." }))); return; }
    body.replaceChildren(...list.map((run) => {
      const row = portal.el("tr", { class: `run-${run.state}${run.session_id === shown ? " shown" : ""}`, "data-session": run.session_id },
        portal.el("td", {}, portal.el("a", { href: `/portal/trace/${run.session_id}`, text: `session ${run.session_id}` })),
        portal.el("td", {}, portal.el("span", { class: `badge state-${run.state}`, text: run.state })),
        portal.el("td", { text: run.time_created }),
        portal.el("td", {}, run.session_id === shown ? portal.el("span", { class: "muted", text: "shown" })
          : portal.el("a", { href: `/portal/training?item=${encodeURIComponent(item)}&session=${run.session_id}`, text: "Show" })));
      return row;
    }));
  }

  const WORDS = { queued: "is queued", running: "is running", finished: "finished", failed: "failed" };

  async function refresh() {
    let data;
    const query = `item=${encodeURIComponent(item)}${session ? `&session=${session}` : ""}`;
    try { data = await portal.api(`/portal/api/training?${query}`); } catch (error) {
      status.textContent = error.message; setTimeout(refresh, 3000); return;
    }
    const loss = {}, evals = {};
    for (const [name, points] of Object.entries(data.curves.series)) {
      if (name.endsWith("loss")) loss[name] = points;
      else if (name.startsWith("eval_") || name.includes("accuracy") || name.includes("f1")) evals[name] = points;
    }
    draw(document.getElementById("chart-loss"), loss, data.curves.x);
    draw(document.getElementById("chart-eval"), evals, data.curves.x);
    table(data.metrics);
    evaluation(data.report);
    runs(data.runs, data.session_id);
    document.getElementById("training-log").textContent = data.log.join("\n");
    if (!data.session_id) status.replaceChildren("No training yet.");
    else {
      status.replaceChildren(`Training of session ${data.session_id} ${WORDS[data.state] || data.state}`,
        data.error ? `: ${data.error}` : ".", " ", portal.el("a", { href: `/portal/trace/${data.session_id}`, text: "Visual Trace" }));
    }
    status.className = data.error ? "error-text" : "muted";
    status.dataset.state = data.state;
    const busy = data.runs.some((run) => run.state === "running" || run.state === "queued");
    setTimeout(refresh, busy ? 1500 : 5000);
  }
  refresh();
})();

// Event log: live tail, polling the entries after the last one shown.
"use strict";
(() => {
  const table = document.getElementById("log-table"), live = document.getElementById("log-live");
  if (table.dataset.live !== "1") return;  // an older page, a filtered or sorted view: no tail
  const body = table.querySelector("tbody");
  let lastId = Number(table.dataset.lastId || 0);

  async function tail() {
    if (live.checked) {
      const query = new URLSearchParams({ since_id: lastId, type: table.dataset.type });
      try {
        const entries = await portal.api(`/portal/api/log?${query}`);
        for (const entry of entries) {
          lastId = Math.max(lastId, entry.id);
          const session = entry.session_id
            ? portal.el("a", { href: `/portal/trace/${entry.session_id}`, text: String(entry.session_id) }) : "";
          const row = portal.el("tr", { class: `log-${entry.type.toLowerCase()} new` },
            portal.el("td", { text: String(entry.id) }), portal.el("td", { text: entry.time_logged }),
            portal.el("td", { text: entry.type }), portal.el("td", { text: entry.config_name }),
            portal.el("td", {}, session), portal.el("td", { class: "text", text: entry.text }));
          body.querySelector("td[colspan]")?.parentElement.remove();
          body.prepend(row);
        }
      } catch (error) { /* host restarting: keep polling */ }
    }
    setTimeout(tail, 1500);
  }
  setTimeout(tail, 1500);
})();

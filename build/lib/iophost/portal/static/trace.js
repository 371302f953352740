// Visual Trace (and the Messages page's detail pane): clicking a message shows its header and body, and any image it carries.
"use strict";
(() => {
  const detail = document.getElementById("message-detail");
  const diagram = document.getElementById("trace-diagram");
  const HEADER = ["id", "session_id", "type", "source", "target", "status", "body_class", "priority",
    "time_created", "time_processed", "corresponding_id", "is_error", "error_text"];

  async function show(id) {
    for (const node of document.querySelectorAll("svg.trace .message.selected")) node.classList.remove("selected");
    document.querySelector(`svg.trace .message[data-message-id="${id}"]`)?.classList.add("selected");
    let message;
    try { message = await portal.api(`/portal/api/messages/${id}`); } catch (error) {
      detail.replaceChildren(portal.el("p", { class: "error-text", text: error.message })); return;
    }
    const header = portal.el("dl", { class: "header" });
    for (const key of HEADER) {
      if (message[key] === null || message[key] === "" || message[key] === undefined) continue;
      header.append(portal.el("dt", { text: key }),
        portal.el("dd", { text: String(message[key]), class: key === "error_text" ? "error-text" : "" }));
    }
    const title = portal.el("h2", { text: `Message ${id} · ${message.type}` });
    if (message.failed) title.classList.add("error-text");
    const parts = [title, header];
    for (const image of message.images) {
      const src = `/portal/api/messages/${id}/image?field=${encodeURIComponent(image.field)}`;
      parts.push(portal.el("figure", {},
        portal.el("img", { class: "result", src, alt: `image in ${image.field}` }),
        portal.el("figcaption", {}, portal.el("a", { href: `${src}&download=1`, download: `message-${id}.png`,
          text: `Download ${image.field}` }))));
    }
    const body = structuredClone(message.body);
    for (const image of message.images) hideImage(body, image.field);
    parts.push(portal.el("h3", { text: "Body" }), portal.el("pre", { class: "json", id: "message-body", text: portal.json(body) }));
    detail.replaceChildren(...parts);
  }

  function hideImage(body, field) {
    const keys = field.replace(/\[(\d+)\]/g, ".$1").split(".");
    let node = body;
    for (const key of keys.slice(0, -1)) { if (node == null) return; node = node[key]; }
    const last = keys[keys.length - 1];
    if (node && typeof node[last] === "string") node[last] = `<PNG, ${node[last].length} base64 characters: shown above>`;
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-message-id]");
    if (!link) return;
    event.preventDefault();
    history.replaceState(null, "", `#message-${link.dataset.messageId}`);
    show(link.dataset.messageId);
  });

  const fromHash = location.hash.match(/^#message-(\d+)$/);
  if (fromHash) show(fromHash[1]);
  else {
    const first = document.querySelector("svg.trace .message.response") || document.querySelector("svg.trace .message");
    if (first) show(first.dataset.messageId);
  }
  if (diagram?.dataset.pending === "1") setTimeout(() => location.reload(), 2000);
})();

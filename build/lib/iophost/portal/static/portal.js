// Shared helpers of the portal's pages: CSRF-carrying fetch, JSON rendering, status polling.
"use strict";
const portal = (() => {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  async function api(path, options = {}) {
    const init = { credentials: "same-origin", ...options, headers: { ...(options.headers || {}) } };
    if (init.body !== undefined && typeof init.body !== "string") {
      init.body = JSON.stringify(init.body);
      init.headers["Content-Type"] = "application/json";
    }
    if (init.method && init.method !== "GET") init.headers["X-CSRF-Token"] = csrf();
    const response = await fetch(path, init);
    const type = response.headers.get("content-type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const detail = data && data.detail ? data.detail : data && data.error ? data.error : response.statusText;
      throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
    }
    return data;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (key === "class") node.className = value; else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  }

  const json = (value) => JSON.stringify(value, null, 2);

  function setState(node, state) {
    node.className.baseVal !== undefined
      ? node.setAttribute("class", node.getAttribute("class").replace(/state-\w+/, `state-${state}`))
      : (node.className = node.className.replace(/state-\w+/, `state-${state}`));
  }

  function showItem(name, state, error, actions) {
    for (const node of document.querySelectorAll(`[data-item="${CSS.escape(name)}"]`)) {
      if (node.tagName.toLowerCase() === "tr") {
        const cell = node.querySelector(".state-cell .badge");
        if (cell) { cell.textContent = state; setState(cell, state); }
        const reason = node.querySelector(".item-error");
        if (reason) reason.textContent = error;
      } else {
        setState(node, state);
        const text = node.querySelector(".state-text");
        if (text) text.textContent = state;
        const reason = node.querySelector(".item-error");
        if (reason) reason.textContent = error.length > 38 ? `${error.slice(0, 37)}…` : error;
        const title = node.querySelector("title");
        if (title) title.textContent = `${name}: ${state}${error ? ` — ${error}` : ""}`;
      }
    }
    const page = document.querySelector(`[data-item-page="${CSS.escape(name)}"]`);
    if (page) {
      const badge = document.getElementById("item-state");
      badge.textContent = state; setState(badge, state);
      document.getElementById("item-error").textContent = error;
      for (const [action, enabled] of Object.entries(actions || {})) {
        const button = document.getElementById(`item-${action}`);
        if (button) button.disabled = !enabled;
      }
    }
  }

  // The production's and items' states, every 2 s: badge, diagram, table, and which buttons apply.
  async function pollStatus() {
    try {
      const status = await api("/portal/api/status");
      const badge = document.getElementById("production-state");
      if (badge) { badge.textContent = status.badge.label; setState(badge, status.badge.state); }
      for (const [action, enabled] of Object.entries(status.actions)) {
        const button = document.querySelector(`[data-production-action="${action}"]`);
        if (button) button.disabled = !enabled;
      }
      for (const [name, state] of Object.entries(status.items)) {
        showItem(name, state, status.errors[name] || "", status.item_actions[name]);
      }
    } catch (error) { /* a restart in progress: try again */ }
    setTimeout(pollStatus, 2000);
  }

  // On a phone the navigation is folded behind its Menu button.
  document.addEventListener("click", (event) => {
    const toggle = event.target.closest(".nav-toggle");
    if (!toggle) return;
    const nav = document.getElementById(toggle.getAttribute("aria-controls"));
    toggle.setAttribute("aria-expanded", String(nav.classList.toggle("open")));
  });

  return { api, el, json, pollStatus };
})();

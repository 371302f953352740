// Test page: choose an item and a request class, edit the prefilled JSON, invoke, show the answer.
"use strict";
(() => {
  const choices = JSON.parse(document.getElementById("test-choices").textContent);
  const item = document.getElementById("test-item"), klass = document.getElementById("test-class");
  const body = document.getElementById("test-body"), hint = document.getElementById("test-hint");
  const status = document.getElementById("test-status"), output = document.getElementById("test-response");
  const trace = document.getElementById("test-trace"), images = document.getElementById("test-images");
  const LONG = ["msg.TrainRequest"];

  function fillClasses(preferred) {
    const choice = choices[item.value] || { classes: [], examples: {} };
    klass.replaceChildren(...choice.classes.map((name) => portal.el("option", { text: name })));
    if (preferred && choice.classes.includes(preferred)) klass.value = preferred;
    fillBody();
  }
  function fillBody() {
    const choice = choices[item.value] || { examples: {}, task: "" };
    body.value = portal.json(choice.examples[klass.value] || {});
    hint.textContent = (choice.task ? `task: ${choice.task}. ` : "") +
      (LONG.includes(klass.value) ? "Runs asynchronously: follow it in its trace and on the Training page." : "");
  }
  item.addEventListener("change", () => fillClasses());
  klass.addEventListener("change", fillBody);
  fillClasses(klass.dataset.selected);

  document.getElementById("test-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    let parsed;
    try { parsed = JSON.parse(body.value || "{}"); } catch (error) {
      status.textContent = `The body is not valid JSON: ${error.message}`; status.className = "error-text"; return;
    }
    status.textContent = "Running…"; status.className = "muted"; output.textContent = ""; trace.hidden = true;
    images.replaceChildren();
    try {
      const result = await portal.api("/portal/api/test", { method: "POST",
        body: { target: item.value, classname: klass.value, body: parsed } });
      if (result.trace_url) { trace.href = result.trace_url; trace.hidden = false; }
      if (result.asynchronous) {
        status.textContent = `Sent asynchronously in session ${result.session_id}. `;
        if (klass.value === "msg.TrainRequest") {
          status.append(portal.el("a", { href: `/portal/training?item=${encodeURIComponent(item.value)}`,
            id: "test-training", text: "Watch the training" }));
        }
        trace.textContent = "Follow it in the Visual Trace";
      } else if (result.error) {
        status.textContent = "Error"; status.className = "error-text"; output.textContent = result.error;
        trace.textContent = "Visual Trace";
      } else {
        status.textContent = result.note || `${result.classname} (session ${result.session_id})`;
        if (result.note) status.className = "warning-text";
        output.textContent = portal.json(result.body); trace.textContent = "Visual Trace";
        images.replaceChildren(...result.images.map((image) => portal.el("figure", {},
          portal.el("img", { class: "result", src: image.url, alt: `image in ${image.field}` }),
          portal.el("figcaption", {}, portal.el("a", { href: `${image.url}&download=1`, text: `Download ${image.field}` })))));
      }
    } catch (error) { status.textContent = error.message; status.className = "error-text"; }
  });
})();

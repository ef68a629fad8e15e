// The web UI's only script. Pages work without it; with it, an open timeline (its first page) follows the session
// live: the silo sends an event when the session changes, and the newest rows are fetched and swapped in.
"use strict";
(() => {
  const table = document.querySelector("table[data-live-events]");
  if (!table || !window.EventSource) return;
  const body = table.tBodies[0];
  const status = document.getElementById("live-status");
  const count = document.getElementById("snapshot-count");
  let shown = null;
  let busy = false;
  let again = false;

  // A test for the element that stands where the given one stood (same link or same radio button).
  function same(element) {
    const key = (e) => [e.tagName, e.getAttribute("href"), e.getAttribute("aria-label"), e.name, e.value].join("\n");
    const wanted = key(element);
    return (e) => key(e) === wanted;
  }

  async function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const reply = await fetch(table.dataset.liveRows, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!reply.ok) {
        if (status) status.textContent = reply.status === 401 ? "Live updates stopped: log in again." : "Live updates paused.";
        return;
      }
      const html = await reply.text();
      if (html !== shown) {
        shown = html;
        // Keep what the reader picked for comparing, and the keyboard focus, across the swap.
        const picked = [...body.querySelectorAll("input:checked")].map((i) => [i.name, i.value]);
        const focus = body.contains(document.activeElement) ? same(document.activeElement) : null;
        const template = document.createElement("template");
        template.innerHTML = html;
        body.replaceChildren(template.content);
        for (const [name, value] of picked) {
          const input = [...body.querySelectorAll("input")].find((i) => i.name === name && i.value === value);
          if (input) input.checked = true;
        }
        const refocus = focus && [...body.querySelectorAll("a, input")].find(focus);
        if (refocus) refocus.focus();
      }
      const total = reply.headers.get("X-Snapshot-Count");
      if (count && total && total !== count.dataset.count) {
        count.dataset.count = total;
        count.textContent = Number(total).toLocaleString("en-US") + " snapshots";
        if (status) status.textContent = "Updated: " + total + " snapshots.";
      }
    } catch {
      if (status) status.textContent = "Live updates paused.";
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  }

  const events = new EventSource(table.dataset.liveEvents);
  events.addEventListener("changed", refresh);
  events.addEventListener("error", () => {
    if (status && events.readyState === EventSource.CLOSED) status.textContent = "Live updates stopped: reload the page.";
  });
  window.addEventListener("pagehide", () => events.close());
})();

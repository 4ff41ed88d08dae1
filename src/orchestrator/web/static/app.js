// orchestrator web: keeps the page live. No framework, no build step.
// The server renders every panel; this script only swaps panels when the folder changes,
// adds new event lines from the stream, pages older lines, and copies commands.
"use strict";
(function () {
  const PARTS = ["attention", "queue", "orchestrations", "detail", "events"];
  const MAX_LINES = 2000;  // lines kept on the page; older ones are a click away
  let view = new URLSearchParams(location.search);
  view.delete("token");  // the cookie carries it from here on
  let source = null;
  let refreshing = null;
  let again = false;

  function partUrl(name) { return "part/" + name + "?" + view.toString(); }

  async function refresh(names) {
    if (refreshing) { again = true; return refreshing; }
    refreshing = (async () => {
      try {
        await Promise.all(names.map(async (name) => {
          const response = await fetch(partUrl(name), {cache: "no-store"});
          if (!response.ok) return;
          const html = await response.text();
          const old = document.getElementById(name);
          if (old) old.outerHTML = html;
        }));
      } finally {
        refreshing = null;
        if (again) { again = false; refresh(PARTS.filter((n) => n !== "events")); }
      }
    })();
    return refreshing;
  }

  function eventList() { return document.getElementById("event-list"); }

  function addLines(rows, atTop) {
    const list = eventList();
    if (!list || !rows.length) return;
    const holder = document.createElement("ol");
    holder.innerHTML = rows.join("");
    const items = Array.from(holder.children);
    if (atTop) {
      list.prepend(...items);
      while (list.children.length > MAX_LINES) list.lastElementChild.remove();
    } else {
      list.append(...items);
    }
  }

  function connect() {
    if (source) source.close();
    const list = eventList();
    const state = list ? JSON.parse(list.dataset.stream) : {end: 0};
    const query = new URLSearchParams(view);
    query.set("after", String(state.end));
    source = new EventSource("stream?" + query.toString());
    const live = document.getElementById("live");
    source.onopen = () => { live.textContent = "live"; live.className = "live on"; };
    source.onerror = () => { live.textContent = "reconnecting…"; live.className = "live off"; };
    source.addEventListener("events", (message) => {
      const data = JSON.parse(message.data);
      if (data.rotated) addLines(['<li class="ev note">the events file was replaced or truncated: reading it from its start</li>'], true);
      addLines(data.rows, true);
      if (data.skipped) addLines(['<li class="ev note">' + data.skipped + " more lines came at once: use older lines or the command line</li>"], true);
      const current = eventList();
      if (current) current.dataset.stream = JSON.stringify(Object.assign(JSON.parse(current.dataset.stream), {end: data.end}));
    });
    source.addEventListener("change", () => refresh(PARTS.filter((n) => n !== "events")));
  }

  function navigate(href) {
    const next = new URL(href, location.href).searchParams;
    const eventsChanged = next.get("type") !== view.get("type") || next.get("eorch") !== view.get("eorch");
    view = next;
    history.replaceState(null, "", "?" + view.toString());
    refresh(eventsChanged ? PARTS : PARTS.filter((n) => n !== "events")).then(() => { if (eventsChanged) connect(); });
  }

  document.addEventListener("click", async (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const link = target.closest("a[data-nav]");
    if (link) { event.preventDefault(); navigate(link.getAttribute("href")); return; }
    const copy = target.closest("button.copy");
    if (copy) {
      const text = copy.dataset.copy;
      try { await navigator.clipboard.writeText(text); copy.textContent = "copied"; }
      catch (e) {  // no clipboard (plain http on another host): select the text to copy by hand
        const code = copy.previousElementSibling;
        const range = document.createRange(); range.selectNodeContents(code);
        const selection = getSelection(); selection.removeAllRanges(); selection.addRange(range);
        copy.textContent = "selected";
      }
      setTimeout(() => { copy.textContent = "copy"; }, 1500);
      return;
    }
    if (target.id === "older") {
      const query = new URLSearchParams(view);
      query.set("before", target.dataset.older);
      const response = await fetch("api/events?" + query.toString(), {cache: "no-store"});
      const data = await response.json();
      addLines(data.rows, false);
      if (data.older === null) target.replaceWith(Object.assign(document.createElement("p"), {className: "calm", textContent: "start of the file"}));
      else target.dataset.older = String(data.older);
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || form.id !== "event-filter") return;
    event.preventDefault();
    const next = new URLSearchParams(view);
    for (const name of ["type", "eorch"]) {
      const value = form.elements[name].value.trim();
      if (value) next.set(name, value); else next.delete(name);
    }
    navigate("?" + next.toString());
  });

  connect();
})();

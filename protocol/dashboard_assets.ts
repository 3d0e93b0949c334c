/**
 * The dashboard page: HTML, CSS and script as strings, so `deno compile`
 * carries them in the executable and the page needs no build step and loads
 * nothing from the network. The script opens `/events` and redraws the view
 * on every `view` event; it writes text only through `textContent`, never as
 * HTML, so nothing a peer named (a user, a file) can run in the page.
 */

/** The page. */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dashboard</title>
<link rel="stylesheet" href="/dashboard.css">
</head>
<body>
<header><h1 id="title">dashboard</h1><span id="conn" class="state-down">connecting</span></header>
<p id="summary"></p>
<main id="sections"></main>
<script src="/dashboard.js"></script>
</body>
</html>
`;

/** The style sheet. */
export const DASHBOARD_CSS = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; background: #fafafa; color: #222; }
header { display: flex; align-items: baseline; gap: 1em; }
h1 { font-size: 1.4em; margin: 0; }
h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
table { border-collapse: collapse; background: #fff; min-width: 40em; }
th, td { border: 1px solid #ddd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.empty { color: #777; font-style: italic; }
[class^="state-"] { font-weight: 600; padding: 0 .4em; border-radius: 3px; }
.state-live, .state-connected, .state-done, .state-match, .state-seeding, .state-back, .state-registered { background: #d9f2dc; color: #11561c; }
.state-out, .state-down, .state-refused, .state-failed, .state-mismatch { background: #f8d7d7; color: #8a1111; }
.state-new, .state-connecting, .state-unchecked, .state-downloading, .state-failover { background: #fff1c7; color: #6b5200; }
.state-handed-out { background: #dde8f8; color: #1d3f73; }
.pieces { font-family: ui-monospace, monospace; font-size: 11px; word-break: break-all; max-width: 40em; }
.pieces span { display: inline-block; width: .8em; text-align: center; }
.piece-missing { color: #bbb; }
.piece-flight { background: #fff1c7; }
.legend { color: #555; font-size: 12px; }
`;

/** The script: opens the event stream and draws each view it receives. */
export const DASHBOARD_JS = `"use strict";
const PEER_COLOURS = ["#b6e3b6", "#b6d4f0", "#f0d2b6", "#e0b6f0", "#f0b6c8", "#c8f0b6"];
function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}
function cell(value) {
  const td = el("td");
  if (typeof value === "number") { td.textContent = String(value); td.className = "num"; }
  else if (typeof value === "string") td.textContent = value;
  else if (value && typeof value.state === "string") {
    const badge = el("span", value.state, "state-" + value.state.replace(/[^a-z-]/g, ""));
    td.append(badge);
  } else if (value && typeof value.pieces === "string") {
    const map = el("div", undefined, "pieces");
    for (const ch of value.pieces) {
      const span = el("span", ch === "." ? "·" : ch === "~" ? "~" : ch);
      if (ch === ".") span.className = "piece-missing";
      else if (ch === "~") span.className = "piece-flight";
      else span.style.background = PEER_COLOURS[(ch.charCodeAt(0) - 97) % PEER_COLOURS.length];
      map.append(span);
    }
    td.append(map);
    const peers = (value.peers || []).map((p, i) => String.fromCharCode(97 + i) + " = " + p);
    td.append(el("div", "· missing, ~ in flight" + (peers.length ? ", " + peers.join(", ") : ""), "legend"));
  }
  return td;
}
function draw(view) {
  document.title = view.title;
  document.getElementById("title").textContent = view.title;
  document.getElementById("summary").textContent = view.summary;
  const main = document.getElementById("sections");
  const parts = [];
  for (const section of view.sections) {
    const box = el("section");
    box.dataset.title = section.title;
    box.append(el("h2", section.title));
    if (section.rows.length === 0) { box.append(el("p", section.empty || "none", "empty")); parts.push(box); continue; }
    const table = el("table");
    const head = el("tr");
    for (const column of section.columns) head.append(el("th", column));
    table.append(head);
    for (const row of section.rows) {
      const tr = el("tr");
      for (const value of row) tr.append(cell(value));
      table.append(tr);
    }
    box.append(table);
    parts.push(box);
  }
  main.replaceChildren(...parts);
}
function connect() {
  const conn = document.getElementById("conn");
  const source = new EventSource("/events");
  source.addEventListener("view", (event) => {
    conn.textContent = "live";
    conn.className = "state-live";
    draw(JSON.parse(event.data));
  });
  source.onerror = () => { conn.textContent = "reconnecting"; conn.className = "state-down"; };
}
connect();
`;

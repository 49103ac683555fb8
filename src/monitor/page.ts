/**
 * The monitor's page: one self-contained HTML document (no external assets, no framework). It
 * loads `/api/snapshot`, then applies the server-sent `diff` events of `/api/events`, and
 * recomputes ages from the epoch timestamps every half second. The token comes from its own URL
 * and goes back in the `X-Monitor-Token` header (cancel) or the query (the event stream).
 */
export const PAGE_HTML = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>asyncio-ts monitor</title>
<style>
  :root { --bg:#f7f7f5; --panel:#fff; --ink:#1d2327; --muted:#6b7280; --line:#e3e3df; --accent:#2563eb;
          --wait:#b45309; --run:#047857; --cancel:#b91c1c; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
  * { box-sizing: border-box; }
  body { margin:0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--ink); background:var(--bg); }
  header { display:flex; gap:16px; align-items:baseline; padding:10px 16px; background:#111827; color:#f9fafb; }
  header h1 { font-size:16px; margin:0; font-weight:600; }
  header .meta { color:#9ca3af; font-size:12px; font-family:var(--mono); }
  header .conn { margin-left:auto; font-size:12px; }
  .dot { display:inline-block; width:8px; height:8px; border-radius:50%; background:#9ca3af; margin-right:6px; }
  .dot.live { background:#22c55e; } .dot.down { background:#ef4444; } .dot.stuck { background:#f59e0b; }
  #banner { display:none; padding:10px 16px; background:#b91c1c; color:#fff; font-weight:600; }
  #banner.on { display:block; }
  #warnings { margin:0; padding:0; list-style:none; }
  #warnings li { padding:6px 16px; background:#fef3c7; border-bottom:1px solid #fde68a; color:#78350f; font-size:13px; }
  main { display:grid; grid-template-columns: minmax(0, 3fr) minmax(320px, 2fr); gap:12px; padding:12px; }
  section { background:var(--panel); border:1px solid var(--line); border-radius:6px; padding:10px 12px; margin-bottom:12px; }
  section h2 { font-size:13px; text-transform:uppercase; letter-spacing:.04em; color:var(--muted); margin:0 0 8px; display:flex; gap:8px; align-items:center; }
  .tools { display:flex; gap:8px; margin-bottom:8px; flex-wrap:wrap; }
  .tools input, .tools select, button { font:inherit; font-size:13px; padding:3px 8px; border:1px solid var(--line); border-radius:4px; background:#fff; }
  .tools input { flex:1; min-width:160px; }
  button { cursor:pointer; } button:hover { border-color:var(--accent); }
  .task { border-top:1px solid var(--line); }
  .row { display:grid; grid-template-columns: 18px minmax(120px, 1.2fr) 86px 62px minmax(0, 3fr) 64px; gap:8px; align-items:center; padding:4px 0; }
  .toggle { cursor:pointer; color:var(--muted); user-select:none; text-align:center; }
  .task-name { font-weight:600; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; cursor:pointer; }
  .task-name small { color:var(--muted); font-weight:400; margin-left:4px; }
  .state { font-size:12px; font-weight:600; padding:1px 6px; border-radius:10px; text-align:center; }
  .state.waiting { background:#fef3c7; color:var(--wait); } .state.running { background:#d1fae5; color:var(--run); }
  .state.cancelling { background:#fee2e2; color:var(--cancel); }
  .age { font-family:var(--mono); font-size:12px; color:var(--muted); text-align:right; }
  .task-await { font-family:var(--mono); font-size:12px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; }
  .task-await .for { color:var(--muted); }
  .cancel { color:var(--cancel); font-size:12px; padding:1px 6px; }
  .details { display:none; margin:0 0 6px 26px; padding:6px 8px; background:#f9fafb; border-radius:4px; font-family:var(--mono); font-size:12px; white-space:pre-wrap; color:#374151; }
  .details.open { display:block; }
  .children { margin-left:18px; border-left:1px dashed var(--line); padding-left:6px; }
  .children.collapsed { display:none; }
  .empty { color:var(--muted); font-style:italic; padding:6px 0; }
  table { width:100%; border-collapse:collapse; font-size:12px; }
  th, td { text-align:left; padding:3px 4px; border-bottom:1px solid var(--line); vertical-align:top; }
  th { color:var(--muted); font-weight:500; }
  .prim { padding:6px 0; border-bottom:1px solid var(--line); }
  .prim:last-child { border-bottom:0; }
  .prim .label { font-family:var(--mono); font-size:12px; }
  .prim ol { margin:4px 0 0; padding-left:22px; font-size:12px; }
  .prim .holder { font-size:12px; color:var(--muted); }
  #lagchart { width:100%; height:110px; display:block; }
  .lagnums { display:flex; gap:14px; font-family:var(--mono); font-size:12px; margin-top:4px; }
  .p50 { color:var(--accent); } .p99 { color:#dc2626; }
  #slow li { font-family:var(--mono); font-size:12px; padding:2px 0; }
  #slow { margin:0; padding-left:26px; max-height:180px; overflow:auto; }
  #toast { position:fixed; bottom:16px; right:16px; background:#111827; color:#fff; padding:8px 12px; border-radius:6px; display:none; font-size:13px; }
  #toast.on { display:block; }
</style>
</head>
<body>
<header>
  <h1>asyncio-ts monitor</h1>
  <span class="meta" id="meta"></span>
  <span class="conn"><span class="dot" id="dot"></span><span id="conn">connecting…</span></span>
</header>
<div id="banner" role="alert"></div>
<ul id="warnings"></ul>
<main>
  <div>
    <section id="tasks-panel">
      <h2>Tasks <span id="count"></span></h2>
      <div class="tools">
        <input id="filter" type="search" placeholder="filter by name or what it awaits" aria-label="filter tasks">
        <select id="state" aria-label="state filter">
          <option value="">all states</option><option value="waiting">waiting</option>
          <option value="running">running</option><option value="cancelling">cancelling</option>
        </select>
        <button id="expand" type="button">expand all</button>
        <button id="collapse" type="button">collapse all</button>
      </div>
      <div id="tree"></div>
    </section>
  </div>
  <div>
    <section>
      <h2>Loop lag</h2>
      <svg id="lagchart" viewBox="0 0 300 110" preserveAspectRatio="none" aria-label="event loop delay, last minute"></svg>
      <div class="lagnums"><span>last minute, per second:</span><span class="p50" id="p50">p50 –</span><span class="p99" id="p99">p99 –</span><span id="max">max –</span></div>
    </section>
    <section>
      <h2>Slow callbacks and blocked stretches</h2>
      <ol id="slow"></ol>
    </section>
    <section>
      <h2>Locks, events, queues…</h2>
      <div id="prims"></div>
    </section>
    <section>
      <h2>Executors</h2>
      <div id="execs"></div>
    </section>
  </div>
</main>
<div id="toast"></div>
<script>
"use strict";
(function () {
  var token = new URLSearchParams(location.search).get("token") || "";
  var state = null;               // the latest MonitorSnapshot, kept up to date by diffs
  var collapsed = new Set();      // task ids whose children are hidden
  var open = new Set();           // task ids whose details are shown
  var offset = 0;                 // server clock minus ours (ms)
  var blocked = 0;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function now() { return Date.now() + offset; }
  function secs(ms) {
    var s = ms / 1000;
    if (s < 10) return s.toFixed(1) + "s";
    if (s < 120) return Math.round(s) + "s";
    if (s < 7200) return Math.floor(s / 60) + "m" + String(Math.round(s % 60)).padStart(2, "0") + "s";
    return (s / 3600).toFixed(1) + "h";
  }
  function fmtLag(v) { return v < 0.001 ? (v * 1e6).toFixed(0) + "µs" : (v * 1000).toFixed(1) + "ms"; }
  function toast(text) {
    var t = $("toast"); t.textContent = text; t.classList.add("on");
    clearTimeout(toast.timer); toast.timer = setTimeout(function () { t.classList.remove("on"); }, 2500);
  }
  function taskName(id) {
    if (id === null || id === undefined) return "(no task)";
    var t = state && state.tasks.find(function (x) { return x.id === id; });
    return t ? t.name + " #" + id : "#" + id;
  }

  function waitText(w) {
    var text = w.text;
    if (w.deadline !== undefined) text = w.op + " (" + Math.max(0, (w.deadline - now()) / 1000).toFixed(1) + "s left)";
    return text;
  }

  function matches(t, q, st) {
    if (st && t.state !== st) return false;
    if (!q) return true;
    var hay = (t.name + " #" + t.id + " " + t.waits.map(function (w) { return w.text; }).join(" ")).toLowerCase();
    return hay.indexOf(q) >= 0;
  }

  function renderTasks() {
    var tree = $("tree");
    var q = $("filter").value.trim().toLowerCase();
    var st = $("state").value;
    var byParent = new Map();
    var ids = new Set(state.tasks.map(function (t) { return t.id; }));
    state.tasks.forEach(function (t) {
      var p = t.parent !== null && ids.has(t.parent) ? t.parent : null;
      if (!byParent.has(p)) byParent.set(p, []);
      byParent.get(p).push(t);
    });
    // A task is shown if it or a descendant matches the filters.
    var shown = new Map();
    function visible(t) {
      if (shown.has(t.id)) return shown.get(t.id);
      var v = matches(t, q, st);
      (byParent.get(t.id) || []).forEach(function (c) { if (visible(c)) v = true; });
      shown.set(t.id, v);
      return v;
    }
    var frag = document.createDocumentFragment();
    function add(t, into) {
      if (!visible(t)) return;
      var box = el("div", "task");
      box.dataset.taskId = String(t.id);
      box.dataset.name = t.name;
      box.dataset.state = t.state;
      var row = el("div", "row");
      var kids = byParent.get(t.id) || [];
      var toggle = el("span", "toggle", kids.length ? (collapsed.has(t.id) ? "▸" : "▾") : "");
      toggle.title = kids.length ? "expand / collapse" : "";
      toggle.onclick = function () { if (collapsed.has(t.id)) collapsed.delete(t.id); else collapsed.add(t.id); renderTasks(); };
      var name = el("span", "task-name", t.name);
      name.appendChild(el("small", "", "#" + t.id));
      name.title = "show creation site and await stack";
      name.onclick = function () { if (open.has(t.id)) open.delete(t.id); else open.add(t.id); renderTasks(); };
      var stateBadge = el("span", "state " + t.state, t.state + (t.cancelling > 1 ? " ×" + t.cancelling : ""));
      var age = el("span", "age", t.created !== undefined ? secs(now() - t.created) : "–");
      age.title = "age";
      var aw = el("span", "task-await");
      if (t.waits.length === 0) aw.textContent = t.state === "running" ? "running, or awaiting a foreign promise" : "";
      t.waits.forEach(function (w, i) {
        if (i > 0) aw.appendChild(document.createTextNode(", "));
        aw.appendChild(document.createTextNode(waitText(w)));
        if (w.since !== undefined) aw.appendChild(el("span", "for", " for " + secs(now() - w.since)));
      });
      aw.title = aw.textContent;
      var btn = el("button", "cancel", "cancel");
      btn.type = "button";
      btn.title = "task.cancel()";
      btn.onclick = function () { cancelTask(t.id, t.name); };
      [toggle, name, stateBadge, age, aw, btn].forEach(function (c) { row.appendChild(c); });
      box.appendChild(row);
      var det = el("div", "details" + (open.has(t.id) ? " open" : ""));
      det.textContent = "created " + (t.site || "(creation sites are recorded in debug mode)") + "\n" +
        (t.stack.length ? t.stack.map(function (l) { return "  " + l; }).join("\n") : "  (no await stack)");
      box.appendChild(det);
      if (kids.length) {
        var c = el("div", "children" + (collapsed.has(t.id) ? " collapsed" : ""));
        kids.forEach(function (k) { add(k, c); });
        box.appendChild(c);
      }
      into.appendChild(box);
    }
    (byParent.get(null) || []).forEach(function (t) { add(t, frag); });
    tree.replaceChildren(frag);
    if (!tree.firstChild) tree.appendChild(el("div", "empty", state.tasks.length ? "no task matches" : "no pending tasks"));
    $("count").textContent = "(" + state.tasks.length + (state.truncated ? " + " + state.truncated + " not shown" : "") + ")";
  }

  function renderSide() {
    var prims = $("prims");
    prims.replaceChildren();
    if (!state.primitives.length) prims.appendChild(el("div", "empty", "none waited on or held"));
    state.primitives.forEach(function (p) {
      var d = el("div", "prim");
      d.dataset.kind = p.kind;
      d.appendChild(el("div", "label", p.label));
      if (p.holder) d.appendChild(el("div", "holder", "held by " + taskName(p.holder.task) + " for " + secs(now() - p.holder.since)));
      if (p.waiters.length) {
        var ol = el("ol");
        p.waiters.forEach(function (w) {
          ol.appendChild(el("li", "", taskName(w.task) + (w.queue !== "waiters" ? " (" + w.queue + ")" : "") + (w.since !== undefined ? " for " + secs(now() - w.since) : "")));
        });
        d.appendChild(ol);
      }
      prims.appendChild(d);
    });
    var ex = $("execs");
    ex.replaceChildren();
    if (!state.executors.length) ex.appendChild(el("div", "empty", "no executor jobs awaited yet"));
    else {
      var table = el("table");
      var head = el("tr");
      ["pool", "max", "workers", "busy", "queued"].forEach(function (h) { head.appendChild(el("th", "", h)); });
      table.appendChild(head);
      state.executors.forEach(function (e) {
        var tr = el("tr");
        [e.kind + " #" + e.id + (e.shutdown ? " (shut down)" : ""), e.maxWorkers, e.workers, e.busy, e.queued].forEach(function (v) { tr.appendChild(el("td", "", String(v))); });
        table.appendChild(tr);
      });
      ex.appendChild(table);
    }
    var slow = $("slow");
    slow.replaceChildren();
    if (!state.slow.length) slow.appendChild(el("div", "empty", "none yet"));
    state.slow.slice().reverse().forEach(function (s) {
      slow.appendChild(el("li", "", new Date(s.at).toLocaleTimeString() + "  " + s.message));
    });
    var w = $("warnings");
    w.replaceChildren();
    state.warnings.forEach(function (x) { var li = el("li", "", "warning: " + x.message); li.dataset.kind = x.kind; w.appendChild(li); });
    renderLag();
  }

  function renderLag() {
    var svg = $("lagchart");
    var lag = state.lag;
    var W = 300, H = 110;
    var top = 0.005;
    lag.forEach(function (s) { if (s.p99 > top) top = s.p99; });
    top *= 1.15;
    function line(key, color) {
      if (!lag.length) return "";
      var pts = lag.map(function (s, i) {
        var x = lag.length === 1 ? W : (i / (lag.length - 1)) * W;
        var y = H - (s[key] / top) * (H - 12);
        return x.toFixed(1) + "," + y.toFixed(1);
      }).join(" ");
      return '<polyline fill="none" stroke="' + color + '" stroke-width="1.5" points="' + pts + '"/>';
    }
    svg.innerHTML = '<rect width="300" height="110" fill="#fafafa"/>' +
      '<text x="4" y="11" font-size="9" fill="#6b7280">' + fmtLag(top) + '</text>' +
      line("p50", "#2563eb") + line("p99", "#dc2626");
    var last = lag[lag.length - 1];
    $("p50").textContent = "p50 " + (last ? fmtLag(last.p50) : "–");
    $("p99").textContent = "p99 " + (last ? fmtLag(last.p99) : "–");
    $("max").textContent = "max " + (last ? fmtLag(last.max) : "–");
  }

  function renderBanner() {
    var b = $("banner");
    if (blocked > 0) {
      b.textContent = "BLOCKED — the event loop is blocked: no answer from the main thread for " + blocked.toFixed(1) + " s (the data below is its last known state)";
      b.classList.add("on");
    } else b.classList.remove("on");
  }

  function render() {
    if (!state) return;
    $("meta").textContent = "pid " + state.pid + " · " + state.title + " · up " + secs(now() - state.started);
    renderTasks();
    renderSide();
    renderBanner();
  }

  function setConn(live, text) {
    $("dot").className = "dot " + (live ? (blocked > 0 ? "stuck" : "live") : "down");
    $("conn").textContent = text;
  }

  function applyDiff(d) {
    if (!state) return;
    var tasks = new Map(state.tasks.map(function (t) { return [t.id, t]; }));
    d.removed.forEach(function (id) { tasks.delete(id); });
    d.tasks.forEach(function (t) { tasks.set(t.id, t); });
    state.tasks = Array.from(tasks.values()).sort(function (a, b) { return a.id - b.id; });
    state.truncated = d.truncated;
    state.primitives = d.primitives;
    state.executors = d.executors;
    state.lag = state.lag.concat(d.lag).slice(-60);
    state.slow = state.slow.concat(d.slow).slice(-50);
    state.warnings = d.warnings;
    offset = d.now - Date.now();
  }

  function cancelTask(id, name) {
    fetch("/api/tasks/" + id + "/cancel", { method: "POST", headers: { "X-Monitor-Token": token } })
      .then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); })
      .then(function (r) {
        if (r.status === 200) toast(r.body.cancelled ? "cancel requested: Task \"" + name + "\"" : "Task \"" + name + "\" could not be cancelled (already done)");
        else toast(r.body.error || ("cancel failed: HTTP " + r.status));
      })
      .catch(function (e) { toast("cancel failed: " + e); });
  }

  function connect() {
    var es = new EventSource("/api/events?token=" + encodeURIComponent(token));
    es.addEventListener("snapshot", function (ev) {
      state = JSON.parse(ev.data);
      offset = state.now - Date.now();
      blocked = state.blocked;
      setConn(true, state.stale ? "live (stale)" : "live");
      render();
    });
    es.addEventListener("diff", function (ev) { applyDiff(JSON.parse(ev.data)); render(); });
    es.addEventListener("blocked", function (ev) {
      blocked = JSON.parse(ev.data).seconds;
      setConn(true, blocked > 0 ? "main thread blocked" : "live");
      renderBanner();
    });
    es.onerror = function () { setConn(false, "disconnected — retrying"); };
  }

  $("filter").addEventListener("input", function () { if (state) renderTasks(); });
  $("state").addEventListener("change", function () { if (state) renderTasks(); });
  $("expand").onclick = function () { collapsed.clear(); if (state) renderTasks(); };
  $("collapse").onclick = function () { if (state) state.tasks.forEach(function (t) { collapsed.add(t.id); }); if (state) renderTasks(); };
  setInterval(function () { if (state && blocked === 0) render(); }, 500);
  if (!token) setConn(false, "no token in the URL: open the address the monitor printed");
  else connect();
})();
</script>
</body>
</html>
`;

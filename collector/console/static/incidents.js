// The incident list, kept live: any alert on the stream (with the list's filters
// that the stream understands) makes the page re-read its first page from
// GET /api/v1/incidents, at most one read at a time; a slow timer catches
// changes made by other analysts. Rows that are new or grew are highlighted.
(function () {
  "use strict";
  const y = window.yamori;
  const table = document.getElementById("incidents");
  const body = table.tBodies[0];
  const conn = document.getElementById("conn");
  const empty = document.getElementById("empty");
  const stateNames = {};
  document.getElementById("state-names").content.querySelectorAll("span").forEach(
    function (span) { stateNames[span.dataset.state] = span.textContent; });
  const REFRESH_MS = 30000;
  const DEBOUNCE_MS = 150;
  let reading = false, again = false, timer = null;

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text === undefined || text === null ? "" : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function rowFor(i, fresh) {
    const row = document.createElement("tr");
    row.className = "sev-" + (i.severity <= 3 ? i.severity : "low") + " state-" + i.state +
      (fresh ? " fresh" : "");
    row.dataset.id = i.id;
    row.dataset.count = i.count;
    row.dataset.state = i.state;
    cell(row, i.count, "num count");
    cell(row, y.formatTime(i.first_seen), "time");
    cell(row, y.formatTime(i.last_seen), "time");
    cell(row, i.severity, "sev");
    cell(row, i.tenant);
    cell(row, (i.sensors || []).join(", "));
    const sig = cell(row, "", "sig");
    sig.title = i.category || "";
    const link = y.el("a", i.signature);
    link.href = "/incidents/" + encodeURIComponent(i.id);
    sig.appendChild(link);
    cell(row, i.src_ip + " → " + i.dest_ip, "addr");
    cell(row, stateNames[i.state] || i.state, "state").dataset.state = i.state;
    cell(row, i.assignee || "");
    return row;
  }

  function redraw(incidents) {
    const before = {};
    Array.from(body.rows).forEach(function (row) {
      before[row.dataset.id] = row.dataset.count + "/" + row.dataset.state;
    });
    const rows = incidents.map(function (i) {
      return rowFor(i, before[String(i.id)] !== i.count + "/" + i.state);
    });
    body.replaceChildren.apply(body, rows);
    empty.hidden = rows.length > 0;
  }

  function query() {
    const params = new URLSearchParams(table.dataset.apiQuery || "");
    params.set("limit", table.dataset.limit || "100");
    return params.toString();
  }

  function read() {
    if (reading) { again = true; return; }
    reading = true;
    y.api("GET", "/api/v1/incidents?" + query())
      .then(function (page) { y.showError(null); redraw(page.incidents); })
      .catch(function (err) { y.showError(err); })
      .finally(function () {
        reading = false;
        if (again) { again = false; soon(); }
      });
  }

  function soon() {
    if (timer !== null) return;
    timer = setTimeout(function () { timer = null; read(); }, DEBOUNCE_MS);
  }

  function setState(state, text) {
    conn.dataset.state = state;
    conn.textContent = text;
  }

  if (table.dataset.paused) {
    setState("paused", "—");
    return;
  }
  const params = new URLSearchParams(table.dataset.streamQuery || "");
  let source = null;

  function listen() {
    params.set("after_id", table.dataset.lastAlertId || "0");
    source = new EventSource("/api/v1/alerts/stream?" + params.toString());
    source.onopen = function () { setState("live", conn.dataset.textLive || "live"); soon(); };
    source.onerror = function () { setState("lost", conn.dataset.textLost || "reconnecting…"); };
    source.addEventListener("alert", function (ev) {
      table.dataset.lastAlertId = ev.lastEventId || table.dataset.lastAlertId;
      soon();
    });
  }

  // A page kept in the back/forward cache would hold its stream's connection
  // open, and the browser allows only a few per host: close it, resume on return.
  window.addEventListener("pagehide", function () { if (source) source.close(); });
  window.addEventListener("pageshow", function (ev) { if (ev.persisted) listen(); });
  listen();
  setInterval(soon, REFRESH_MS);
})();

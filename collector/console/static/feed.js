// Live feed: prepend alerts from the server-sent event stream, newest on top.
// Rows are built with textContent only: alert fields come from remote sensors.
(function () {
  "use strict";
  const y = window.yamori;
  const table = document.getElementById("feed");
  const body = table.tBodies[0];
  const conn = document.getElementById("conn");
  const maxRows = parseInt(table.dataset.maxRows, 10) || 1000;

  function endpoint(a, port) {
    return port === undefined || port === null ? a : a + ":" + port;
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text === undefined || text === null ? "" : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function linkCell(row, href, text, cls) {
    const td = cell(row, "", cls);
    if (href) {
      const a = y.el("a", text);
      a.href = href;
      td.appendChild(a);
    }
    return td;
  }

  function addRow(a) {
    const sev = a.alert.severity;
    const row = body.insertRow(0);
    row.className = "fresh sev-" + (sev <= 3 ? sev : "low");
    row.dataset.id = a.id;
    cell(row, y.formatTime(a.timestamp), "time");
    cell(row, a.tenant);
    cell(row, a.sensor_id);
    cell(row, sev, "sev");
    linkCell(row, "/alerts/" + encodeURIComponent(a.id), a.alert.signature, "sig").title =
      a.alert.category || "";
    cell(row, a.alert.signature_id, "num");
    cell(row, endpoint(a.src_ip, a.src_port) + " → " + endpoint(a.dest_ip, a.dest_port), "addr");
    cell(row, a.proto + (a.app_proto ? "/" + a.app_proto : ""));
    linkCell(row, a.incident_id ? "/incidents/" + encodeURIComponent(a.incident_id) : null,
             (table.dataset.textIncident || "#") + a.incident_id, "num");
    while (body.rows.length > maxRows) body.deleteRow(body.rows.length - 1);
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
  }

  function setState(state, text) {
    conn.dataset.state = state;
    conn.textContent = text;
  }

  if (table.dataset.paused) {
    setState("paused", "—");
    return;
  }
  const params = new URLSearchParams(table.dataset.query || "");
  params.delete("before_id");
  let source = null;

  function listen() {
    params.set("after_id", table.dataset.lastId || "0");
    source = new EventSource("/api/v1/alerts/stream?" + params.toString());
    source.onopen = function () { setState("live", conn.dataset.textLive || "live"); };
    source.onerror = function () { setState("lost", conn.dataset.textLost || "reconnecting…"); };
    source.addEventListener("alert", function (ev) {
      const record = JSON.parse(ev.data);
      table.dataset.lastId = record.id;
      addRow(record);
    });
  }

  // A page kept in the back/forward cache would hold its stream's connection
  // open, and the browser allows only a few per host: close it, resume on return.
  window.addEventListener("pagehide", function () { if (source) source.close(); });
  window.addEventListener("pageshow", function (ev) { if (ev.persisted) listen(); });
  listen();
})();

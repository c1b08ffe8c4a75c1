// Live feed: prepend alerts from the server-sent event stream, newest on top.
// Rows are built with textContent only: alert fields come from remote sensors.
(function () {
  "use strict";
  const table = document.getElementById("feed");
  const body = table.tBodies[0];
  const conn = document.getElementById("conn");
  const maxRows = parseInt(table.dataset.maxRows, 10) || 1000;
  const jst = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });

  function formatTime(ts) {
    const when = new Date(String(ts).replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
    return isNaN(when) ? String(ts) : jst.format(when);
  }

  function endpoint(a, port) {
    return port === undefined || port === null ? a : a + ":" + port;
  }

  function cell(row, text, cls) {
    const td = row.insertCell();
    td.textContent = text === undefined || text === null ? "" : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function addRow(a) {
    const sev = a.alert.severity;
    const row = body.insertRow(0);
    row.className = "fresh sev-" + (sev <= 3 ? sev : "low");
    row.dataset.id = a.id;
    cell(row, formatTime(a.timestamp), "time");
    cell(row, a.tenant);
    cell(row, a.sensor_id);
    cell(row, sev, "sev");
    cell(row, a.alert.signature, "sig").title = a.alert.category || "";
    cell(row, a.alert.signature_id, "num");
    cell(row, endpoint(a.src_ip, a.src_port) + " → " + endpoint(a.dest_ip, a.dest_port), "addr");
    cell(row, a.proto + (a.app_proto ? "/" + a.app_proto : ""));
    while (body.rows.length > maxRows) body.deleteRow(body.rows.length - 1);
    const empty = document.getElementById("empty");
    if (empty) empty.remove();
  }

  function setState(state, text) {
    conn.dataset.state = state;
    conn.textContent = text;
  }

  const params = new URLSearchParams(table.dataset.query || "");
  params.delete("before_id");
  params.set("after_id", table.dataset.lastId || "0");
  const source = new EventSource("/api/v1/alerts/stream?" + params.toString());
  source.onopen = function () { setState("live", conn.dataset.textLive || "live"); };
  source.onerror = function () { setState("lost", conn.dataset.textLost || "reconnecting…"); };
  source.addEventListener("alert", function (ev) { addRow(JSON.parse(ev.data)); });
})();

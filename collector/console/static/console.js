// What every console page shares: calling the JSON API with the session's CSRF
// token, showing its errors plainly, JST times, the language switch and
// click-to-sort tables. Text from the API is only ever set with textContent.
(function () {
  "use strict";
  const meta = document.querySelector('meta[name="csrf-token"]');
  const errorBox = document.getElementById("console-error");
  const jstFormat = new Intl.DateTimeFormat("sv-SE", {
    timeZone: "Asia/Tokyo", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });

  // EVE writes offsets as +0900; Date wants +09:00.
  function formatTime(ts) {
    if (ts === undefined || ts === null || ts === "") return "";
    const when = new Date(String(ts).replace(/([+-]\d\d)(\d\d)$/, "$1:$2"));
    return isNaN(when) ? String(ts) : jstFormat.format(when);
  }

  // The API answers errors as {"error": "..."}; anything else is shown by status.
  async function api(method, url, body) {
    const headers = { "Accept": "application/json" };
    if (meta) headers["X-CSRF-Token"] = meta.content;
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const answer = await fetch(url, init);
    const text = await answer.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!answer.ok) {
      const message = data && data.error ? data.error : (text || answer.statusText);
      throw new Error(answer.status + ": " + message);
    }
    return data;
  }

  function showError(err, box) {
    const target = box || errorBox;
    if (!target) return;
    target.textContent = err ? String(err.message || err) : "";
    target.hidden = !err;
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function switchLanguage(lang) {
    api("PUT", "/api/v1/session/language", { lang: lang })
      .then(function () { window.location.reload(); })
      .catch(function (err) { showError(err); });
  }

  document.querySelectorAll("#lang-switch button[data-lang]").forEach(function (button) {
    button.addEventListener("click", function () { switchLanguage(button.dataset.lang); });
  });

  // Tables with class "sortable": a click on a header sorts by that column,
  // by the cells' data-sort value when present (numbers compare as numbers).
  function sortValue(row, index) {
    const cell = row.cells[index];
    if (!cell) return "";
    const raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
    const number = Number(raw);
    return raw !== "" && !isNaN(number) ? number : raw.toLowerCase();
  }

  function sortTable(table, index, header) {
    const body = table.tBodies[0];
    const ascending = header.getAttribute("aria-sort") !== "ascending";
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      const x = sortValue(a, index), y = sortValue(b, index);
      if (x === y) return 0;
      if (typeof x === "number" && typeof y !== "number") return -1;
      if (typeof y === "number" && typeof x !== "number") return 1;
      return (x < y ? -1 : 1) * (ascending ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[aria-sort]").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.from(table.tHead.rows[0].cells).forEach(function (header, index) {
      const button = el("button", header.textContent, "sort");
      button.type = "button";
      header.textContent = "";
      header.appendChild(button);
      button.addEventListener("click", function () { sortTable(table, index, header); });
    });
  });

  window.yamori = { api: api, showError: showError, formatTime: formatTime, el: el };
})();

// The filter form: times picked in JST are sent as ISO 8601 with +09:00 (the API
// reads a time without offset as UTC), empty fields are left out of the URL, and
// saved filters (GET/POST/DELETE /api/v1/filters) are applied, saved and deleted.
(function () {
  "use strict";
  const form = document.getElementById("filters");
  if (!form) return;
  const y = window.yamori;

  form.addEventListener("submit", function () {
    form.querySelectorAll("input[data-time-for]").forEach(function (picker) {
      const hidden = form.elements[picker.dataset.timeFor];
      hidden.value = picker.value ? picker.value + (picker.value.length === 16 ? ":00" : "") + "+09:00" : "";
    });
    Array.from(form.elements).forEach(function (field) {
      if (field.name && !String(field.value).trim()) field.disabled = true;
    });
    // Re-enabled after the browser has read the form, for the back button.
    setTimeout(function () {
      Array.from(form.elements).forEach(function (field) { field.disabled = false; });
    }, 0);
  });

  const box = document.getElementById("saved-filters");
  const list = document.getElementById("saved-filter-list");
  const errorBox = document.getElementById("saved-filter-error");
  const nameInput = document.getElementById("saved-filter-name");

  function refill(filters, selectId) {
    while (list.options.length > 1) list.remove(1);
    filters.forEach(function (f) {
      const option = y.el("option", f.name);
      option.value = f.query;
      option.dataset.id = f.id;
      if (f.id === selectId) option.selected = true;
      list.add(option);
    });
  }

  function reload(selectId) {
    return y.api("GET", "/api/v1/filters").then(function (filters) { refill(filters, selectId); });
  }

  document.getElementById("saved-filter-apply").addEventListener("click", function () {
    if (!list.value && list.selectedIndex <= 0) return;
    window.location.search = list.value ? "?" + list.value : "";
  });

  document.getElementById("saved-filter-delete").addEventListener("click", function () {
    const option = list.options[list.selectedIndex];
    if (!option || !option.dataset.id) return;
    y.api("DELETE", "/api/v1/filters/" + encodeURIComponent(option.dataset.id))
      .then(function () { y.showError(null, errorBox); return reload(); })
      .catch(function (err) { y.showError(err, errorBox); });
  });

  document.getElementById("saved-filter-save").addEventListener("click", function () {
    const name = nameInput.value.trim();
    if (!name) { nameInput.focus(); return; }
    y.api("POST", "/api/v1/filters", { name: name, query: box.dataset.query || "" })
      .then(function (saved) {
        y.showError(null, errorBox);
        nameInput.value = "";
        return reload(saved.id);
      })
      .catch(function (err) { y.showError(err, errorBox); });
  });
})();

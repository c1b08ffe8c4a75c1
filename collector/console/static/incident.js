// Triage actions on the incident page, sent to the JSON API with the CSRF
// header. On success the page is read again (the server renders the new state,
// notes and dispatches); on failure the API's error is shown as it is.
(function () {
  "use strict";
  const y = window.yamori;
  const page = document.getElementById("incident");
  const id = encodeURIComponent(page.dataset.id);
  const base = "/api/v1/incidents/" + id;
  const errorBox = document.getElementById("action-error");

  function act(method, url, body, button) {
    if (button) button.disabled = true;
    y.showError(null, errorBox);
    return y.api(method, url, body)
      .then(function () { window.location.reload(); })
      .catch(function (err) {
        y.showError(err, errorBox);
        if (button) button.disabled = false;
      });
  }

  function on(selector, event, handler) {
    document.querySelectorAll(selector).forEach(function (node) {
      node.addEventListener(event, function (ev) { handler(ev, node); });
    });
  }

  on("#state-actions button[data-state]", "click", function (ev, button) {
    const note = document.getElementById("state-note").value.trim();
    const body = { state: button.dataset.state };
    if (note) body.note = note;
    act("POST", base + "/state", body, button);
  });

  on("#assign-me", "click", function (ev, button) {
    act("POST", base + "/assign", { assignee: button.dataset.user }, button);
  });

  on("#unassign", "click", function (ev, button) {
    act("POST", base + "/assign", { assignee: null }, button);
  });

  on("#note-form", "submit", function (ev, form) {
    ev.preventDefault();
    act("POST", base + "/notes", { text: document.getElementById("note-text").value },
        form.querySelector("button"));
  });

  on("#suppress-form", "submit", function (ev, form) {
    ev.preventDefault();
    act("POST", base + "/suppress",
        { scope: form.elements.scope.value, reason: form.elements.reason.value },
        form.querySelector("button"));
  });

  on("#dispatch-form", "submit", function (ev, form) {
    ev.preventDefault();
    act("POST", base + "/dispatch", {
      tenant: page.dataset.tenant, technician: form.elements.technician.value,
      reason: form.elements.reason.value,
    }, form.querySelector("button"));
  });

  on("button[data-dispatch-arrived]", "click", function (ev, button) {
    act("PATCH", base + "/dispatch/" + encodeURIComponent(button.dataset.dispatchArrived),
        { arrived_at: new Date().toISOString() }, button);
  });

  on("button[data-dispatch-close]", "click", function (ev, button) {
    const dispatchId = button.dataset.dispatchClose;
    const outcome = document.querySelector('input[data-outcome-for="' + dispatchId + '"]');
    const body = { closed_at: new Date().toISOString() };
    if (outcome && outcome.value.trim()) body.outcome = outcome.value.trim();
    act("PATCH", base + "/dispatch/" + encodeURIComponent(dispatchId), body, button);
  });
})();

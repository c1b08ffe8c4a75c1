// The accounts page: create a user and disable/enable one through /api/v1/users.
// The page is read again after a change; errors are shown as the API words them.
(function () {
  "use strict";
  const y = window.yamori;
  const errorBox = document.getElementById("action-error");

  function done() { window.location.reload(); }
  function failed(button) {
    return function (err) { y.showError(err, errorBox); if (button) button.disabled = false; };
  }

  const form = document.getElementById("user-form");
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const button = form.querySelector("button");
    const body = {
      username: form.elements.username.value.trim(), password: form.elements.password.value,
      role: form.elements.role.value, language: form.elements.language.value,
    };
    const tenant = form.elements.tenant.value.trim();
    if (tenant) body.tenant = tenant;
    button.disabled = true;
    y.api("POST", "/api/v1/users", body).then(done).catch(failed(button));
  });

  document.querySelectorAll("button[data-toggle-user]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.disabled = true;
      y.api("PATCH", "/api/v1/users/" + encodeURIComponent(button.dataset.toggleUser),
            { disabled: button.dataset.disable === "true" }).then(done).catch(failed(button));
    });
  });
})();

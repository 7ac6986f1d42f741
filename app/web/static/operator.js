/* The operator's pages, made easier where JavaScript runs (everything works without it):
   - a form's button is disabled once pressed (the server's idempotency key is the real guard
     against a double submit);
   - the access form shows the household list only for a member, the merchant list only
     for a merchant;
   - the person rows beyond the filled ones are folded behind an "add a person" button;
   - the activation card page gets a "print" button. */
(function () {
  "use strict";

  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button.once").forEach(function (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });

  var role = document.getElementById("role");
  if (role) {
    var sync = function () {
      document.querySelectorAll(".for-role").forEach(function (box) {
        box.hidden = box.getAttribute("data-role") !== role.value;
      });
    };
    role.addEventListener("change", sync);
    sync();
  }

  var persons = document.querySelector("fieldset.persons");
  if (persons) {
    var rows = Array.prototype.slice.call(persons.querySelectorAll(".field"));
    var last = 0;
    rows.forEach(function (row, index) {
      var input = row.querySelector("input");
      if ((input && input.value) || row.classList.contains("field-error")) { last = index; }
    });
    rows.forEach(function (row, index) { row.hidden = index > last; });
    var add = document.createElement("button");
    add.type = "button";
    add.className = "secondary";
    add.textContent = persons.getAttribute("data-add") || "+";
    add.addEventListener("click", function () {
      var next = rows.filter(function (row) { return row.hidden; })[0];
      if (next) {
        next.hidden = false;
        next.querySelector("input").focus();
      }
      if (!rows.some(function (row) { return row.hidden; })) { add.hidden = true; }
    });
    persons.appendChild(add);
  }

  document.querySelectorAll("button.print-page").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();

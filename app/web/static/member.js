// The member's card page: a print button (no inline script: the CSP forbids it).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("imprimer");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});

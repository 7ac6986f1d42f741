/* A pending audit job's page follows it: every 2 seconds the same page is asked again and,
   once its pending jobs differ (one finished, failed or started), the page is reloaded.
   Nothing reloads while nothing changed, so a screen reader's place is kept meanwhile. */
(function () {
  "use strict";
  var box = document.getElementById("suivi");
  if (!box) { return; }
  var pending = box.getAttribute("data-pending") || "";
  if (!pending) { return; }
  function check() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { window.setTimeout(check, 4000); return; }
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("suivi");
        var now = fresh ? (fresh.getAttribute("data-pending") || "") : "";
        if (now !== pending) { window.location.reload(); } else { window.setTimeout(check, 2000); }
      })
      .catch(function () { window.setTimeout(check, 4000); });
  }
  window.setTimeout(check, 2000);
})();

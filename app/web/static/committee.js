// The committee's pages: a problem's link in the error summary puts the cursor on the
// problem's line of the rule document (the text area has no line numbers of its own).
(function () {
  "use strict";
  var area = document.getElementById("document");
  if (!area) { return; }
  document.querySelectorAll("a[data-line]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var line = parseInt(link.getAttribute("data-line"), 10);
      if (!(line > 0)) { return; }
      event.preventDefault();
      var lines = area.value.split("\n");
      var start = 0;
      for (var i = 0; i < line - 1 && i < lines.length; i += 1) { start += lines[i].length + 1; }
      var end = start + (lines[line - 1] || "").length;
      area.focus();
      area.setSelectionRange(start, end);
      var height = area.scrollHeight / Math.max(lines.length, 1);
      area.scrollTop = Math.max(0, (line - 3) * height);
    });
  });
})();

// andon's own script: small conveniences on top of pages that work without
// it. Fills in the viewer's UTC offset where a page shows plant times.
document.addEventListener("DOMContentLoaded", function () {
  var minutes = -new Date().getTimezoneOffset();
  var sign = minutes < 0 ? "-" : "+";
  var abs = Math.abs(minutes);
  var text = "UTC" + sign + String(Math.floor(abs / 60)).padStart(2, "0") + ":" + String(abs % 60).padStart(2, "0");
  document.querySelectorAll("[data-viewer-offset]").forEach(function (el) { el.textContent = text; });
});

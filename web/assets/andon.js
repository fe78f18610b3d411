// andon's own script: small conveniences on top of pages that work without
// it. Fills in the viewer's UTC offset where a page shows plant times, shows
// the whole address of a subscription link, and says when the board has not
// been refreshed for a while.
document.addEventListener("DOMContentLoaded", function () {
  var minutes = -new Date().getTimezoneOffset();
  var sign = minutes < 0 ? "-" : "+";
  var abs = Math.abs(minutes);
  var text = "UTC" + sign + String(Math.floor(abs / 60)).padStart(2, "0") + ":" + String(abs % 60).padStart(2, "0");
  document.querySelectorAll("[data-viewer-offset]").forEach(function (el) { el.textContent = text; });
});

// A link that leaves the browser, such as a calendar subscription, is
// rendered as a path: the server cannot tell the address people reach it
// by, while the browser resolves the path against the one it used,
// whatever proxy lies between. Its text shows that whole address; without
// scripts, the link's own address is copied from its menu.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("a[data-address] code").forEach(function (code) {
    code.textContent = code.parentElement.href;
  });
});

// The board refreshes itself (htmx). A refresh that fails, because andon
// does not answer or answers with an error, swaps nothing, and the board
// would go on showing states that may have changed since: when no refresh
// has come for the board's data-stale-after seconds, it says so and greys
// its tiles, until one comes.
document.addEventListener("DOMContentLoaded", function () {
  var notice = document.getElementById("board-stale");
  if (!notice) return;
  var fresh = Date.now();
  var since = function () {
    var stamp = document.querySelector("#board .stamp time");
    return stamp ? stamp.textContent : "it was loaded";
  };
  document.body.addEventListener("htmx:load", function (evt) {
    if (evt.target.id !== "board") return;
    fresh = Date.now();
    notice.hidden = true;
    document.body.classList.remove("stale");
  });
  setInterval(function () {
    var board = document.getElementById("board");
    var after = board ? Number(board.dataset.staleAfter) : 0;
    if (!after || Date.now() - fresh < after * 1000) return;
    notice.querySelector("[data-stale-since]").textContent = since();
    notice.hidden = false;
    document.body.classList.add("stale");
  }, 1000);
});

// A page that asks to confirm an ending, reached again with the browser's
// Back or Forward, may come from the browser's back-forward cache as it was
// left, offering to confirm what was confirmed since: it is loaded again, to
// say whether anything is left to confirm. Without scripts, a Confirm
// pressed there is refused, saying the state the change is in.
window.addEventListener("pageshow", function (evt) {
  if (evt.persisted && document.getElementById("confirm")) window.location.reload();
});

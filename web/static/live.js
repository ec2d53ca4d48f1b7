// Live updates, a nicety on top of pages that work without it: new posts appear at the
// top of the stream being read, and the unread count follows, without a reload. The
// server sends posts already rendered (escaped and sanitized) through the same gate
// as the page.
(function () {
  "use strict";
  if (!window.EventSource) return;
  var section = document.querySelector("[data-live]");
  var params = new URLSearchParams({ stream: "none", page: location.pathname + location.search });
  if (section) {
    params.set("stream", section.dataset.live);
    params.set("after", section.dataset.after || "0");
    if (section.dataset.tag) params.set("tag", section.dataset.tag);
    if (section.dataset.account) params.set("account", section.dataset.account);
  }
  // After a reconnect the browser sends the last event's id (the newest post it got),
  // so nothing is resent and nothing posted meanwhile is skipped.
  var es = new EventSource("/live?" + params.toString());
  es.addEventListener("post", function (e) {
    if (!section) return;
    var tpl = document.createElement("template");
    tpl.innerHTML = e.data;
    var article = tpl.content.firstElementChild;
    if (!article || document.getElementById(article.id)) return;
    var empty = section.querySelector(".empty");
    if (empty) empty.remove();
    article.classList.add("new");
    section.prepend(article);
  });
  es.addEventListener("unread", function (e) {
    var badge = document.getElementById("unread");
    if (!badge) return;
    badge.textContent = e.data;
    badge.hidden = e.data === "";
  });
})();

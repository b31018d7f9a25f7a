// Progressive enhancement for the loss report form: a live coverage/estimate preview while typing.
// Without JavaScript the "next" button shows the same preview server-side.
(function () {
  "use strict";
  var form = document.getElementById("loss-form");
  var panel = document.getElementById("estimate-live");
  if (!form || !panel || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-estimate-url");
  var timer = null;
  var seq = 0;
  function refresh() {
    var mine = ++seq;
    var data = new FormData(form);
    data.set("action", "estimate");
    fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null || mine !== seq) { return; }
        panel.innerHTML = html;
        panel.hidden = false;
      })
      .catch(function () { /* the server-side preview still works */ });
  }
  function schedule() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 400);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  refresh();
})();

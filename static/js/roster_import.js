/* Roster import progress: poll the job's JSON status and move the <progress> bar; reload when done.
   Without JavaScript the page refreshes itself (<noscript> meta refresh). */
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) { return; }
  var bar = box.querySelector("progress");
  var percent = box.querySelector(".js-percent");
  var url = box.getAttribute("data-status-url");
  var delay = 700;

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { window.setTimeout(poll, 3000); return; }
        bar.value = status.progress;
        bar.textContent = status.progress + "%";
        percent.textContent = status.progress;
        if (status.done) { window.location.replace(status.url); return; }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, delay);
})();

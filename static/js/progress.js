// Follows a long-running job: polls the element's data-url until the job has finished, then
// reloads the page so the outcome (counts or problems) is shown by the server.
(function () {
  "use strict";
  document.querySelectorAll("[data-progress-url]").forEach(function (box) {
    var bar = box.querySelector("progress");
    var label = box.querySelector("[data-progress-label]");
    function poll() {
      fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          bar.value = state.fraction;
          label.textContent = state.stage + " (" + Math.round(state.fraction * 100) + "%)";
          if (state.status === "succeeded" || state.status === "failed") {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  });
})();

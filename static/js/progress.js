// Follows a long-running job: polls the element's data-url until the job has finished, then
// reloads the page so the outcome (counts or problems) is shown by the server. For an analysis
// run the answer also carries the seconds elapsed and an estimate of the whole run from the
// size of its data: the elapsed time ticks every second between polls, so a long stage (a large
// run's Walktrap) still shows movement.
(function () {
  "use strict";

  function clock(seconds) {
    var s = Math.max(0, Math.round(seconds));
    var m = Math.floor(s / 60);
    return m ? m + " min " + (s % 60) + " s" : s + " s";
  }

  document.querySelectorAll("[data-progress-url]").forEach(function (box) {
    var bar = box.querySelector("progress");
    var label = box.querySelector("[data-progress-label]");
    var time = box.querySelector("[data-progress-time]");
    var last = null; // {elapsed, estimate, at}

    function tick() {
      if (!time || !last || last.elapsed === null || last.elapsed === undefined) return;
      var elapsed = last.elapsed + (Date.now() - last.at) / 1000;
      var text = "Running for " + clock(elapsed);
      if (last.estimate) {
        var left = last.estimate - elapsed;
        text += left > 0 ? "; about " + clock(left) + " left (estimated from the size of the data)" :
          "; taking longer than a run of this size usually does";
      }
      time.textContent = text + ".";
    }

    function poll() {
      fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          bar.value = state.fraction;
          label.textContent = state.stage + " (" + Math.round(state.fraction * 100) + "%)";
          if ("elapsed_seconds" in state) {
            last = { elapsed: state.elapsed_seconds, estimate: state.estimate_seconds, at: Date.now() };
            tick();
          }
          if (state.status === "succeeded" || state.status === "failed" || state.status === "cancelled") {
            window.location.reload();
          } else {
            window.setTimeout(poll, 1000);
          }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    window.setInterval(tick, 1000);
    poll();
  });
})();

/* The SPoC dashboard's chart: median hours to acknowledge and to fulfil, per category, one bar
   per provider. Data from the page's JSON block (json_script); no inline script (CSP). */
(function () {
  "use strict";
  var holder = document.getElementById("spoc-response-chart");
  var source = document.getElementById("spoc-chart-data");
  if (!holder || !source || typeof echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  holder.style.height = "24rem";
  holder.style.width = "100%";
  var series = [];
  data.series.forEach(function (provider) {
    series.push({ name: provider.name + ": acknowledge", type: "bar", data: provider.acknowledge_median });
    series.push({ name: provider.name + ": fulfil", type: "bar", data: provider.fulfil_median });
  });
  var chart = echarts.init(holder, null, { renderer: "svg" });
  chart.setOption({
    aria: { enabled: true },
    tooltip: { trigger: "axis", valueFormatter: function (value) { return value === null || value === undefined ? "no data" : value + " h"; } },
    legend: { top: 0 },
    grid: { top: 60, left: 60, right: 20, bottom: 60 },
    xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0, width: 140, overflow: "break" } },
    yAxis: { type: "value", name: "hours (median)" },
    series: series,
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();

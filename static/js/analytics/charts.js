// The analyst's charts, drawn with the vendored ECharts from JSON the page carries
// (json_script). Every chart has a table of the same figures on its page.
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;

  var COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"];

  var BUILDERS = {
    harm_by_group: function (data) {
      var rows = data.harm_by_group;
      return {
        color: COLOURS,
        tooltip: { trigger: "axis" },
        grid: { left: 60, right: 20, top: 20, bottom: 40 },
        xAxis: { type: "category", name: "Group", data: rows.map(function (r) { return String(r.group); }) },
        yAxis: { type: "value", name: "CCHI days" },
        series: [{ type: "bar", name: "CCHI harm", data: rows.map(function (r) { return r.cchi; }) }],
      };
    },
    records_by_month: function (data) {
      var rows = data.records_by_month;
      return {
        color: COLOURS,
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        grid: { left: 50, right: 20, top: 20, bottom: 60 },
        xAxis: { type: "category", data: rows.map(function (r) { return r.month; }) },
        yAxis: { type: "value", name: "Records" },
        series: data.sources.map(function (source, i) {
          return { type: "bar", stack: "records", name: source.label, data: rows.map(function (r) { return r.counts[i]; }) };
        }),
      };
    },
    children_by_authority: function (data) {
      var rows = data.children_by_authority;
      return {
        color: ["#c2185b"],
        tooltip: { trigger: "axis" },
        grid: { left: 140, right: 20, top: 10, bottom: 30 },
        yAxis: { type: "category", data: rows.map(function (r) { return r.authority; }), inverse: true },
        xAxis: { type: "value", name: "Children", minInterval: 1 },
        series: [{ type: "bar", name: "Children", data: rows.map(function (r) { return r.children; }) }],
      };
    },
    robustness: function (curves) {
      return {
        color: COLOURS,
        tooltip: { trigger: "axis" },
        legend: { bottom: 0 },
        grid: { left: 60, right: 20, top: 20, bottom: 70 },
        xAxis: { type: "value", name: "Share removed", min: 0, max: 1 },
        yAxis: { type: "value", name: "Largest piece left", min: 0, max: 1 },
        series: Object.keys(curves).map(function (name) {
          return { type: "line", name: name, showSymbol: false, data: curves[name] };
        }),
      };
    },
  };

  document.querySelectorAll("[data-chart]").forEach(function (box) {
    var build = BUILDERS[box.dataset.chart];
    var source = document.getElementById(box.dataset.source);
    if (!build || !source) return;
    var chart = echarts.init(box, null, { renderer: "svg" });
    chart.setOption(build(JSON.parse(source.textContent)));
    box.dataset.drawn = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();

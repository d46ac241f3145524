// Insights: draw each chart (uPlot) from the numbers embedded in the page by json_script. The table under each chart
// holds the same numbers, so nothing is lost without JavaScript.
(function () {
  "use strict";
  var COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563"];

  function draw(figure) {
    var blob = document.getElementById(figure.getAttribute("data-insight-chart"));
    if (!blob || typeof uPlot === "undefined") return;
    var data = JSON.parse(blob.textContent);
    if (!data.x.length) return;
    var xs = data.x.map(function (_, i) { return i; });
    var bars = data.kind === "bar";
    var series = [{ label: data.x_label, value: function (u, i) { return i == null ? "" : data.x[i]; } }];
    var columns = [xs];
    data.series.forEach(function (s, n) {
      var color = COLORS[n % COLORS.length];
      var one = { label: s.label + (s.unit ? " (" + s.unit + ")" : ""), stroke: color, width: 2, spanGaps: false };
      if (bars) {
        // Several series over the same categories are drawn inside one another, the first widest.
        one.fill = color + "cc";
        one.paths = uPlot.paths.bars({ size: [Math.max(0.25, 0.7 - 0.25 * n), 80] });
        one.points = { show: false };
      }
      series.push(one);
      columns.push(s.values.map(function (v) { return v == null ? null : v; }));
    });
    var counts = data.series.every(function (s) { return !s.unit; });
    var width = Math.max(260, figure.clientWidth || 600);
    var options = {
      width: width,
      height: Math.round(Math.min(320, Math.max(200, width * 0.5))),
      series: series,
      scales: {
        x: { time: false, range: function (u, min, max) { return [min - 0.5, max + 0.5]; } },
        // From zero: a bar or a count read against a cut axis looks larger or smaller than it is.
        y: { range: function (u, min, max) { return [Math.min(0, min || 0), max > 0 ? max * 1.1 : 1]; } }
      },
      axes: [
        { values: function (u, ticks) { return ticks.map(function (t) { return Number.isInteger(t) && data.x[t] !== undefined ? data.x[t] : ""; }); }, incrs: [1, 2, 3, 4, 6, 12] },
        counts ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] } : {}
      ],
      legend: { live: true },
      cursor: { drag: { x: false, y: false } }
    };
    figure.textContent = "";
    var plot = new uPlot(options, columns, figure);
    var resize = function () { plot.setSize({ width: Math.max(260, figure.clientWidth), height: options.height }); };
    if (window.ResizeObserver) new ResizeObserver(resize).observe(figure);
  }

  function drawAll() {
    document.querySelectorAll("[data-insight-chart]").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawAll);
  else drawAll();
})();

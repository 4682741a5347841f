// The incoming board's charts (Chart.js, vendored): data from the page's JSON block; a click on a bar opens the
// documents behind it. No inline script, so a strict Content-Security-Policy can forbid them.
(function () {
  "use strict";
  var block = document.getElementById("board-data");
  if (!block || typeof Chart === "undefined") { return; }
  var data = JSON.parse(block.textContent);
  var colours = { received: "#2f6fdf", in_progress: "#f0a202", on_time: "#2e9d5b", late: "#b36b00", overdue: "#d23f3f" };
  function draw(canvasId, labels, series, links) {
    var canvas = document.getElementById(canvasId);
    if (!canvas) { return; }
    var datasets = Object.keys(data.kinds).map(function (kind) {
      return { label: data.kinds[kind], data: series[kind], backgroundColor: colours[kind], kind: kind };
    });
    new Chart(canvas, {
      type: "bar",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false,
        onClick: function (event, elements) {
          if (!elements.length) { return; }
          var el = elements[0];
          var kind = datasets[el.datasetIndex].kind;
          window.location.href = links[kind][el.index];
        },
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }
  draw("chart-month", data.months, data.by_month, data.month_links);
  draw("chart-unit", data.units, data.by_unit, data.unit_links);
})();

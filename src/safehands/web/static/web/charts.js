// Draw every Vega-Lite chart on the page. The Vega bundle (about 900 kB, served by Safehands
// itself and cached by the browser) is loaded only on pages that have a chart.
(function () {
  "use strict";
  var charts = document.querySelectorAll("[data-vega-spec]");
  if (!charts.length) { return; }
  function draw() {
    charts.forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-vega-spec"));
      if (!source) { return; }
      // ast + the expression interpreter: no eval, so the page's CSP can forbid it;
      // the embed and tooltip styles live in safehands.css instead of inline <style>.
      window.vegaEmbed(el, JSON.parse(source.textContent), {
        renderer: "svg", actions: false, ast: true, defaultStyle: false,
        tooltip: { disableDefaultStyle: true }
      }).then(function () { el.setAttribute("data-rendered", "true"); })
        .catch(function (err) { el.textContent = "Chart could not be drawn: " + err; });
    });
  }
  var script = document.createElement("script");
  script.src = document.body.getAttribute("data-vega-bundle");
  script.onload = draw;
  document.head.appendChild(script);
})();

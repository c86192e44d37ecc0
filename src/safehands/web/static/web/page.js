// Small page behaviours that the Content-Security-Policy keeps out of the HTML: a print
// button is shown only where script runs, and prints the page.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();

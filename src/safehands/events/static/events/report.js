// The report pages without inline script (the Content-Security-Policy forbids it): focus the
// error summary after a refused send, copy the follow-up link, and let Enter in a one-line
// field send the report (the first button of the form is the place search's "Find").
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!target || !navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.textContent.trim()).then(function () {
        if (status) { status.textContent = button.getAttribute("data-copied"); }
      }, function () {
        var range = document.createRange();
        range.selectNodeContents(target);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      });
    });
  });

  var form = document.getElementById("report-form");
  var send = form && form.querySelector("button.send");
  if (form && send && form.requestSubmit) {
    form.addEventListener("keydown", function (event) {
      var field = event.target;
      if (event.key !== "Enter" || field.tagName !== "INPUT" || field.type === "search") {
        return;
      }
      event.preventDefault();
      form.requestSubmit(send);
    });
  }
})();

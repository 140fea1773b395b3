// Copy buttons (a receipt, a link) and print buttons, without any inline script.
// Buttons start hidden and appear only where the browser can do the job.
(function () {
  "use strict";
  function copyText(button) {
    var target = button.getAttribute("data-copy-target");
    if (target) {
      var element = document.getElementById(target);
      return element ? element.textContent.trim() : "";
    }
    return button.getAttribute("data-copy-text") || "";
  }
  document.querySelectorAll("[data-copy-target], [data-copy-text]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(copyText(button)).then(function () {
        if (status) status.textContent = button.getAttribute("data-copied") || "";
      });
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();

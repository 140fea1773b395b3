// A live character count under every field with data-max-length (traceobject/text.py):
// the field has no maxlength, so a long paste is kept whole and the visitor is told.
(function () {
  "use strict";
  const digits = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function fill(template, count, max) {
    return template.replace("{count}", digits.format(count)).replace("{max}", digits.format(max));
  }
  document.querySelectorAll("[data-max-length]").forEach(function (field) {
    const max = Number(field.dataset.maxLength);
    const counter = document.createElement("div");
    counter.className = "form-text char-counter";
    counter.id = field.id + "-counter";
    counter.setAttribute("aria-live", "polite");
    field.insertAdjacentElement("afterend", counter);
    const described = field.getAttribute("aria-describedby");
    field.setAttribute("aria-describedby", described ? described + " " + counter.id : counter.id);
    // A long text's box counts from the start; a short one's only once its limit is near.
    const quietBelow = max >= 1000 ? 0 : Math.floor(max * 0.8);
    function update() {
      const count = Array.from(field.value).length;
      const over = count > max;
      counter.hidden = quietBelow > 0 && count <= quietBelow;
      counter.textContent = fill(over ? field.dataset.overText : field.dataset.countText, count, max);
      counter.classList.toggle("char-counter-over", over);
      field.classList.toggle("is-invalid", over);
    }
    field.addEventListener("input", update);
    update();
  });
})();

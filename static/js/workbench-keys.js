/* Keyboard shortcuts for the analysts' queue and a tip's page (listed on both pages under
   "Keyboard shortcuts", templates/admin/tips/tip/_keyboard.html).

   Queue: j/k select the next/previous row, Enter or o opens it, a assigns it to me, f
   forwards it, r picks "Reject as spam" for it (Enter on "Go" confirms), n opens it at its
   notes. Tip page: j/k go to the next/previous tip of the queue (its rel=next/prev links),
   a assigns it to me, f opens the forward form, r goes to the reject button, n to the note
   box. ? shows or hides the list. Every action goes through the page's own links and POST
   forms: nothing here changes a tip by itself. Keys do nothing while typing in a field or
   with Ctrl, Alt or Meta. */
(function () {
  "use strict";

  var body = document.body;
  var onTips = body.classList.contains("model-tip");
  var queue = onTips && document.getElementById("result_list");
  var tipPage = onTips && body.classList.contains("change-form") && document.getElementById("tip-group");
  var TYPING = /^(?:text|search|email|number|password|url|tel|date|datetime-local|month|time|week)$/;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    if (tag === "textarea" || tag === "select" || target.isContentEditable) return true;
    return tag === "input" && TYPING.test(target.type || "text");
  }

  function toggleHelp() {
    var help = document.getElementById("keyboard-help");
    if (!help) return;
    help.open = !help.open;
    if (help.open) {
      help.scrollIntoView({ block: "nearest" });
      help.querySelector("summary").focus();
    }
  }

  // --- The queue ---------------------------------------------------------------------------

  function rows() {
    return Array.prototype.slice.call(queue.querySelectorAll("tbody tr"));
  }

  function selectedRow() {
    return queue.querySelector("tbody tr.keys-selected");
  }

  function rowLink(row) {
    return row.querySelector("th a, td a");
  }

  function select(step) {
    var all = rows();
    if (!all.length) return;
    var current = all.indexOf(selectedRow());
    var next = current < 0 ? (step > 0 ? 0 : all.length - 1) : current + step;
    next = Math.max(0, Math.min(all.length - 1, next));
    if (current >= 0) all[current].classList.remove("keys-selected");
    all[next].classList.add("keys-selected");
    var link = rowLink(all[next]);
    if (link) link.focus();
  }

  // Only the selected row ticked, the action chosen: the admin's own action form does the rest.
  function chooseAction(row, action) {
    var form = document.getElementById("changelist-form");
    var menu = form && form.querySelector("select[name=action]");
    if (!menu || !menu.querySelector("option[value=" + action + "]")) return null;
    form.querySelectorAll("input.action-select").forEach(function (box) {
      box.checked = box.closest("tr") === row;
    });
    menu.value = action;
    return form.querySelector("button[name=index]");
  }

  function runAction(row, action) {
    var go = chooseAction(row, action);
    if (go) go.form.requestSubmit(go);
  }

  function onQueueKey(event) {
    var row = selectedRow();
    switch (event.key) {
      case "j": select(1); return true;
      case "k": select(-1); return true;
      case "o":
      case "Enter":
        if (!row) return false;
        // Enter on a focused link or button already does what it should.
        if (event.key === "Enter" && /^(a|button|input)$/i.test(event.target.tagName)) return false;
        window.location.assign(rowLink(row).href);
        return true;
      case "a": if (row) runAction(row, "take_tips"); return Boolean(row);
      case "f": if (row) runAction(row, "forward_tips"); return Boolean(row);
      case "r": {
        var go = row && chooseAction(row, "reject_as_spam");
        if (go) go.focus();
        return Boolean(go);
      }
      case "n":
        if (!row) return false;
        window.location.assign(rowLink(row).href.split("#")[0] + "#tip-notes");
        return true;
    }
    return false;
  }

  // --- A tip's page ------------------------------------------------------------------------

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) window.location.assign(link.href);
    return Boolean(link);
  }

  function focusOn(selector) {
    var control = document.querySelector(selector);
    if (control) {
      control.scrollIntoView({ block: "center" });
      control.focus();
    }
    return Boolean(control);
  }

  function onTipKey(event) {
    switch (event.key) {
      case "j": return follow("a[rel=next]");
      case "k": return follow("a[rel=prev]");
      case "a": {
        var assign = document.querySelector("#tip-triage button[name=do][value=assign_me]");
        if (assign) assign.click();
        return Boolean(assign);
      }
      case "f": return follow("#tip-triage a[href*='/forward/create/']");
      case "r": return focusOn("#tip-triage button[name=do][value=reject_spam]");
      case "n": return focusOn("#tip-notes textarea");
    }
    return false;
  }

  // --- Wiring --------------------------------------------------------------------------------

  if (queue || tipPage) {
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
      if (typing(event.target)) return;
      var handled = event.key === "?" ? (toggleHelp(), true)
        : queue ? onQueueKey(event) : onTipKey(event);
      if (handled) event.preventDefault();
    });
  }

  // Arriving at a tip's notes (n on the queue): the note box has the focus.
  if (tipPage && window.location.hash === "#tip-notes") focusOn("#tip-notes textarea");

  // The forward form reached with f: the case owners are ticked and the summary prefilled,
  // so Enter on "Forward" sends it; with no summary yet, the summary box comes first.
  var forwardForm = document.getElementById("forward-tips");
  if (forwardForm) {
    var summary = document.getElementById("id_summary");
    if (summary && !summary.value.trim()) summary.focus();
    else focusOn("#content-main input[type=submit].default");
  }
})();

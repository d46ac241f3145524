// Small progressive enhancements; every page works without this file.
document.addEventListener("keydown", function (event) {
  // Ctrl/Cmd+Enter in a section editor saves it.
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && event.target.tagName === "TEXTAREA") {
    var form = event.target.form || event.target.closest("form");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  }
});
document.addEventListener("htmx:afterSettle", function (event) {
  // htmx fires this on the swapped-in element (event.target); detail.target and detail.elt are the
  // replaced nodes, gone after an outerHTML swap. Settled, because until then the new element
  // still carries the old one's class attribute.
  var swapped = event.target;
  if (!swapped || !swapped.classList || !swapped.classList.contains("section")) { return; }
  if (swapped.classList.contains("editing")) {
    // Move focus into a freshly opened editor so keyboard users can type at once.
    var area = swapped.querySelector("textarea");
    if (area) { area.focus(); }
    return;
  }
  // After saving, cancelling or a conflict, put focus on the section's heading.
  var heading = swapped.querySelector("h2");
  if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
});
document.addEventListener("htmx:afterSettle", function (event) {
  // The timeline: a refreshed region moves focus where the change happened (the row, the add form's first field)
  // or to the message saying what happened; a row opened for editing gets focus in its first field.
  var swapped = event.target;
  if (!swapped || !swapped.id) { return; }
  if (swapped.id === "timeline-region") {
    var selector = swapped.getAttribute("data-focus");
    var target = selector ? document.querySelector(selector) : swapped.querySelector(".messages");
    if (target) {
      if (target.tagName === "TR") { target.setAttribute("tabindex", "-1"); }
      target.focus();
    }
  } else if (swapped.tagName === "TR" && swapped.classList.contains("editing")) {
    var field = swapped.querySelector("input:not([type=hidden]), textarea, select");
    if (field) { field.focus(); }
  }
});
document.addEventListener("keydown", function (event) {
  // Escape in a timeline row being edited cancels the edit.
  if (event.key !== "Escape" || !event.target.closest) { return; }
  var row = event.target.closest("tr.editing");
  var cancel = row && row.querySelector("a.cancel");
  if (cancel) {
    event.preventDefault();
    cancel.click();
  }
});
document.addEventListener("keydown", function (event) {
  // Escape hides the tooltip of the finding that has focus (it shows again when focus comes back).
  var mark = event.target;
  if (event.key !== "Escape" || !mark.classList || !mark.classList.contains("finding-mark")) { return; }
  mark.classList.add("tip-dismissed");
  mark.addEventListener("blur", function () { mark.classList.remove("tip-dismissed"); }, { once: true });
});

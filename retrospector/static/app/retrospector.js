// Small progressive enhancements; every page works without this file.
document.addEventListener("keydown", function (event) {
  // Ctrl/Cmd+Enter in a section editor saves it.
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && event.target.tagName === "TEXTAREA") {
    var form = event.target.closest("form");
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

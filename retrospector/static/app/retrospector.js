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
// The timeline's row menus (<details class="row-menu">) behave like menus: opening one closes the others, a click
// elsewhere or Escape closes it (Escape puts focus back on its button). Without this file they open and close alone.
document.addEventListener("toggle", function (event) {
  var opened = event.target;
  if (!opened.classList || !opened.classList.contains("row-menu") || !opened.open) { return; }
  document.querySelectorAll("details.row-menu[open]").forEach(function (menu) {
    if (menu !== opened) { menu.open = false; }
  });
}, true);
document.addEventListener("click", function (event) {
  document.querySelectorAll("details.row-menu[open]").forEach(function (menu) {
    if (!menu.contains(event.target)) { menu.open = false; }
  });
});
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape" || !event.target.closest) { return; }
  var menu = event.target.closest("details.row-menu[open]");
  if (menu) {
    event.preventDefault();
    menu.open = false;
    menu.querySelector("summary").focus();
  }
});
// The timeline's filters show on a wide screen. CSS does it where it can style a closed <details>
// (::details-content); elsewhere they are opened here.
(function () {
  if (window.CSS && CSS.supports && CSS.supports("selector(::details-content)")) { return; }
  if (!window.matchMedia("(min-width: 48rem)").matches) { return; }
  document.querySelectorAll("details.filter-box").forEach(function (box) { box.open = true; });
})();
// A link to a place inside a folded <details> (the timeline's "Add an event") opens it and puts focus in the form.
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest('a[href^="#"]');
  var target = link && link.getAttribute("href").length > 1 && document.getElementById(link.getAttribute("href").slice(1));
  var fold = target && target.closest("details");
  if (!fold) { return; }
  fold.open = true;
  var field = target.matches("form") ? target.querySelector("input:not([type=hidden]), textarea, select") : null;
  if (field) {
    event.preventDefault();
    fold.scrollIntoView({ block: "start" });
    field.focus({ preventScroll: true });
    history.replaceState(null, "", link.getAttribute("href"));
  }
});
// "/" puts focus in the header's search box, unless one is typing in a field (or with a modifier key).
document.addEventListener("keydown", function (event) {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
  var target = event.target;
  if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
  var box = document.getElementById("site-search");
  if (!box) { return; }
  event.preventDefault();
  box.focus();
  box.select();
});

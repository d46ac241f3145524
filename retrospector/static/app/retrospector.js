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
document.addEventListener("htmx:afterSwap", function (event) {
  // Move focus into a freshly opened editor so keyboard users can type at once.
  var area = event.detail.target && event.detail.target.querySelector && event.detail.target.querySelector("textarea");
  if (area && event.detail.target.classList.contains("editing")) {
    area.focus();
  } else if (event.detail.elt && event.detail.elt.id && event.detail.elt.id.indexOf("section-") === 0) {
    var heading = document.querySelector("#" + event.detail.elt.id + " h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }
});

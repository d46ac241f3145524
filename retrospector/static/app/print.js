// The print view: its Print button (hidden without scripts, when the hint beside it says how to print).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.querySelector("[data-print]");
  if (!button) { return; }
  button.hidden = false;
  var hint = document.querySelector("[data-print-hint]");
  if (hint) { hint.hidden = true; }
  button.addEventListener("click", function () { window.print(); });
});

// Feedback threads: select words in a section's text and click "Comment on this passage" to fill the quote of that
// section's comment form. Without this file the quote can be typed or pasted into the form.
(function () {
  var button = null;
  var chosen = null; // {key, text}

  function sectionOf(node) {
    var element = node && (node.nodeType === 1 ? node : node.parentElement);
    var prose = element && element.closest(".section .prose");
    return prose ? prose.closest(".section") : null;
  }

  function hide() {
    if (button) { button.hidden = true; }
    chosen = null;
  }

  function makeButton() {
    button = document.createElement("button");
    button.type = "button";
    button.className = "passage-button primary";
    button.textContent = "Comment on this passage";
    button.hidden = true;
    button.addEventListener("mousedown", function (event) { event.preventDefault(); }); // keep the selection
    button.addEventListener("click", function () {
      if (!chosen) { return; }
      var form = document.getElementById("new-thread-" + chosen.key);
      if (!form) { return; }
      form.open = true;
      var quote = form.querySelector("[data-quote-field]");
      if (quote) { quote.value = chosen.text; }
      var body = form.querySelector("textarea[name=body]");
      hide();
      form.scrollIntoView({ block: "nearest" });
      if (body) { body.focus(); }
    });
    document.body.appendChild(button);
  }

  function update() {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed || selection.rangeCount === 0) { hide(); return; }
    var section = sectionOf(selection.anchorNode);
    if (!section || section !== sectionOf(selection.focusNode)) { hide(); return; }
    var key = section.id.replace(/^section-/, "");
    var text = selection.toString().replace(/\s+/g, " ").trim();
    if (!text || !document.getElementById("new-thread-" + key)) { hide(); return; }
    chosen = { key: key, text: text.slice(0, 1000) };
    if (!button) { makeButton(); }
    var rect = selection.getRangeAt(0).getBoundingClientRect();
    button.style.top = (rect.bottom + window.scrollY + 6) + "px";
    button.style.left = Math.max(8, Math.min(rect.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - 220)) + "px";
    button.hidden = false;
  }

  var pending = null;
  document.addEventListener("selectionchange", function () {
    clearTimeout(pending);
    pending = setTimeout(update, 150);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { hide(); }
    // With words selected by keyboard, Alt+C opens the comment form with them.
    if (event.altKey && (event.key === "c" || event.key === "C") && chosen && button) {
      event.preventDefault();
      button.click();
    }
  });

  // Highlight the passages open threads are anchored on: the first place in the section's text that reads as the
  // quote does (markup aside). Clicking a highlight shows its thread.
  function plain(text) { return text.replace(/[*_`~#>|\\\[\]]/g, "").replace(/\s+/g, " ").trim(); }

  function highlight(column) {
    var section = document.getElementById("section-" + column.getAttribute("data-section-key"));
    var prose = section && section.querySelector(".prose");
    if (!prose) { return; }
    prose.querySelectorAll("mark.thread-mark").forEach(function (mark) {
      mark.replaceWith(document.createTextNode(mark.textContent));
    });
    prose.normalize();
    column.querySelectorAll(".thread[data-quote]:not(.is-resolved)").forEach(function (thread) {
      var wanted = plain(thread.getAttribute("data-quote"));
      if (!wanted) { return; }
      var walker = document.createTreeWalker(prose, NodeFilter.SHOW_TEXT);
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        var at = node.data.indexOf(wanted);
        if (at === -1 || node.parentElement.closest("mark")) { continue; }
        var range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + wanted.length);
        var mark = document.createElement("mark");
        mark.className = "thread-mark";
        mark.title = "Commented on: see the thread";
        mark.addEventListener("click", function () {
          thread.scrollIntoView({ block: "nearest" });
          thread.classList.add("is-focused");
          setTimeout(function () { thread.classList.remove("is-focused"); }, 1500);
        });
        range.surroundContents(mark);
        break;
      }
    });
  }

  function highlightAll() { document.querySelectorAll(".threads-col").forEach(highlight); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", highlightAll); } else { highlightAll(); }
  document.addEventListener("htmx:afterSettle", function (event) {
    var swapped = event.target;
    if (swapped && swapped.classList && swapped.classList.contains("threads-col")) { highlight(swapped); }
    if (swapped && swapped.classList && swapped.classList.contains("section")) {
      var column = document.getElementById("threads-" + swapped.id.replace(/^section-/, ""));
      if (column) { highlight(column); }
    }
  });
})();

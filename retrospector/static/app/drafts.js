// Unsaved text in a section editor is not lost: leaving the page with changes asks first, and a copy is kept in this
// browser (localStorage), keyed by retrospective, section and the version being edited, and offered back when the
// editor is opened again with different text. A successful save clears it. Without this file (or without storage)
// the editor works as before.
(function () {
  "use strict";
  var PREFIX = "retrospector:draft:";
  var MAX_AGE_MS = 30 * 24 * 3600 * 1000; // drafts older than this are dropped
  var SAVE_DELAY_MS = 300;
  var store = (function () {
    try {
      var s = window.localStorage;
      s.setItem(PREFIX + "probe", "1");
      s.removeItem(PREFIX + "probe");
      return s;
    } catch (e) {
      return null;
    }
  })();
  var timers = new WeakMap();

  function areas(root) {
    return Array.prototype.slice.call((root || document).querySelectorAll("textarea[data-draft]"));
  }
  function baseOf(area) {
    var input = area.form && area.form.querySelector("input[name=base_version]");
    return input ? input.value : "";
  }
  function isDirty(area) {
    if (area.dataset.draftDiscarded) { return false; }
    if (area.dataset.draftUnsaved === "always") { return area.value.trim() !== ""; }
    return area.value !== area.defaultValue;
  }
  function drafts(section) {
    // Every stored draft of one section ("retrospective:key"), newest first.
    var found = [];
    if (!store) { return found; }
    var prefix = PREFIX + section + ":";
    for (var i = 0; i < store.length; i++) {
      var key = store.key(i);
      if (!key || key.indexOf(prefix) !== 0) { continue; }
      try {
        var draft = JSON.parse(store.getItem(key));
        if (draft && typeof draft.text === "string") {
          draft.key = key;
          draft.base = key.slice(prefix.length);
          found.push(draft);
        }
      } catch (e) { /* not ours, or damaged: ignored */ }
    }
    return found.sort(function (a, b) { return b.at - a.at; });
  }
  function forget(section) {
    drafts(section).forEach(function (draft) { store.removeItem(draft.key); });
  }
  function dropOld() {
    if (!store) { return; }
    var now = Date.now();
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (!key || key.indexOf(PREFIX) !== 0) { continue; }
      try {
        var draft = JSON.parse(store.getItem(key));
        if (!draft || !(now - draft.at < MAX_AGE_MS)) { store.removeItem(key); }
      } catch (e) { store.removeItem(key); }
    }
  }
  function keep(area) {
    if (!store) { return; }
    var key = PREFIX + area.dataset.draft + ":" + baseOf(area);
    if (!isDirty(area)) {
      store.removeItem(key);
      return;
    }
    try {
      store.setItem(key, JSON.stringify({ text: area.value, at: Date.now() }));
    } catch (e) { /* storage full: the warning on leaving still protects the text */ }
  }
  function when(at) {
    var date = new Date(at);
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    var time = pad(date.getHours()) + ":" + pad(date.getMinutes());
    if (date.toDateString() === new Date().toDateString()) { return time; }
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric" }) + ", " + time;
  }
  function element(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function offer(area) {
    // Offers the newest draft of the section when it differs from the text in the editor.
    if (!store || area.dataset.draftOffered) { return; }
    area.dataset.draftOffered = "1";
    var found = drafts(area.dataset.draft);
    var draft = found[0];
    if (!draft) { return; }
    if (draft.text === area.value) {
      forget(area.dataset.draft);
      return;
    }
    var base = baseOf(area);
    var box = element("div", { "class": "draft-offer", "role": "group", "aria-labelledby": area.id + "-draft-q" });
    box.appendChild(element("p", { id: area.id + "-draft-q" }, "Restore your unsaved draft from " + when(draft.at) + "?"));
    var start = draft.text.replace(/\s+/g, " ").trim();
    box.appendChild(element("p", { "class": "small muted draft-start" },
      start ? "It begins: “" + (start.length > 120 ? start.slice(0, 119) + "…" : start) + "”" : "It is empty: the text was cleared."));
    if (draft.base !== base) {
      box.appendChild(element("p", { "class": "small" },
        "It was written on version " + draft.base + "; this section has been saved since (version " + base + "). " +
        "Saving the restored draft shows you both versions to merge."));
    }
    var actions = element("div", { "class": "actions" });
    var restore = element("button", { type: "button", "class": "primary small" }, "Restore draft");
    var discard = element("button", { type: "button", "class": "small" }, "Discard draft");
    actions.appendChild(restore);
    actions.appendChild(discard);
    box.appendChild(actions);
    var label = area.form.querySelector('label[for="' + area.id + '"]') || area;
    label.parentNode.insertBefore(box, label);
    restore.addEventListener("click", function () {
      var input = area.form.querySelector("input[name=base_version]");
      if (input && draft.base) { input.value = draft.base; } // a stale base: the save shows the conflict to merge
      area.value = draft.text;
      box.remove();
      area.focus();
      area.dispatchEvent(new Event("input", { bubbles: true })); // the preview and the checks follow
    });
    discard.addEventListener("click", function () {
      forget(area.dataset.draft);
      box.remove();
      area.focus();
    });
  }

  function notice(section) {
    // A section read on the retrospective's page that has a draft in this browser says so, with the way to it.
    if (!store || section.dataset.draftNoticed) { return; }
    section.dataset.draftNoticed = "1";
    var draft = drafts(section.dataset.draftSection)[0];
    var edit = section.querySelector("a[data-edit]");
    if (!draft || !edit) { return; }
    var box = element("div", { "class": "draft-offer" });
    box.appendChild(element("p", {}, "You have an unsaved draft of this section from " + when(draft.at) + " in this browser."));
    var open = element("button", { type: "button", "class": "small" }, "Open it in the editor");
    var actions = element("div", { "class": "actions" });
    actions.appendChild(open);
    box.appendChild(actions);
    var head = section.querySelector(".section-head");
    head.parentNode.insertBefore(box, head.nextSibling);
    open.addEventListener("click", function () { edit.click(); });
  }

  function setUp(root) {
    areas(root).forEach(offer);
    var scope = root && root.querySelectorAll ? root : document;
    var sections = Array.prototype.slice.call(scope.querySelectorAll("[data-draft-section]"));
    if (root && root.matches && root.matches("[data-draft-section]")) { sections.push(root); }
    sections.forEach(notice);
  }

  document.addEventListener("input", function (event) {
    var area = event.target;
    if (!area.matches || !area.matches("textarea[data-draft]")) { return; }
    clearTimeout(timers.get(area));
    timers.set(area, setTimeout(function () { keep(area); }, SAVE_DELAY_MS));
  });
  window.addEventListener("beforeunload", function (event) {
    var dirty = areas().filter(isDirty);
    if (!dirty.length) { return; }
    dirty.forEach(keep); // the copy is up to date whatever the answer
    event.preventDefault();
    event.returnValue = ""; // older browsers need it set to show the question
  });
  document.addEventListener("click", function (event) {
    // Cancelling an editor with changes asks first; cancelling drops the copy.
    var cancel = event.target.closest && event.target.closest("a[data-draft-cancel]");
    if (!cancel) { return; }
    var area = cancel.closest("form") && cancel.closest("form").querySelector("textarea[data-draft]");
    if (!area || !isDirty(area)) { return; }
    if (window.confirm("Discard your changes to this section?")) {
      clearTimeout(timers.get(area));
      area.dataset.draftDiscarded = "1"; // asked once: leaving the page does not ask again
      if (store) { forget(area.dataset.draft); }
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  }, true);
  document.addEventListener("htmx:beforeSwap", function (event) {
    // A save that went through (200: the section as saved) makes the section's drafts obsolete. (Before the swap:
    // once the form is swapped out, its events no longer reach the document.)
    var config = event.detail && event.detail.requestConfig;
    var form = config && config.elt; // what sent the request (detail.elt is the swap's target)
    if (!store || !form || form.tagName !== "FORM" || !event.detail.xhr || event.detail.xhr.status !== 200) { return; }
    var area = form.querySelector("textarea[data-draft]");
    if (area) {
      clearTimeout(timers.get(area));
      forget(area.dataset.draft);
    }
  });
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
  dropOld();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  } else {
    setUp(document);
  }
})();

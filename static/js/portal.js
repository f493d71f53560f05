/* District portal (issue 11): the error summary takes focus and its links focus their fields; and what
   was typed on a page survives signing in again after the session ended.

   Drafts: on every form submit, and just before the session warning sends the user to sign in, the
   page's typed values are kept in sessionStorage (this tab only). The sign-in page marks that a sign-in
   is under way; the first page after it puts back the values kept for its own path and says so. Any
   other page load forgets them, so a form that was posted and accepted is never refilled. Passwords,
   files and hidden fields are never kept; a field marked data-no-restore (the attestation) is left to
   the user. */
(function () {
  "use strict";
  var PREFIX = "portal-draft:";
  var SIGNING_IN = "portal-signing-in";

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  function kept(el) {
    var type = (el.type || "").toLowerCase();
    return el.id && el.name && el.name !== "csrfmiddlewaretoken" && !el.hasAttribute("data-no-restore") &&
      ["password", "file", "hidden", "submit", "button", "reset"].indexOf(type) < 0;
  }

  function saveDrafts() {
    var store = storage();
    if (!store || document.querySelector("form[data-sign-in]")) { return; }
    var values = {};
    Array.prototype.forEach.call(document.querySelectorAll("form input, form textarea, form select"), function (el) {
      if (!kept(el)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (el.checked) { values[el.id] = true; }
      } else if (el.value) {
        values[el.id] = el.value;
      }
    });
    store.setItem(PREFIX + window.location.pathname, JSON.stringify(values));
  }

  function forgetDrafts(store) {
    for (var i = store.length - 1; i >= 0; i -= 1) {
      var key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) { store.removeItem(key); }
    }
  }

  function announce(text) {
    var main = document.getElementById("main");
    if (!main) { return; }
    var note = document.createElement("p");
    note.className = "notice";
    note.setAttribute("role", "status");
    note.textContent = text;
    main.insertBefore(note, main.firstChild);
  }

  function restoreDrafts() {
    var store = storage();
    if (!store) { return; }
    if (document.querySelector("form[data-sign-in]")) {
      store.setItem(SIGNING_IN, "1");
      return;  // the values wait for the page after the sign-in
    }
    var values = null;
    if (store.getItem(SIGNING_IN)) {
      try { values = JSON.parse(store.getItem(PREFIX + window.location.pathname) || "null"); } catch (e) { values = null; }
    }
    store.removeItem(SIGNING_IN);
    forgetDrafts(store);
    if (!values) { return; }
    var restored = 0;
    Object.keys(values).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el || !kept(el)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        if (!el.checked) { el.checked = true; restored += 1; }
      } else if (!el.value) {
        el.value = values[id];
        restored += 1;
      }
    });
    if (restored) {
      announce("You were signed out, so what you had typed on this page was put back. Check it before you " +
               "send it, and choose any file again (a browser never keeps a chosen file).");
    }
  }

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    summary.focus();
    summary.addEventListener("click", function (e) {
      var link = e.target.closest("a[href^='#']");
      var field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) { return; }
      e.preventDefault();
      // The label above the field stays in view; the field itself takes the focus.
      var label = document.querySelector("label[for='" + field.id + "']");
      (label || field).scrollIntoView();
      field.focus({preventScroll: true});
    });
  }

  // A finding's row is replaced after Confirm, Dismiss or Change severity (htmx, outerHTML): the
  // button that had the focus is gone with it, and the focus would fall to the page. It goes to the
  // same control in the new row (by name and value), to the note when the row brings an error, else
  // to the row's review status, so the keyboard and a screen reader keep their place.
  var lastControl = null;
  document.addEventListener("htmx:beforeRequest", function (e) {
    var el = document.activeElement, row = e.detail && e.detail.target;
    lastControl = row && row.id ? {row: row.id, name: el && el.name, value: el && el.value} : null;
  });
  document.addEventListener("htmx:afterSwap", function () {
    var row = lastControl && document.getElementById(lastControl.row);
    if (!row || !row.classList.contains("finding")) { return; }
    var controls = row.querySelectorAll("button, select, input:not([type=hidden]), textarea");
    var target = row.querySelector(".field-error") ? row.querySelector("textarea") : null;
    if (!target && lastControl.name) {
      target = Array.prototype.find.call(controls, function (c) {
        return c.name === lastControl.name && c.value === lastControl.value;
      });
    }
    target = target || row.querySelector("select");  // the severity form just opened
    if (target && target.closest("details:not([open])")) { target = null; }  // folded away: not focusable
    if (!target) {
      target = row.querySelector(".review-cell .review");
      if (target) { target.setAttribute("tabindex", "-1"); }
    }
    if (target) { target.focus(); }
  });

  window.portalDrafts = {save: saveDrafts};
  document.addEventListener("submit", saveDrafts, true);
  restoreDrafts();
  focusErrorSummary();
})();

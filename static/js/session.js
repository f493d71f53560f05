/* Session warning (issue 11): two minutes before the idle session ends, offer "stay signed in";
   when it has ended, go to the sign-in page with this page as "next", so the user lands back here. */
(function () {
  "use strict";
  var root = document.getElementById("session-warning");
  if (!root) { return; }
  var age = parseInt(root.getAttribute("data-age"), 10) * 1000;
  var warnBefore = 120 * 1000;
  var warnTimer = null;
  var endTimer = null;
  var lastFocus = null;

  function signInAgain() {
    if (window.portalDrafts) { window.portalDrafts.save(); }  // what was typed comes back after the sign-in
    var here = window.location.pathname + window.location.search + window.location.hash;
    window.location.assign(root.getAttribute("data-login") + "?next=" + encodeURIComponent(here));
  }
  function hide() {
    root.hidden = true;
    if (lastFocus) { lastFocus.focus(); }
  }
  function show() {
    lastFocus = document.activeElement;
    root.hidden = false;
    document.getElementById("session-stay").focus();
  }
  function schedule() {
    window.clearTimeout(warnTimer);
    window.clearTimeout(endTimer);
    warnTimer = window.setTimeout(show, Math.max(age - warnBefore, 0));
    endTimer = window.setTimeout(signInAgain, age);
  }
  document.getElementById("session-stay").addEventListener("click", function () {
    var token = root.getAttribute("data-csrf");
    fetch(root.getAttribute("data-ping"), {method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error("expired"); } return r.json(); })
      .then(function (data) { age = data.expires_in * 1000; hide(); schedule(); })
      .catch(signInAgain);
  });
  root.addEventListener("keydown", function (e) { if (e.key === "Escape") { hide(); } });
  // htmx requests (status polling, finding reviews) renew the session too.
  document.body.addEventListener("htmx:afterRequest", schedule);
  schedule();
})();

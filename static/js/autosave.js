/* Autosave for the post and page editors (blogapp/revisions/views.py).
 *
 * Without this script nothing changes: Save saves. With it, the editor's text goes to
 * the server as an autosave every data-autosave-seconds and when the page is left
 * (closing the tab, going elsewhere), with the form's own CSRF token. Only text that
 * changed since the last autosave (or since the page opened) is sent. */
(function () {
  "use strict";
  var status = document.getElementById("autosave-status");
  if (!status || !window.fetch || !window.FormData) {
    return;
  }
  var form = status.closest("form");
  var url = status.getAttribute("data-autosave-url");
  var seconds = parseInt(status.getAttribute("data-autosave-seconds"), 10) || 30;
  var FIELDS = ["title", "body", "excerpt", "content_format", "status"];
  var KEEPALIVE_LIMIT = 60000; /* browsers cap keepalive bodies at 64 KiB */

  function snapshot() {
    var data = new FormData();
    data.append("csrf_token", form.elements.csrf_token.value);
    FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (field) {
        data.append(name, field.value);
      }
    });
    return data;
  }

  function fingerprint(data) {
    return FIELDS.map(function (name) { return data.get(name) || ""; }).join("\u0000");
  }

  function show(message) {
    status.textContent = message;
    status.hidden = false;
  }

  var sent = fingerprint(snapshot()); /* the server already has what the page opened with */
  var submitting = false;
  var busy = false;
  form.addEventListener("submit", function () { submitting = true; });

  function autosave(leaving) {
    if (submitting || busy) {
      return;
    }
    var data = snapshot();
    var current = fingerprint(data);
    if (current === sent) {
      return;
    }
    if (leaving) {
      /* The page is going away: a keepalive request outlives it. */
      if (current.length < KEEPALIVE_LIMIT) {
        fetch(url, {method: "POST", body: data, credentials: "same-origin", keepalive: true});
      } else if (navigator.sendBeacon) {
        navigator.sendBeacon(url, data);
      }
      sent = current;
      return;
    }
    busy = true;
    fetch(url, {method: "POST", body: data, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (answer) {
        sent = current;
        if (answer.edit_url) {
          /* A new post was just stored as a draft: from now on this page edits it. */
          form.action = answer.edit_url;
          form.elements.based_on.value = answer.based_on;
          url = answer.autosave_url;
          window.history.replaceState(null, "", answer.edit_url);
          show(answer.message);
        } else if (answer.saved) {
          show("Autosaved at " + answer.at + ". Save to keep it as a revision.");
        }
      })
      .catch(function () {
        show("Autosave did not reach the server; your text is still here. Save to keep it.");
      })
      .then(function () { busy = false; });
  }

  window.setInterval(function () { autosave(false); }, seconds * 1000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      autosave(true);
    }
  });
  window.addEventListener("pagehide", function () { autosave(true); });
}());

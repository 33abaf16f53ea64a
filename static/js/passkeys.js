// Passkeys: the only script of the site, on /account/ and /login/code.
// It asks the server for the ceremony's options, lets the browser talk to the
// authenticator, and sends the answer back through the page's ordinary form.
(function () {
  "use strict";

  function toBytes(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let binary = "";
    bytes.forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function credentialJSON(credential) {
    const response = {};
    for (const name of ["clientDataJSON", "attestationObject", "authenticatorData",
                        "signature", "userHandle"]) {
      if (credential.response[name]) response[name] = toText(credential.response[name]);
    }
    if (credential.response.getTransports) response.transports = credential.response.getTransports();
    return JSON.stringify({
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      response: response, clientExtensionResults: credential.getClientExtensionResults(),
    });
  }

  function showError(form, message) {
    const box = form.querySelector(".passkey-error");
    box.textContent = message;
    box.hidden = false;
  }

  async function options(form, body) {
    const answer = await fetch(form.dataset.options, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": form.querySelector("input[name=csrf_token]").value},
    });
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.error || "The server refused.");
    return data;
  }

  const add = document.getElementById("passkey-add");
  if (add) {
    add.addEventListener("submit", async (event) => {
      if (add.elements.credential.value) return;
      event.preventDefault();
      try {
        const data = await options(add, new FormData(add));
        data.challenge = toBytes(data.challenge);
        data.user.id = toBytes(data.user.id);
        (data.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
        const credential = await navigator.credentials.create({publicKey: data});
        add.elements.credential.value = credentialJSON(credential);
        add.submit();
      } catch (error) {
        showError(add, "No passkey was added: " + error.message);
      }
    });
  }

  const login = document.getElementById("passkey-login");
  if (login) {
    login.addEventListener("submit", async (event) => {
      if (login.elements.credential.value) return;
      event.preventDefault();
      try {
        const data = await options(login, new FormData(login));
        data.challenge = toBytes(data.challenge);
        (data.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
        const credential = await navigator.credentials.get({publicKey: data});
        login.elements.credential.value = credentialJSON(credential);
        login.submit();
      } catch (error) {
        showError(login, "The passkey did not answer: " + error.message);
      }
    });
  }
})();

import { api, showError } from "/static/common.js";

const form = document.getElementById("login-form");
// Without a secure context there is no microphone and no WebCrypto: say so instead of
// letting the clinician log in to a recorder that cannot record.
if (!window.isSecureContext) document.getElementById("insecure").hidden = false;
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  try {
    await api("POST", "/api/login", {
      username: data.get("username"),
      password: data.get("password"),
    });
  } catch (error) {
    showError(error.message || "Cannot reach the server; check the connection.");
    return;
  }
  // The server checked the target (a path on this site); the page never reads the query.
  window.location.assign(form.dataset.next || "/");
});

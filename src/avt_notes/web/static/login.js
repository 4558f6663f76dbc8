import { api, showError } from "/static/common.js";

const form = document.getElementById("login-form");
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
  const next = new URLSearchParams(window.location.search).get("next");
  window.location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/");
});

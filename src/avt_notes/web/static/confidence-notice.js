// The low-recognition-confidence notice on the draft (session) and review pages.
// Asks the server how many words the recogniser was unsure of; when the session
// reaches the configured share, a notice asks for a deeper review. Until the
// transcript exists (`ready: false`) it asks again every few seconds.

import { api, ApiError } from "/static/common.js";

const POLL_MS = 5000;
const GIVE_UP_MS = 60 * 60 * 1000;

function showNotice(root, text) {
  let notice = document.getElementById("confidence-notice");
  if (!notice) {
    notice = document.createElement("p");
    notice.id = "confidence-notice";
    notice.className = "card warn";
    notice.setAttribute("role", "status");
    const anchor = document.getElementById("draft") || root;
    anchor.prepend(notice);
  }
  notice.textContent = text; // server text, never HTML
}

async function check(root, started) {
  let found;
  try {
    found = await api("GET", `/api/sessions/${root.dataset.sessionId}/confidence`);
  } catch (error) {
    if (!(error instanceof ApiError)) found = { ready: false }; // offline: ask again later
    else return;
  }
  if (found.ready) {
    if (found.notice) showNotice(root, found.notice);
  } else if (Date.now() - started < GIVE_UP_MS) {
    setTimeout(() => check(root, started), POLL_MS);
  }
}

const root = document.querySelector("[data-session-id]");
if (root) check(root, Date.now());

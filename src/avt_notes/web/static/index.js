import { api, showError } from "/static/common.js";
import * as chunkdb from "/static/chunkdb.js";

document.getElementById("new-session").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const session = await api("POST", "/api/sessions", {
      label: document.getElementById("label").value,
      template: document.getElementById("template").value,
    });
    window.location.assign(`/sessions/${session.id}`);
  } catch (error) {
    showError(error.message || "Cannot reach the server; check the connection.");
  }
});

// Recordings whose audio is still (partly) only on this device.
async function listPending() {
  let recordings = [];
  try {
    recordings = await chunkdb.listRecordings();
  } catch (_) {
    return; // IndexedDB unavailable (private mode): nothing can be pending
  }
  const list = document.getElementById("pending-list");
  for (const rec of recordings) {
    const chunks = await chunkdb.chunksOf(rec.sessionId);
    if (!chunks.length) continue;
    const sent = chunks.filter((c) => c.uploaded).length;
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `/sessions/${rec.sessionId}`;
    link.textContent = `Recording from ${new Date(rec.startedAt).toLocaleString()}: ${sent}/${chunks.length} uploaded`;
    li.append(link);
    list.append(li);
  }
  document.getElementById("pending-local").hidden = !list.children.length;
}

listPending();

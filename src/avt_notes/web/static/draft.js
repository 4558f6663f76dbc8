// The generated draft note, drawn read-only: sections of sentences (unsupported
// ones highlighted, with the reasons as a tooltip) and the risk items for review,
// worded by the server (risk.describe: one wording everywhere).
// Everything goes in with textContent: model output is never treated as HTML.

import { api } from "/static/common.js";

function appendText(parent, tag, text, className) {
  const el = document.createElement(tag);
  el.textContent = text;
  if (className) el.className = className;
  parent.append(el);
  return el;
}

function sentenceText(item) {
  if (typeof item === "string") return item;
  return (item && (item.text || item.sentence)) || JSON.stringify(item);
}

function renderSection(parent, title, body) {
  if (title) appendText(parent, "h3", title);
  if (Array.isArray(body)) {
    const list = document.createElement("ul");
    for (const item of body) {
      const li = appendText(list, "li", sentenceText(item));
      if (item && (item.status === "unsupported" || item.supported === false)) {
        li.classList.add("unsupported");
        // Shown, not a hover tooltip: phones have no hover.
        const reason = (item.reasons || []).join("; ") || "no supporting utterance found";
        appendText(li, "span", `⚠ Not supported by the transcript: ${reason}`, "reason");
      }
    }
    parent.append(list);
  } else if (body && typeof body === "object") {
    for (const [key, value] of Object.entries(body)) renderSection(parent, key, value);
  } else {
    appendText(parent, "p", String(body ?? ""));
  }
}

// Draws a DraftNote (sections of sentences, risk items), or any other JSON sensibly.
export async function renderDraft(sessionId, box) {
  box.textContent = "";
  let data;
  try {
    data = await api("GET", `/api/sessions/${sessionId}/draft`);
  } catch (error) {
    appendText(box, "p", error.message);
    return;
  }
  const draft = data.draft || {};
  if (draft.marker) appendText(box, "p", draft.marker, "marker");
  const sections = draft.sections || [];
  if (Array.isArray(sections) && sections.length) {
    for (const section of sections) {
      const title = section.name || section.title || section.heading || section.id || "";
      const body = section.sentences || section.items || section.text || section.content || "";
      renderSection(box, title, Array.isArray(body) && !body.length ? "(nothing drafted)" : body);
    }
  } else {
    renderSection(box, "Note", draft.text || draft.markdown || draft);
  }
  const leftOut = draft.set_aside || [];
  if (Array.isArray(leftOut) && leftOut.length) {
    const box2 = document.createElement("div");
    box2.className = "set-aside";
    appendText(box2, "h3", `Left out of the draft (${leftOut.length})`);
    appendText(box2, "p", "Nothing said in the session supports these; they are not in the note.", "hint");
    const list = document.createElement("ul");
    for (const item of leftOut) {
      appendText(list, "li", `${item.section}: ${item.text} — ${(item.reasons || []).join("; ")}`);
    }
    box2.append(list);
    box.append(box2);
  }
  const flags = data.for_review || [];
  if (Array.isArray(flags) && flags.length) {
    const warn = document.createElement("div");
    warn.className = "flags";
    renderSection(warn, "For clinician review", flags);
    box.append(warn);
  }
  box.dataset.loaded = "1";
}


// The latest signed version (what the clinician signed, not the AI draft) and its amendments.
export async function renderSigned(sessionId, signed) {
  const versions = await api("GET", `/api/sessions/${sessionId}/note`);
  const latest = versions[versions.length - 1];
  document.getElementById("signed-version").textContent = `version ${latest.version}`;
  const when = new Date(latest.signed_at).toLocaleString();
  document.getElementById("signed-line").textContent = `Signed by ${latest.signer_name}, ${when}`;
  const body = document.getElementById("signed-body");
  body.textContent = "";
  for (const section of latest.sections) {
    appendText(body, "h3", section.name);
    const list = document.createElement("ul");
    for (const sentence of section.sentences) appendText(list, "li", sentenceText(sentence));
    body.append(list);
  }
  const amendments = document.getElementById("amendments");
  amendments.textContent = "";
  for (const version of versions.slice(1)) {
    appendText(amendments, "li", `Version ${version.version}: ${version.amendment_reason || ""}`);
  }
  amendments.hidden = signed.amendments === 0;
}

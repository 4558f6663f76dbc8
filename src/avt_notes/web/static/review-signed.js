// After signing: the frozen note (signer, time, hash, versions, exports) and the edit
// metrics stored at signing, shown back to the clinician.

import { clock } from "/static/review-transcript.js";

function text(parent, tag, value, className) {
  const el = document.createElement(tag);
  el.textContent = value;
  if (className) el.className = className;
  parent.append(el);
  return el;
}

function when(iso) {
  return new Date(iso).toLocaleString();
}

// `onSentence(id)` selects a signed sentence (its evidence stays traceable by id).
export function renderSigned(sessionId, versions, onSentence) {
  const latest = versions[versions.length - 1];
  const line = document.getElementById("signed-line");
  const amended = latest.amendment_reason ? ` · amendment: ${latest.amendment_reason}` : "";
  line.textContent =
    `Version ${latest.version} · signed by ${latest.signer_name} (${latest.signer_username}) ` +
    `on ${when(latest.signed_at)}${amended}`;
  const box = document.getElementById("signed-text");
  box.textContent = "";
  for (const section of latest.sections) {
    if (!section.sentences.length) continue;
    text(box, "h3", section.name);
    const p = document.createElement("p");
    section.sentences.forEach((sentence, i) => {
      if (i) p.append(" ");
      const span = text(p, "span", sentence.text, "signed-sentence");
      span.dataset.id = sentence.id;
      span.addEventListener("click", () => onSentence(sentence.id));
    });
    box.append(p);
  }
  document.getElementById("signed-hash").textContent = latest.sha256;
  const base = `/api/sessions/${sessionId}/note/export?version=${latest.version}&format=`;
  document.getElementById("export-md").href = `${base}markdown`;
  document.getElementById("export-pdf").href = `${base}pdf`;
  document.getElementById("export-fhir").href = `${base}fhir`;
  const history = document.getElementById("history");
  const list = document.getElementById("history-list");
  list.textContent = "";
  history.hidden = versions.length < 2;
  for (const version of versions.slice(0, -1).reverse()) {
    const li = text(
      list,
      "li",
      `Version ${version.version}, signed ${when(version.signed_at)} by ${version.signer_name}` +
        (version.amendment_reason ? ` (amendment: ${version.amendment_reason})` : "") + " — ",
    );
    const link = text(li, "a", "Markdown");
    link.href = `/api/sessions/${sessionId}/note/export?version=${version.version}&format=markdown`;
  }
}

const percent = (x) => `${(100 * x).toFixed(1)}%`;

export function renderMetrics(metrics) {
  const box = document.getElementById("metrics");
  box.hidden = !metrics;
  if (!metrics) return;
  const summary = document.getElementById("metrics-summary");
  summary.textContent = "";
  const rows = [
    ["Signed unchanged", metrics.signed_unchanged ? "yes" : "no"],
    [
      "Characters changed",
      `${metrics.char_distance} (${percent(metrics.normalised_edit_distance)} of the note)`,
    ],
    [
      "Words",
      `${metrics.words_inserted} inserted, ${metrics.words_deleted} deleted, ` +
        `${metrics.words_substituted} substituted (${metrics.word_distance} edits)`,
    ],
    ["Draft → signed", `${metrics.draft_chars} → ${metrics.signed_chars} characters`],
    ["Time in review", clock(metrics.review_seconds)],
    ["Audio listened to", clock(metrics.audio_seconds_played)],
    [
      "Flagged sentences",
      `${metrics.flagged_total}: ${metrics.flagged_kept_unedited} kept as drafted, ` +
        `${metrics.flagged_edited} edited, ${metrics.flagged_removed} removed`,
    ],
  ];
  for (const [term, value] of rows) {
    text(summary, "dt", term);
    text(summary, "dd", value).dataset.metric = term;
  }
  const body = document.querySelector("#metrics-sections tbody");
  body.textContent = "";
  for (const section of metrics.sections) {
    const tr = document.createElement("tr");
    text(tr, "td", section.name);
    text(tr, "td", String(section.char_distance));
    text(tr, "td", percent(section.normalised_edit_distance));
    text(
      tr,
      "td",
      `+${section.words_inserted} / −${section.words_deleted} / ~${section.words_substituted}`,
    );
    body.append(tr);
  }
  const flags = document.getElementById("metrics-flags");
  flags.textContent = "";
  for (const flag of metrics.decisions) {
    text(flags, "li", `${flag.outcome} (${flag.kind}, you chose “${flag.decision}”): ${flag.draft_text}`);
  }
}

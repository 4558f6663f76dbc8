// The review page: the draft (editable) beside the transcript. Selecting a sentence
// highlights its evidence and plays that span; selecting an utterance shows which
// sentences cite it. Flags need a decision before signing; edits autosave.

import { api, ApiError, clearError, showError } from "/static/common.js";
import { Autosaver } from "/static/review-save.js";
import { renderMetrics, renderSigned } from "/static/review-signed.js";
import {
  SpanPlayer,
  clock,
  renderSpeakers,
  renderUtterances,
  roleName,
} from "/static/review-transcript.js";

const $ = (id) => document.getElementById(id);
const root = $("review");
const sessionId = root.dataset.sessionId;
const DECISIONS = [
  ["keep", "Keep"],
  ["edit", "Edit"],
  ["remove", "Remove"],
];

let data = null; // the server's review state
let work = null; // the working copy: { sections, decisions }
let drafted = new Map(); // sentence id -> the sentence as generated (evidence, flag)
let utterances = new Map();
let selected = null;
let newIds = 0;

const player = new SpanPlayer($("player"), $("play-label"), () => saver.playedChanged());
const saver = new Autosaver(sessionId, {
  payload: () => ({
    sections: work.sections,
    decisions: work.decisions,
    audio_seconds_played: Math.round(player.played * 1000) / 1000,
  }),
  onStatus: (message) => setStatus(message),
  onConflict: (error) => {
    setStatus("Not saved: this note changed elsewhere. Reload the page to continue.");
    showError(error.message);
  },
  onError: (error) => showError(error.message),
});
let lastReportedPlay = 0;
saver.playedChanged = () => {
  if (editable() && player.played - lastReportedPlay >= 2) {
    lastReportedPlay = player.played;
    saver.dirty = true;
    saver.schedule(1500);
  }
  root.dataset.played = player.played.toFixed(2);
};

function setStatus(message) {
  $("save-state").textContent = message;
}

const editable = () => data && (data.phase === "editing" || data.phase === "amending");
const flaggedIds = () => (data.phase === "editing" ? data.flagged : []);
const unresolved = () => flaggedIds().filter((id) => !work.decisions[id]);

// --- selection -----------------------------------------------------------------------------
function evidenceOf(id) {
  const sentence = drafted.get(id);
  return sentence ? sentence.evidence.filter((u) => utterances.has(u)) : [];
}

function selectSentence(id, play = true) {
  selected = id;
  for (const el of document.querySelectorAll(".sentence, .signed-sentence")) {
    el.classList.toggle("selected", el.dataset.id === id);
    el.classList.remove("cites");
  }
  const evidence = new Set(evidenceOf(id));
  for (const li of document.querySelectorAll(".utterance")) {
    li.classList.toggle("evidence", evidence.has(li.dataset.id));
    li.classList.remove("selected");
    li.querySelector(".cited-by").hidden = true;
  }
  const first = document.querySelector(".utterance.evidence");
  if (first && window.matchMedia("(min-width: 900px)").matches) {
    first.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }
  if (play && evidence.size && $("autoplay").checked) {
    const spans = [...evidence].map((u) => utterances.get(u));
    const start = Math.min(...spans.map((u) => u.start));
    const end = Math.max(...spans.map((u) => u.end));
    player.play(start, end, "evidence");
  }
}

function selectUtterance(id) {
  const citing = [];
  for (const el of document.querySelectorAll(".sentence, .signed-sentence")) {
    const cites = evidenceOf(el.dataset.id).includes(id);
    el.classList.toggle("cites", cites);
    el.classList.remove("selected");
    if (cites) citing.push(el);
  }
  for (const li of document.querySelectorAll(".utterance")) {
    const mine = li.dataset.id === id;
    li.classList.toggle("selected", mine);
    li.classList.remove("evidence");
    const label = li.querySelector(".cited-by");
    label.hidden = !mine;
    if (mine) {
      label.textContent = citing.length
        ? `Cited by ${citing.length} sentence(s) in the note`
        : "Not cited by any sentence";
    }
  }
  if (citing.length) citing[0].scrollIntoView({ block: "nearest", behavior: "smooth" });
  const u = utterances.get(id);
  if (u && $("autoplay").checked) player.play(u.start, u.end, roleName(u.role));
}

// --- the editable note -------------------------------------------------------------------------
function autosize(area) {
  area.style.height = "auto";
  area.style.height = `${area.scrollHeight + 2}px`;
}

function changed() {
  saver.changed();
  updateFlags();
}

function sentenceElement(sentence) {
  const draft = drafted.get(sentence.id);
  const flag = data.phase === "editing" && draft ? draft.flagged : null;
  const decision = work.decisions[sentence.id];
  const box = document.createElement("div");
  box.className = "sentence";
  box.dataset.id = sentence.id;
  box.classList.toggle("flagged", Boolean(flag));
  box.classList.toggle(`flag-${flag}`, Boolean(flag));
  box.classList.toggle("decided", Boolean(flag && decision));
  box.classList.toggle("removed", sentence.removed);
  const area = document.createElement("textarea");
  area.rows = 1;
  area.value = sentence.text;
  area.setAttribute("aria-label", "Sentence");
  area.readOnly = sentence.removed;
  area.addEventListener("input", () => {
    sentence.text = area.value;
    autosize(area);
    changed();
  });
  area.addEventListener("focus", () => {
    if (selected !== sentence.id) selectSentence(sentence.id);
  });
  box.addEventListener("click", (event) => {
    if (event.target === box) selectSentence(sentence.id);
  });
  const meta = document.createElement("div");
  meta.className = "meta";
  for (const id of draft ? draft.evidence : []) {
    const u = utterances.get(id);
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "ev";
    chip.textContent = u ? `▶ ${clock(u.start)}` : "evidence";
    chip.setAttribute("aria-label", u ? `Evidence at ${clock(u.start)}` : "Evidence");
    chip.addEventListener("click", () => selectSentence(sentence.id));
    meta.append(chip);
  }
  if (draft && !draft.evidence.length) meta.append("no evidence cited");
  if (!draft) meta.append("added by you");
  const unsure = draft ? data.unsure[sentence.id] || [] : [];
  if (unsure.length) {
    // A misheard word reads as a fact in a sentence ("coil the children" for "call").
    const hint = document.createElement("span");
    hint.className = "unsure-text";
    hint.textContent =
      `Recognition was unsure of ${unsure.map((w) => `“${w}”`).join(", ")}: ` +
      "listen to the evidence before signing.";
    meta.append(hint);
  }
  if (flag) {
    const why = document.createElement("span");
    why.className = "flag-text";
    why.textContent =
      flag === "risk"
        ? `⚑ For clinician review (not a risk assessment): ${draft.reasons.join("; ")}`
        : `⚠ Not supported by the transcript: ${draft.reasons.join("; ") || "no supporting utterance"}`;
    meta.append(why);
    const group = document.createElement("div");
    group.className = "decide";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "Decision");
    for (const [value, label] of DECISIONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.decision = value;
      button.textContent = label;
      button.setAttribute("aria-pressed", String(decision === value));
      button.addEventListener("click", () => decide(sentence, value));
      group.append(button);
    }
    meta.append(group);
  } else {
    const drop = document.createElement("button");
    drop.type = "button";
    drop.className = "drop";
    drop.textContent = sentence.removed ? "Undo remove" : "Remove";
    drop.addEventListener("click", () => {
      sentence.removed = !sentence.removed;
      replaceSentence(sentence);
      changed();
    });
    meta.append(drop);
  }
  box.append(area, meta);
  const inline = document.createElement("div");
  inline.className = "inline-evidence";
  for (const id of evidenceOf(sentence.id)) {
    const u = utterances.get(id);
    const p = document.createElement("p");
    p.textContent = `[${clock(u.start)}] ${roleName(u.role)}: ${u.text}`;
    inline.append(p);
  }
  if (inline.childElementCount) box.append(inline);
  requestAnimationFrame(() => autosize(area));
  return box;
}

function replaceSentence(sentence) {
  const old = document.querySelector(`.sentence[data-id="${CSS.escape(sentence.id)}"]`);
  const fresh = sentenceElement(sentence);
  fresh.classList.toggle("selected", selected === sentence.id);
  old.replaceWith(fresh);
  return fresh;
}

function decide(sentence, decision) {
  work.decisions[sentence.id] = decision;
  sentence.removed = decision === "remove";
  const fresh = replaceSentence(sentence);
  if (decision === "edit") fresh.querySelector("textarea").focus();
  changed();
}

function renderNote() {
  const box = $("note");
  box.textContent = "";
  for (const section of work.sections) {
    const h3 = document.createElement("h3");
    h3.textContent = section.name;
    box.append(h3);
    const list = document.createElement("div");
    list.className = "section";
    list.dataset.name = section.name;
    for (const sentence of section.sentences) list.append(sentenceElement(sentence));
    box.append(list);
    const add = document.createElement("button");
    add.type = "button";
    add.className = "add-sentence";
    add.textContent = `+ Add a sentence to ${section.name}`;
    add.addEventListener("click", () => {
      const sentence = { id: `n${Date.now().toString(36)}-${newIds++}`, text: "", removed: false };
      section.sentences.push(sentence);
      const el = sentenceElement(sentence);
      list.append(el);
      el.querySelector("textarea").focus();
      changed();
    });
    box.append(add);
  }
  updateFlags();
}

function updateFlags() {
  const all = flaggedIds();
  const open = unresolved();
  const summary = $("flag-summary");
  summary.hidden = !all.length;
  summary.classList.toggle("done", !open.length);
  summary.textContent = open.length
    ? `${open.length} of ${all.length} flagged sentence(s) need your decision (keep, edit or remove) before signing.`
    : `All ${all.length} flagged sentence(s) decided.`;
  const blockers = $("sign-blockers");
  blockers.hidden = !open.length;
  blockers.textContent = open.length ? `Decide on ${open.length} flagged sentence(s) first.` : "";
  $("sign-button").disabled = open.length > 0;
}

// --- transcript and roles ----------------------------------------------------------------------
function renderTranscript() {
  const transcript = data.transcript;
  $("no-transcript").hidden = Boolean(transcript);
  if (!transcript) {
    utterances = new Map();
    $("utterances").textContent = "";
    $("speakers").textContent = "";
    $("swap-roles").hidden = true;
    return;
  }
  utterances = renderUtterances($("utterances"), transcript, data.low_confidence, selectUtterance);
  renderSpeakers($("speakers"), $("swap-roles"), transcript, editable(), changeRoles);
}

async function changeRoles(roles) {
  clearError();
  try {
    await saver.flush();
    data = await api("POST", `/api/sessions/${sessionId}/review/roles`, { roles });
    saver.revision = data.revision;
    renderTranscript();
    renderNote();
    setStatus("Speaker roles updated");
  } catch (error) {
    showError(error.message);
  }
}

// --- signing ----------------------------------------------------------------------------
// Signing problems show beside the sign button, where the clinician is looking.
function showSignError(message) {
  const box = $("sign-error");
  box.textContent = message;
  box.hidden = !message;
  // The button sits below the message: bringing it into view shows both, clear of the audio bar.
  if (message) $("sign-button").scrollIntoView({ block: "nearest" });
}

async function sign() {
  clearError();
  showSignError("");
  if (!$("attest").checked) return showSignError("Tick the attestation to sign the note.");
  const password = $("sign-password").value;
  if (!password) return showSignError("Enter your password to sign.");
  const amending = data.phase === "amending";
  const reason = $("reason").value.trim();
  if (amending && !reason) return showSignError("Give a reason for the amendment.");
  $("sign-button").disabled = true;
  try {
    if (!(await saver.flush())) throw new Error("The latest edits could not be saved; not signed.");
    const body = { attest: true, password, reason: amending ? reason : null };
    data = await api("POST", `/api/sessions/${sessionId}/sign`, body);
    saver.forgetLocal();
    $("sign-password").value = "";
    $("attest").checked = false;
    $("reason").value = "";
    render();
    setStatus(amending ? "Amendment signed" : "Signed");
    window.scrollTo({ top: 0, behavior: "smooth" });
  } catch (error) {
    if (error instanceof ApiError && error.body.unresolved) {
      data.flagged = [...new Set([...data.flagged, ...error.body.unresolved])];
      updateFlags();
    }
    if (error instanceof ApiError && (error.status === 401 || error.status === 429)) {
      showError(error.message); // logged out or locked: the page-level message
    }
    showSignError(error.message);
  } finally {
    $("sign-button").disabled = editable() && unresolved().length > 0;
  }
}

async function amend(start) {
  clearError();
  try {
    data = await api("POST", `/api/sessions/${sessionId}/amend${start ? "" : "/cancel"}`);
    render();
  } catch (error) {
    showError(error.message);
  }
}

// --- what the checker kept out of the draft (drafting.set_aside) ----------------------------
function renderSetAside(items) {
  const list = $("set-aside-list");
  list.textContent = "";
  for (const item of items) {
    const li = document.createElement("li");
    li.textContent = `${item.section}: ${item.text}`;
    const why = document.createElement("span");
    why.className = "reason";
    why.textContent = ` — ${item.reasons.join("; ")}`;
    li.append(why);
    list.append(li);
  }
  $("set-aside-title").textContent = `Left out of the draft (${items.length})`;
  $("set-aside").hidden = items.length === 0;
}

// --- the whole page ---------------------------------------------------------------------------
function render() {
  root.dataset.phase = data.phase;
  drafted = new Map();
  for (const section of data.draft.sections) {
    for (const sentence of section.sentences) drafted.set(sentence.id, sentence);
  }
  work = structuredClone(data.working);
  saver.revision = data.revision;
  saver.stopped = !editable();
  renderTranscript();
  $("marker").textContent = data.phase === "editing" ? data.draft.marker : "";
  const signed = data.phase === "signed";
  $("note").hidden = signed;
  $("signed").hidden = !signed;
  $("sign-panel").hidden = signed;
  $("amend-cancel").hidden = data.phase !== "amending";
  $("reason-row").hidden = data.phase !== "amending";
  $("sign-title").textContent = data.phase === "amending" ? "Sign the amendment" : "Sign the note";
  $("sign-button").textContent = data.phase === "amending" ? "Sign amendment" : "Sign note";
  $("attest-text").textContent = data.attestation;
  if (data.versions.length) renderSigned(sessionId, data.versions, (id) => selectSentence(id));
  renderMetrics(data.metrics);
  if (editable()) renderNote();
  else $("flag-summary").hidden = true;
  renderSetAside(signed ? [] : data.draft.set_aside || []);
  player.played = Math.max(player.played, data.audio_seconds_played || 0);
  lastReportedPlay = player.played;
  const hasAudio = data.session.has_audio;
  $("no-audio").hidden = hasAudio;
  $("player").hidden = !hasAudio;
  if (hasAudio && !$("player").src) $("player").src = `/api/sessions/${sessionId}/audio`;
}

function restoreLocal() {
  const local = saver.takeLocal();
  if (!local || !editable()) return;
  if (local.revision === data.revision) {
    work = local.work;
    work.decisions = work.decisions || {};
    player.played = Math.max(player.played, local.work.audio_seconds_played || 0);
    delete work.audio_seconds_played;
    renderNote();
    saver.changed();
    setStatus("Restored edits kept on this device; saving…");
  } else {
    // The server moved on: either it got these edits (a save sent as the tab closed) or
    // another device saved after them; the server's copy wins.
    saver.forgetLocal();
    const same = JSON.stringify(local.work.sections) === JSON.stringify(data.working.sections);
    if (!same) setStatus("A newer version saved on another device was loaded");
  }
}

function setupTabs() {
  const tabs = { "tab-note": "note", "tab-transcript": "transcript" };
  for (const [id, name] of Object.entries(tabs)) {
    $(id).addEventListener("click", () => {
      root.dataset.tab = name;
      for (const other of Object.keys(tabs)) $(other).setAttribute("aria-selected", String(other === id));
    });
  }
  root.dataset.tab = "note";
}

async function load() {
  setupTabs();
  $("sign-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sign();
  });
  $("amend").addEventListener("click", () => amend(true));
  $("amend-cancel").addEventListener("click", () => amend(false));
  try {
    data = await api("GET", `/api/sessions/${sessionId}/review`);
  } catch (error) {
    setStatus(error.message);
    if (error instanceof ApiError && error.status === 401) window.location.assign("/login");
    return;
  }
  render();
  restoreLocal();
  if ($("save-state").textContent === "Loading…") {
    setStatus(data.phase === "signed" ? "Signed" : "All changes saved");
  }
  root.dataset.loaded = "1";
}

load();

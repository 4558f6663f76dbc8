// The session page: consent gate → record (or upload a file) → processing → draft.
// The state line always says where the audio is: on the phone, uploaded, processed.

import { api, ApiError, clearError, showError } from "/static/common.js";
import * as chunkdb from "/static/chunkdb.js";
import { Recorder, formatElapsed } from "/static/recorder.js";
import { Uploader, sha256Hex } from "/static/uploader.js";
import { renderDraft, renderSigned } from "/static/draft.js";

const root = document.getElementById("session");
const sessionId = root.dataset.sessionId;
const chunkMs = Number(root.dataset.chunkMs) || 4000;
const $ = (id) => document.getElementById(id);
const stateLine = $("state-line");

let session = null;
let recorder = null;
let meta = null; // this recording's bookkeeping in IndexedDB
let saving = Promise.resolve(); // chunks are saved strictly in order
let pollTimer = null;
let finishing = false;

const uploader = new Uploader(sessionId, {
  onStatus: () => updateStateLine(),
  onStopped: (error) => {
    if (error.status === 401) {
      showLoginAgain();
    } else {
      showError(`${error.message} The chunk is kept on this device.`);
    }
    updateStateLine();
  },
});

function show(...ids) {
  for (const id of ["consent", "declined", "withdrawn", "resume", "recorder", "processing", "draft", "signed", "danger", "controls"]) {
    $(id).hidden = !ids.includes(id);
  }
}

function showLoginAgain() {
  const box = $("error");
  box.textContent = "Your login expired. Recorded audio is kept on this device. ";
  const link = document.createElement("a");
  link.href = `/login?next=/sessions/${sessionId}`;
  link.textContent = "Log in again to continue uploading.";
  box.append(link);
  box.hidden = false;
}

async function localCounts() {
  const chunks = await chunkdb.chunksOf(sessionId);
  return { saved: chunks.length, uploaded: chunks.filter((c) => c.uploaded).length };
}

async function updateStateLine(prefix) {
  if (prefix !== undefined) stateLine.dataset.prefix = prefix;
  const lead = stateLine.dataset.prefix || "";
  if (!meta) {
    stateLine.textContent = lead;
    return;
  }
  const { saved, uploaded } = await localCounts();
  const parts = [lead, `saved on phone ${saved}`, `uploaded ${uploaded}/${saved}`];
  if (uploader.stopped) parts.push("upload stopped");
  else if (uploader.offline) parts.push(`offline, retrying in ${Math.round(uploader.retryIn / 1000)} s`);
  else if (uploader.retryIn) parts.push(`server busy, retrying in ${Math.round(uploader.retryIn / 1000)} s`);
  stateLine.textContent = parts.filter(Boolean).join(" · ");
  stateLine.dataset.saved = saved;
  stateLine.dataset.uploaded = uploaded;
}

// --- consent -------------------------------------------------------------------
$("consent-submit").addEventListener("click", async () => {
  const choice = document.querySelector('input[name="consent"]:checked');
  if (!choice) {
    showError("Choose how the patient responded.");
    return;
  }
  try {
    session = await api("POST", `/api/sessions/${sessionId}/consent`, {
      method: choice.value,
      notice_sha256: root.dataset.noticeSha,
      language_group: $("language-group")?.value || null,
    });
    clearError();
    render();
  } catch (error) {
    showError(error.message);
  }
});

// --- recording -----------------------------------------------------------------
async function saveChunk(seq, blob, mime) {
  const sha256 = await sha256Hex(blob);
  await chunkdb.putChunk({ sessionId, seq, blob, mime, sha256, uploaded: false, savedAt: Date.now() });
  meta.nextSeq = Math.max(meta.nextSeq, seq + 1);
  meta.mime = mime;
  await chunkdb.putRecording(meta);
  updateStateLine();
  uploader.kick().catch(() => {});
}

$("rec-start").addEventListener("click", async () => {
  clearError();
  recorder = new Recorder({
    timesliceMs: chunkMs,
    onChunk: (seq, blob, mime) => {
      saving = saving.then(() => saveChunk(seq, blob, mime)).catch((error) => {
        showError(`Could not save audio on this device: ${error.message}`);
      });
    },
    onLevel: (level) => { $("level").style.width = `${Math.round(level * 100)}%`; },
    onTick: (ms) => { $("elapsed").textContent = formatElapsed(ms); },
  });
  try {
    meta = { sessionId, mime: "", nextSeq: 0, stopped: false, startedAt: Date.now() };
    await chunkdb.putRecording(meta);
    await recorder.start();
  } catch (error) {
    await chunkdb.forget(sessionId);
    meta = null;
    showError(error.name === "NotAllowedError" ? "Microphone access was refused." : error.message);
    return;
  }
  $("rec-start").hidden = true;
  $("rec-pause").hidden = false;
  $("rec-stop").hidden = false;
  $("file-upload").hidden = true;
  root.dataset.recording = "1";
  updateStateLine("Recording");
});

$("rec-pause").addEventListener("click", () => {
  if (recorder.state === "recording") {
    recorder.pause();
    $("rec-pause").textContent = "Resume";
    updateStateLine("Paused");
  } else {
    recorder.resume();
    $("rec-pause").textContent = "Pause";
    updateStateLine("Recording");
  }
});

$("rec-stop").addEventListener("click", async () => {
  $("rec-stop").disabled = true;
  $("rec-pause").hidden = true;
  await recorder.stop();
  await saving;
  meta.stopped = true;
  await chunkdb.putRecording(meta);
  root.dataset.recording = "";
  await uploadAndFinish();
});

async function uploadAndFinish() {
  if (finishing) return;
  finishing = true;
  try {
    updateStateLine("Stopped, uploading");
    await uploader.kick();
    const total = meta.nextSeq;
    updateStateLine("Uploaded, assembling");
    try {
      session = await api("POST", `/api/sessions/${sessionId}/finish`, { total_chunks: total });
    } catch (error) {
      if (error instanceof ApiError && error.status === 409 && error.body.missing) {
        for (const seq of error.body.missing) await chunkdb.markUploaded(sessionId, seq, false);
        finishing = false;
        return uploadAndFinish(); // re-send what the server lacks
      }
      throw error;
    }
    await chunkdb.forget(sessionId);
    meta = null;
    clearError();
    stateLine.dataset.prefix = "";
    render();
  } catch (error) {
    if (error.status === 401) showLoginAgain();
    else if (error.message) showError(`${error.message} Audio is kept on this device.`);
    updateStateLine("Not finished");
    showResume();
  } finally {
    finishing = false;
  }
}

async function showResume() {
  const { saved, uploaded } = await localCounts();
  $("resume-text").textContent = saved
    ? `${saved} chunk(s) of this recording are on this device, ${uploaded} uploaded. ` +
      "Resume the upload, or upload everything and finish the session."
    : `The server holds ${session ? session.chunks : 0} chunk(s) of this recording; nothing ` +
      "else is on this device. Finish the session with the audio the server has.";
  $("resume-upload").hidden = !saved;
  $("resume").hidden = false;
  $("controls").hidden = true;
}

$("resume-upload").addEventListener("click", async () => {
  clearError();
  uploader.stopped = null;
  try {
    await uploader.kick();
  } catch (_) { /* shown by onStopped */ }
});

$("resume-finish").addEventListener("click", async () => {
  clearError();
  uploader.stopped = null;
  if (!meta) {
    // Nothing on this device: finish with what the server already holds.
    try {
      const chunks = await api("GET", `/api/sessions/${sessionId}/chunks`);
      const total = chunks.received.length ? Math.max(...chunks.received) + 1 : 0;
      session = await api("POST", `/api/sessions/${sessionId}/finish`, { total_chunks: total });
      render();
    } catch (error) {
      showError(error.message);
    }
    return;
  }
  meta.stopped = true;
  await chunkdb.putRecording(meta);
  await uploadAndFinish();
});

// --- existing file -------------------------------------------------------------------
$("file-send").addEventListener("click", () => {
  const file = $("file-input").files[0];
  if (!file) {
    showError("Choose a file first.");
    return;
  }
  clearError();
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/api/sessions/${sessionId}/file`);
  xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
  xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name).slice(0, 200));
  xhr.setRequestHeader("X-CSRF-Token", document.querySelector('meta[name="csrf-token"]').content);
  const bar = $("file-progress");
  bar.hidden = false;
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = e.loaded / e.total; };
  xhr.onload = () => {
    bar.hidden = true;
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
    if (xhr.status >= 200 && xhr.status < 300) {
      session = body;
      render();
    } else {
      showError(body.detail || `Upload failed (${xhr.status}).`);
    }
  };
  xhr.onerror = () => {
    bar.hidden = true;
    showError("The upload did not reach the server; check the connection and try again.");
  };
  xhr.send(file);
});

// --- withdrawal ------------------------------------------------------------------------
$("withdraw").addEventListener("click", async () => {
  if (!window.confirm("Delete this session's audio because the patient withdrew consent?")) return;
  try {
    if (recorder && recorder.state !== "stopped") await recorder.stop();
    uploader.stopped = new Error("withdrawn");
    session = await api("POST", `/api/sessions/${sessionId}/withdraw`);
    await chunkdb.forget(sessionId);
    meta = null;
    clearError();
    render();
  } catch (error) {
    showError(error.message);
  }
});

// --- processing and the draft --------------------------------------------------------------
$("retry").addEventListener("click", async () => {
  try {
    session = await api("POST", `/api/sessions/${sessionId}/retry`);
    clearError();
    render();
  } catch (error) {
    showError(error.message);
  }
});

function schedulePoll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    try {
      session = await api("GET", `/api/sessions/${sessionId}`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        showLoginAgain();
        return;
      }
    }
    render();
  }, 1500);
}

function aboutTime(seconds) {
  if (seconds < 60) return "less than a minute";
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? "about 1 minute" : `about ${minutes} minutes`;
}

// "Transcribing · 46% done · about 2 minutes left": the whole job, not the stage.
function progressText(job) {
  const stage = job.stage ? job.stage[0].toUpperCase() + job.stage.slice(1) : "Processing";
  if (job.overall === null || job.overall === undefined) return `${stage} ${Math.round(job.progress * 100)}%`;
  const left = job.seconds_left === null ? "estimating time left" : `${aboutTime(job.seconds_left)} left`;
  return `${stage} · ${Math.round(job.overall * 100)}% done · ${left}`;
}

function renderProgress() {
  const job = session.job;
  const text = $("progress-text");
  const bar = $("progress-bar");
  $("retry").hidden = session.state !== "failed";
  $("job-error").hidden = session.state !== "failed";
  if (session.state === "failed") {
    text.textContent = "Processing failed.";
    $("job-error").textContent = (job && job.error) || "Unknown reason.";
    bar.hidden = true;
    return;
  }
  bar.hidden = false;
  if (!job || job.status === "queued") {
    text.textContent = job && job.stage ? job.stage : "Queued for processing";
    bar.removeAttribute("value");
  } else {
    text.textContent = progressText(job);
    bar.value = job.overall ?? job.progress;
  }
  schedulePoll();
}

// --- page state -----------------------------------------------------------------------------------
async function render() {
  root.dataset.state = session.state;
  const warning = $("audio-warning");
  warning.textContent = session.audio_warning || "";
  warning.hidden = !session.audio_warning;
  const s = session.state;
  if (root.dataset.recording === "1") return; // a live recording keeps its own view
  if (s === "consent") {
    show("consent");
    updateStateLine("Consent needed before recording");
  } else if (s === "declined") {
    show("declined");
    updateStateLine("Patient declined");
  } else if (s === "withdrawn") {
    show("withdrawn");
    updateStateLine("Consent withdrawn; audio deleted");
  } else if (s === "ready" || s === "recording") {
    meta = (await chunkdb.getRecording(sessionId)) || null;
    const pending = meta ? (await chunkdb.pendingChunks(sessionId)).length : 0;
    if (s === "ready" && (!meta || meta.nextSeq === 0)) {
      show("recorder", "controls", "danger");
      $("rec-start").hidden = false;
      $("file-upload").hidden = false;
      updateStateLine("Ready to record");
    } else {
      show("danger");
      updateStateLine(pending ? "Unsent audio on this device" : `Recording not finished (${session.chunks} chunks on server)`);
      showResume();
    }
  } else if (s === "signed") {
    show("signed", "danger");
    const signed = session.signed;
    updateStateLine(signed.amending ? "Signed · an amendment is being edited" : "Signed");
    await renderSigned(sessionId, signed);
  } else if (s === "done") {
    show("draft", "danger");
    updateStateLine(`Done · ${Math.round(session.audio_seconds || 0)} s of audio`);
    await renderDraft(sessionId, $("draft-body"));
  } else {
    show("processing", "danger");
    updateStateLine(s === "failed" ? "Processing failed" : "Processing");
    renderProgress();
  }
}

async function load() {
  try {
    session = await api("GET", `/api/sessions/${sessionId}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) window.location.assign(`/login?next=/sessions/${sessionId}`);
    else showError(error.message);
    return;
  }
  await render();
}

window.addEventListener("beforeunload", (event) => {
  if (root.dataset.recording === "1") event.preventDefault();
});

load();

// Autosave for the review: every change goes to localStorage at once (closing the tab
// loses nothing), then to the server after a short pause, one save at a time, each
// naming the revision it builds on (a stale tab gets 409 instead of overwriting).

import { api, ApiError, csrfToken } from "/static/common.js";

const PAUSE_MS = 1200;
const RETRY_MS = 5000;

export class Autosaver {
  constructor(sessionId, { payload, onStatus, onConflict, onError }) {
    this.url = `/api/sessions/${sessionId}/review`;
    this.key = `avt-review-${sessionId}`;
    this.payload = payload; // () => ({ sections, decisions, audio_seconds_played })
    this.onStatus = onStatus;
    this.onConflict = onConflict;
    this.onError = onError;
    this.revision = 0;
    this.dirty = false;
    this.timer = null;
    this.saving = null;
    this.stopped = false;
    // Hidden (another app, another tab): save now. Unloading: a keepalive request, after
    // which this page's revision is unknown, so a page restored from the back-forward
    // cache reloads rather than saving on top of it.
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") this.flush();
    });
    window.addEventListener("pagehide", () => this.keepalive());
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) window.location.reload();
    });
  }

  // What this device kept from an earlier visit (edits not yet on the server), or null.
  takeLocal() {
    try {
      const saved = JSON.parse(localStorage.getItem(this.key) || "null");
      return saved && saved.dirty ? saved : null;
    } catch (_) {
      return null;
    }
  }

  forgetLocal() {
    localStorage.removeItem(this.key);
  }

  writeLocal() {
    const record = { revision: this.revision, work: this.payload(), dirty: true, at: Date.now() };
    try {
      localStorage.setItem(this.key, JSON.stringify(record));
    } catch (_) {
      /* storage full or disabled: the server copy is all there is */
    }
  }

  changed() {
    if (this.stopped) return;
    this.dirty = true;
    this.writeLocal();
    this.onStatus("Saved on this device…");
    this.schedule(PAUSE_MS);
  }

  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), ms);
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  async flush() {
    clearTimeout(this.timer);
    while (this.saving) await this.saving;
    if (!this.dirty || this.stopped) return true;
    this.dirty = false;
    const body = { revision: this.revision, ...this.payload() };
    this.onStatus("Saving…");
    this.saving = (async () => {
      try {
        const saved = await api("PUT", this.url, body);
        this.revision = saved.revision;
        if (this.dirty) {
          this.writeLocal();
        } else {
          this.forgetLocal();
          this.onStatus(`All changes saved · ${new Date(saved.updated_at).toLocaleTimeString()}`);
        }
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) {
          this.stop();
          this.onConflict(error);
          return false;
        }
        this.dirty = true;
        if (error instanceof ApiError && error.status < 500 && error.status !== 408) {
          this.stop();
          this.onError(error);
          return false;
        }
        this.onStatus("Offline: edits are kept on this device and will be sent when possible");
        this.schedule(RETRY_MS);
        return false;
      } finally {
        this.saving = null;
      }
    })();
    return this.saving;
  }

  // The page is going away: send what is pending without waiting for an answer.
  keepalive() {
    if (!this.dirty || this.stopped) return;
    this.writeLocal();
    this.stop();
    const body = JSON.stringify({ revision: this.revision, ...this.payload() });
    try {
      fetch(this.url, {
        method: "PUT",
        keepalive: true,
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body,
      });
    } catch (_) {
      /* localStorage still has it */
    }
  }
}

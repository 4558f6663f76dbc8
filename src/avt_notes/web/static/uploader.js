// Sends chunks saved in IndexedDB to the server, in order, one at a time.
// A chunk counts as uploaded only when the server acknowledged it (2xx), which
// it does after the chunk is durably stored. Network failures and 5xx retry
// with exponential backoff (and at once when the browser comes back online);
// any other 4xx stops the queue and is shown, with the chunk kept locally.

import { csrfToken } from "/static/common.js";
import * as chunkdb from "/static/chunkdb.js";

const MAX_DELAY_MS = 10000;

export class UploadStopped extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export class Uploader {
  constructor(sessionId, { onStatus = () => {}, onStopped = () => {} } = {}) {
    this.sessionId = sessionId;
    this.onStatus = onStatus;
    this.onStopped = onStopped;
    this.running = null;
    this.again = false;
    this.stopped = null;
    this.offline = false;
    this.retryIn = 0;
    this._wakeUp = null;
    window.addEventListener("online", () => this.wake());
  }

  wake() {
    if (this._wakeUp) this._wakeUp();
  }

  // Start (or continue) draining; resolves when nothing is pending.
  kick() {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this._drain().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async _drain() {
    do {
      this.again = false;
      const pending = await chunkdb.pendingChunks(this.sessionId);
      for (const chunk of pending) {
        if (this.stopped) throw this.stopped;
        await this._send(chunk);
      }
    } while (this.again || (await chunkdb.pendingChunks(this.sessionId)).length);
    this.onStatus();
  }

  async _send(chunk) {
    let delay = 1000;
    for (;;) {
      let response;
      try {
        response = await fetch(`/api/sessions/${this.sessionId}/chunks/${chunk.seq}`, {
          method: "PUT",
          body: chunk.blob,
          credentials: "same-origin",
          headers: {
            "Content-Type": chunk.mime,
            "X-Chunk-SHA256": chunk.sha256,
            "X-CSRF-Token": csrfToken(),
          },
        });
      } catch (_) {
        response = null; // offline or the server is unreachable
      }
      if (response && response.ok) {
        await chunkdb.markUploaded(this.sessionId, chunk.seq);
        this.offline = false;
        this.retryIn = 0;
        this.onStatus();
        return;
      }
      if (response && response.status < 500 && response.status !== 408 && response.status !== 429) {
        let detail = `upload failed (${response.status})`;
        try {
          detail = (await response.json()).detail || detail;
        } catch (_) { /* keep the generic message */ }
        this.stopped = new UploadStopped(response.status, `Chunk ${chunk.seq}: ${detail}`);
        this.onStopped(this.stopped);
        throw this.stopped;
      }
      this.offline = !response;
      this.retryIn = delay;
      this.onStatus();
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, delay);
        this._wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this._wakeUp = null;
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}

export async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

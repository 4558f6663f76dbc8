// MediaRecorder in short timeslices, with pause/resume, elapsed time, an input
// level meter and a screen wake lock. Each timeslice is handed to `onChunk`
// with its sequence number; numbering is synchronous so order never depends on
// how long saving takes.

const CANDIDATE_TYPES = [
  "audio/webm;codecs=opus", // Chrome, Edge, Firefox, Android
  "audio/mp4;codecs=mp4a.40.2", // Safari, iOS
  "audio/mp4",
  "audio/ogg;codecs=opus",
  "audio/webm",
];

export function pickMimeType() {
  if (typeof MediaRecorder === "undefined") return null;
  return CANDIDATE_TYPES.find((t) => MediaRecorder.isTypeSupported(t)) || "";
}

export class Recorder {
  constructor({ timesliceMs, onChunk, onLevel = () => {}, onTick = () => {} }) {
    this.timesliceMs = timesliceMs;
    this.onChunk = onChunk;
    this.onLevel = onLevel;
    this.onTick = onTick;
    this.seq = 0;
    this.state = "idle";
    this.elapsedMs = 0;
    this.runningSince = 0;
    this.wakeLock = null;
    this._onVisible = () => {
      if (document.visibilityState === "visible" && this.state === "recording") this._lockScreen();
    };
  }

  get mimeType() {
    return (this.media && this.media.mimeType) || this.requestedType || "audio/webm";
  }

  elapsed() {
    return this.elapsedMs + (this.state === "recording" ? performance.now() - this.runningSince : 0);
  }

  async start() {
    if (!navigator.mediaDevices || typeof MediaRecorder === "undefined") {
      throw new Error("This browser cannot record audio (needs HTTPS and a recent browser).");
    }
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: true },
    });
    this.requestedType = pickMimeType();
    const options = { audioBitsPerSecond: 64000 };
    if (this.requestedType) options.mimeType = this.requestedType;
    this.media = new MediaRecorder(this.stream, options);
    this.stopped = new Promise((resolve) => this.media.addEventListener("stop", resolve));
    this.media.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size > 0) this.onChunk(this.seq++, event.data, this.mimeType);
    });
    this._startMeter();
    this.media.start(this.timesliceMs);
    this.state = "recording";
    this.runningSince = performance.now();
    this._timer = setInterval(() => this.onTick(this.elapsed()), 250);
    document.addEventListener("visibilitychange", this._onVisible);
    await this._lockScreen();
  }

  pause() {
    if (this.state !== "recording") return;
    this.media.pause();
    this.elapsedMs += performance.now() - this.runningSince;
    this.state = "paused";
  }

  resume() {
    if (this.state !== "paused") return;
    this.media.resume();
    this.runningSince = performance.now();
    this.state = "recording";
  }

  // Resolves after the last chunk has been handed to onChunk.
  async stop() {
    if (this.state === "idle" || this.state === "stopped") return;
    if (this.state === "recording") this.elapsedMs += performance.now() - this.runningSince;
    this.state = "stopped";
    this.media.stop();
    await this.stopped;
    clearInterval(this._timer);
    this.onTick(this.elapsedMs);
    this.stream.getTracks().forEach((t) => t.stop());
    if (this.audioContext) this.audioContext.close();
    document.removeEventListener("visibilitychange", this._onVisible);
    if (this.wakeLock) this.wakeLock.release().catch(() => {});
    this.wakeLock = null;
  }

  async _lockScreen() {
    try {
      if ("wakeLock" in navigator) this.wakeLock = await navigator.wakeLock.request("screen");
    } catch (_) {
      this.wakeLock = null; // not allowed now (e.g. page hidden); retried when visible
    }
  }

  _startMeter() {
    try {
      this.audioContext = new AudioContext();
      const source = this.audioContext.createMediaStreamSource(this.stream);
      const analyser = this.audioContext.createAnalyser();
      analyser.fftSize = 1024;
      source.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      const draw = () => {
        if (this.state === "stopped") return;
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const s of samples) sum += s * s;
        const rms = Math.sqrt(sum / samples.length);
        const db = 20 * Math.log10(rms + 1e-9);
        this.onLevel(this.state === "paused" ? 0 : Math.max(0, Math.min(1, (db + 60) / 60)));
        requestAnimationFrame(draw);
      };
      draw();
    } catch (_) {
      this.onLevel(0); // the meter is a help, not a requirement
    }
  }
}

export function formatElapsed(ms) {
  const total = Math.floor(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

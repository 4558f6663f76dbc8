// The transcript pane (speakers, roles, timestamps, low-confidence and corrected words) and the span
// player that plays a sentence's evidence and counts the seconds of audio listened to.
// Everything goes in with textContent: transcript text is never treated as HTML.

export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds || 0));
  const m = Math.floor(whole / 60);
  const s = String(whole % 60).padStart(2, "0");
  return m >= 60 ? `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

export function roleName(role) {
  return role ? role.charAt(0).toUpperCase() + role.slice(1) : "Speaker";
}

// Draws the utterances into `list`; returns a Map id -> utterance.
export function renderUtterances(list, transcript, threshold, onSelect) {
  list.textContent = "";
  const byId = new Map();
  for (const u of transcript.utterances) {
    byId.set(u.id, u);
    const li = document.createElement("li");
    li.className = `utterance role-${u.role}`;
    li.dataset.id = u.id;
    li.tabIndex = 0;
    const who = document.createElement("span");
    who.className = "who";
    const name = document.createElement("b");
    name.textContent = roleName(u.role);
    // Clinicians see roles and times; diarisation labels and utterance ids stay internal.
    who.append(name, ` · ${clock(u.start)}–${clock(u.end)}`);
    const text = document.createElement("span");
    text.className = "utt-text";
    if (u.words && u.words.length) {
      u.words.forEach(([word, probability], i) => {
        if (i) text.append(" ");
        const heard = u.heard && u.heard[String(i)];
        if (heard) {
          // A drug name put back after recognition: show what was heard, for review.
          const mark = document.createElement("mark");
          mark.className = "corrected";
          mark.title = `corrected from the drug list: check against the audio`;
          mark.textContent = `${word.trim()} (heard: ${heard})`;
          text.append(mark);
        } else if (probability < threshold) {
          const mark = document.createElement("mark");
          mark.className = "low";
          mark.title = `low confidence (${Math.round(probability * 100)}%)`;
          mark.textContent = word.trim();
          text.append(mark);
        } else {
          text.append(word.trim());
        }
      });
    } else {
      text.textContent = u.text;
    }
    const cited = document.createElement("span");
    cited.className = "cited-by";
    cited.hidden = true;
    li.append(who, text, cited);
    li.addEventListener("click", () => onSelect(u.id));
    li.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        onSelect(u.id);
      }
    });
    list.append(li);
  }
  return byId;
}

// Speaker role pickers (and the one-tap swap when there is one clinician and one patient).
export function renderSpeakers(box, swapButton, transcript, editable, onRoles) {
  box.textContent = "";
  const roles = ["clinician", "patient", "other-1", "other-2"];
  transcript.speakers.forEach((speaker, index) => {
    const label = document.createElement("label");
    label.textContent = `Voice ${index + 1}`;
    const select = document.createElement("select");
    select.disabled = !editable;
    select.dataset.speaker = speaker.label;
    for (const role of new Set([...roles, speaker.role])) {
      const option = document.createElement("option");
      option.value = role;
      option.textContent = roleName(role);
      option.selected = role === speaker.role;
      select.append(option);
    }
    select.addEventListener("change", () => onRoles({ [speaker.label]: select.value }));
    label.append(select);
    box.append(label);
  });
  const clinicians = transcript.speakers.filter((s) => s.role === "clinician");
  const patients = transcript.speakers.filter((s) => s.role === "patient");
  swapButton.hidden = !editable || !clinicians.length || !patients.length;
  swapButton.onclick = () => {
    const swap = {};
    for (const s of clinicians) swap[s.label] = "patient";
    for (const s of patients) swap[s.label] = "clinician";
    onRoles(swap);
  };
}

// Plays spans of the recording; counts seconds actually played (reported at signing).
export class SpanPlayer {
  constructor(audio, label, onPlayed) {
    this.audio = audio;
    this.label = label;
    this.onPlayed = onPlayed;
    this.played = 0;
    this.stopAt = null;
    this.last = null;
    audio.addEventListener("timeupdate", () => this.tick());
    audio.addEventListener("seeking", () => {
      this.last = null;
    });
    audio.addEventListener("pause", () => {
      this.tick();
      this.last = null;
    });
  }

  tick() {
    const now = this.audio.currentTime;
    if (!this.audio.paused && this.last !== null) {
      const delta = now - this.last;
      if (delta > 0 && delta < 1.5) {
        this.played += delta;
        this.onPlayed(this.played);
      }
    }
    this.last = this.audio.paused ? null : now;
    if (this.stopAt !== null && now >= this.stopAt) {
      this.stopAt = null;
      this.audio.pause();
    }
  }

  play(start, end, what) {
    if (!this.audio.src) return;
    this.stopAt = end;
    this.last = null;
    this.audio.currentTime = Math.max(0, start);
    this.label.textContent = `▶ ${what} ${clock(start)}–${clock(end)}`;
    const attempt = this.audio.play();
    if (attempt) attempt.catch(() => {});
  }
}

"""Offline text-to-speech voices for synthetic benchmark recordings.

The benchmark needs many distinct voices and accents that run anywhere with no
network and no model download: espeak-ng and flite are Debian packages, start
in milliseconds and are deterministic, so a corpus rebuilt on another machine
sounds the same. They are robotic, which makes the benchmark easier than real
speech for ASR; the point is relative comparison across accents and settings.

Each voice is an entry in `VOICES`: engine, command-line arguments, an accent
group (used to stratify the corpus) and a nominal gender.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from math import gcd
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile as sf

from avt_notes.errors import ConfigError

SAMPLE_RATE = 16_000
INSTALL_HINT = "apt-get install espeak-ng flite"

Engine = Literal["espeak-ng", "flite"]
Gender = Literal["male", "female"]


@dataclass(frozen=True)
class Voice:
    id: str
    engine: Engine
    args: tuple[str, ...]
    accent: str  # accent group, e.g. "british", "scottish", "american"
    gender: Gender
    description: str = ""


def _espeak(voice_id: str, name: str, accent: str, gender: Gender, desc: str) -> Voice:
    # 165 wpm (default 175) is a little easier for ASR without sounding slowed down.
    return Voice(voice_id, "espeak-ng", ("-v", name, "-s", "165"), accent, gender, desc)


def _flite(name: str, accent: str, gender: Gender, desc: str) -> Voice:
    return Voice(f"flite-{name}", "flite", ("-voice", name), accent, gender, desc)


# espeak-ng variants: +f2..+f5 are its female variants. A variant only applies to a
# voice *file* name: "en-gb+f3" silently stays male, "en+f3" (same en-gb voice) works.
VOICES: dict[str, Voice] = {
    voice.id: voice
    for voice in (
        _espeak("espeak-en-gb", "en-gb", "british", "male", "espeak-ng English (Great Britain)"),
        _espeak("espeak-en-gb-f", "en+f3", "british", "female", "espeak-ng en-gb, female"),
        _espeak("espeak-en-gb-rp", "en-gb-x-rp", "british", "male", "espeak-ng Received Pron."),
        _espeak("espeak-en-gb-rp-f", "en-gb-x-rp+f4", "british", "female", "espeak-ng RP, female"),
        _espeak(
            "espeak-en-gb-scotland", "en-gb-scotland", "scottish", "male", "espeak-ng Scottish"
        ),
        _espeak(
            "espeak-en-gb-scotland-f", "en-gb-scotland+f2", "scottish", "female", "Scottish, female"
        ),
        _espeak(
            "espeak-en-gb-wmids", "en-gb-x-gbcwmd", "british-regional", "male", "West Midlands"
        ),
        _espeak(
            "espeak-en-gb-wmids-f", "en-gb-x-gbcwmd+f3", "british-regional", "female", "W. Mids, f"
        ),
        _espeak("espeak-en-029", "en-029", "caribbean", "male", "espeak-ng Caribbean English"),
        _espeak("espeak-en-029-f", "en-029+f3", "caribbean", "female", "Caribbean, female"),
        _espeak("espeak-en-us", "en-us", "american", "male", "espeak-ng US English"),
        _espeak("espeak-en-us-f", "en-us+f5", "american", "female", "espeak-ng US, female"),
        _espeak("espeak-en-us-nyc", "en-us-nyc", "american", "male", "espeak-ng New York City"),
        _flite("slt", "american", "female", "flite CMU Arctic slt (US female)"),
        _flite("rms", "american", "male", "flite CMU Arctic rms (US male)"),
        _flite("awb", "scottish", "male", "flite CMU Arctic awb (Scottish male)"),
    )
}


def get_voice(voice: str | Voice) -> Voice:
    """The registry entry for a voice id (a `Voice` passes through)."""
    if isinstance(voice, Voice):
        return voice
    try:
        return VOICES[voice]
    except KeyError:
        known = ", ".join(sorted(VOICES))
        raise ConfigError(f"unknown TTS voice {voice!r}; known voices: {known}") from None


def engine_available(engine: str) -> bool:
    return shutil.which(engine) is not None


def available_voices() -> list[Voice]:
    """Voices whose engine binary is installed."""
    return [v for v in VOICES.values() if engine_available(v.engine)]


def require_engines(voices: list[Voice]) -> None:
    """Fail early, with the install command, if any voice's engine is missing."""
    missing = sorted({v.engine for v in voices if not engine_available(v.engine)})
    if missing:
        raise ConfigError(f"TTS engine not found: {', '.join(missing)}; run `{INSTALL_HINT}`")


def _resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    if rate == target:
        return samples
    from scipy.signal import resample_poly  # polyphase: exact for 22050 -> 16000

    factor = gcd(rate, target)
    return resample_poly(samples, target // factor, rate // factor).astype(np.float32)


def synthesize(text: str, voice: str | Voice, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Speak `text` with `voice`: float32 mono samples at `sample_rate` (16 kHz).

    The clip includes the engine's own leading/trailing silence; trim it if you
    need exact speech spans.
    """
    spec = get_voice(voice)
    require_engines([spec])
    text = " ".join(text.split())
    if not text:
        return np.zeros(0, dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="avt-tts-") as tmp:
        # Text goes through a file so leading dashes or quotes are never read as options.
        text_path, wav_path = Path(tmp, "in.txt"), Path(tmp, "out.wav")
        text_path.write_text(text + "\n", encoding="utf-8")
        if spec.engine == "espeak-ng":
            command = ["espeak-ng", *spec.args, "-w", str(wav_path), "-f", str(text_path)]
        else:
            command = ["flite", *spec.args, "-f", str(text_path), "-o", str(wav_path)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0 or not wav_path.exists():
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
            raise ConfigError(
                f"{spec.engine} failed for voice {spec.id} (exit {result.returncode}): {detail[0]}"
            )
        samples, rate = sf.read(wav_path, dtype="float32", always_2d=True)
    return _resample(samples.mean(axis=1), int(rate), sample_rate)

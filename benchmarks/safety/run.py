"""Drafting safety benchmark: scripted sessions, two TTS voices, the real pipeline, scored notes.

Each session in ``benchmarks/safety/sessions/`` is spoken turn by turn (one
voice per role), transcribed and diarised by the configured models, drafted
with the configured drafter and template, and scored (see ``scoring.py``):
key-fact recall, false statements, evidence share and correctness, unsupported
share, seconds per note, peak RSS.

    PYTHONPATH=src .venv/bin/python benchmarks/safety/run.py --out benchmarks/results/safety
    ... --from-script     # skip TTS/ASR: draft from the script text (drafting only)
    ... --only mh-01      # sessions whose id starts with this
    ... --transcripts benchmarks/results/safety   # reuse saved transcripts: drafting only
    ... --rescore                                 # score the drafts already in --out again
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from scoring import Session, SessionScore, load_session, score, totals

from avt_notes.bench.tts import SAMPLE_RATE, synthesize
from avt_notes.clinical_vocabulary import correct_words, rules_from
from avt_notes.clinical_vocabulary import load_lexicon as load_vocabulary
from avt_notes.config import Settings, get_settings
from avt_notes.drafting import DraftNote, draft_note, load_drafter, load_template, to_markdown
from avt_notes.embeddings import SentenceEncoder, load_encoder
from avt_notes.schemas import Transcript
from notes import rows_transcript

SESSIONS = Path(__file__).resolve().parent / "sessions"
VOICES = {"clinician": "espeak-en-gb", "patient": "flite-slt"}
PAUSE_SECONDS = 0.5


def render(session: Session, path: Path) -> None:
    pause = np.zeros(int(PAUSE_SECONDS * SAMPLE_RATE), dtype=np.float32)
    pieces = []
    for turn in session.turns:
        pieces += [synthesize(turn.text, VOICES.get(turn.role, VOICES["patient"])), pause]
    sf.write(path, np.concatenate(pieces), SAMPLE_RATE)


def script_transcript(session: Session) -> Transcript:
    """The script itself as a transcript (5 s per turn): drafting without ASR errors."""
    rows = [(t.role, t.text, i * 5.0, i * 5.0 + 4.5) for i, t in enumerate(session.turns)]
    return rows_transcript(f"{session.id}.script", rows)


def rescore(files: list[Path], out: Path, encoder: SentenceEncoder, unsure_below: float) -> None:
    """Score saved drafts again (after a scoring change), keeping their measured seconds."""
    scores = []
    for path in files:
        session = load_session(path)
        saved = out / f"{session.id}.score.json"
        note = DraftNote.model_validate_json((out / f"{session.id}.draft.json").read_text())
        transcript = Transcript.model_validate_json(
            (out / f"{session.id}.transcript.json").read_text(encoding="utf-8")
        )
        result = score(session, note, transcript, encoder, unsure_below)
        (out / f"{session.id}.md").write_text(
            to_markdown(note, transcript, unsure_below), encoding="utf-8"
        )
        old = SessionScore.model_validate_json(saved.read_text(encoding="utf-8"))
        result.seconds_draft, result.seconds_pipeline = old.seconds_draft, old.seconds_pipeline
        saved.write_text(result.model_dump_json(indent=1), encoding="utf-8")
        scores.append(result)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary |= totals(scores) | {"rescored": True}
    (out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))


def recorrected(transcript: Transcript, settings: Settings) -> Transcript:
    """A saved transcript with today's clinical-vocabulary rules applied to its words.

    Corrections already made keep what was heard; only new rules change anything.
    """
    if not settings.decoding.asr_vocabulary_correction:
        return transcript
    lexicon = load_vocabulary(settings.drafting.prompts_dir)
    rules = rules_from(settings)
    utterances = []
    for utterance in transcript.utterances:
        if not utterance.words:
            utterances.append(utterance)
            continue
        words = correct_words(utterance.words, lexicon, rules)
        text = " ".join(w.text for w in words)
        utterances.append(utterance.model_copy(update={"words": words, "text": text}))
    return transcript.model_copy(update={"utterances": utterances})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/safety"))
    parser.add_argument("--sessions", type=Path, default=SESSIONS)
    parser.add_argument("--only", default="", help="Run sessions whose id starts with this.")
    parser.add_argument("--from-script", action="store_true", help="Draft from the script text.")
    parser.add_argument(
        "--transcripts", type=Path, help="Reuse <id>.transcript.json from this folder (no ASR)."
    )
    parser.add_argument(
        "--rescore", action="store_true", help="Score the drafts already in --out (no model)."
    )
    parser.add_argument("--verify", action="store_true", help="Second model pass per sentence.")
    args = parser.parse_args()

    settings = get_settings()
    args.out.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in args.sessions.glob("*.yaml") if p.stem.startswith(args.only))
    if not files:
        raise SystemExit(f"no sessions in {args.sessions} starting with {args.only!r}")
    encoder = load_encoder(settings)
    # The draft as a clinician reads it names the words recognition was unsure of.
    unsure_below = settings.decoding.asr_low_probability
    if args.rescore:
        rescore(files, args.out, encoder, unsure_below)
        return
    started = time.perf_counter()
    drafter = load_drafter(settings)
    print(f"drafter {drafter.info.name} loaded in {time.perf_counter() - started:.1f} s")
    scores = []
    for path in files:
        session = load_session(path)
        mark = time.perf_counter()
        saved = args.transcripts / f"{session.id}.transcript.json" if args.transcripts else None
        if args.from_script:
            transcript = script_transcript(session)
        elif saved is not None and saved.exists():
            transcript = Transcript.model_validate_json(saved.read_text(encoding="utf-8"))
            transcript = recorrected(transcript, settings)
        else:
            from avt_notes.pipeline import transcribe_file

            wav = args.out / f"{session.id}.wav"
            if not wav.exists():
                render(session, wav)
            transcript = transcribe_file(wav, settings, num_speakers=2)
        pipeline_seconds = time.perf_counter() - mark
        mark = time.perf_counter()
        note = draft_note(
            transcript,
            load_template(session.template),
            drafter,
            encoder=encoder,
            verify=args.verify,
        )
        draft_seconds = time.perf_counter() - mark
        result = score(session, note, transcript, encoder, unsure_below)
        result.seconds_draft = round(draft_seconds, 1)
        result.seconds_pipeline = round(pipeline_seconds, 1)
        scores.append(result)
        (args.out / f"{session.id}.md").write_text(
            to_markdown(note, transcript, unsure_below), encoding="utf-8"
        )
        (args.out / f"{session.id}.draft.json").write_text(note.model_dump_json(indent=1))
        (args.out / f"{session.id}.transcript.json").write_text(transcript.model_dump_json())
        (args.out / f"{session.id}.score.json").write_text(
            result.model_dump_json(indent=1), encoding="utf-8"
        )
        print(
            f"{session.id}: facts {len(result.recalled)}/{result.facts}, "
            f"false {len(result.false_hits)}, sentences {result.sentences} "
            f"(unsupported {result.unsupported}), links right "
            f"{result.fact_links_correct}/{result.fact_links}, draft {draft_seconds:.1f} s",
            flush=True,
        )
    summary = totals(scores) | {
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "drafter": drafter.info.name,
        "from_script": args.from_script,
        "verify": args.verify,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()

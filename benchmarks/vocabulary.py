"""Clinical-vocabulary correction: WER, clinical-term WER and corrections right/wrong, off vs on.

Recognition runs once per clip with the correction off and its words (text,
times, probabilities) are cached, so the correction (a pure function of the
words) is scored on exactly the same recognition with and without it, and its
thresholds can be swept without decoding again.

    # 1. recognise a manifest (resumable), or take transcripts the safety benchmark wrote;
    #    `drugs` renders every drug name of the lexicon in a carrier sentence (TTS)
    .venv/bin/python benchmarks/vocabulary.py drugs --out out/drugs
    nice -n 10 .venv/bin/python benchmarks/vocabulary.py recognise MANIFEST --name primock
    .venv/bin/python benchmarks/vocabulary.py safety --name safety
    # 2. off vs on with the configured thresholds (AVT_ASR_VOCABULARY_* or --set key=value)
    .venv/bin/python benchmarks/vocabulary.py report primock safety so762 --split heldout
    # 3. choose thresholds on the calibration part only
    .venv/bin/python benchmarks/vocabulary.py sweep primock --split calibration

A clip is in the calibration part when crc32(id) is even (consultations whole,
so one consultation never sits in both parts). A correction is *right* when
every word it wrote aligns (jiwer) to the identical reference word, *wrong*
otherwise; WER is pooled over clips.
"""

from __future__ import annotations

import argparse
import itertools
import json
import warnings
import zlib
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", message=".*torchcodec.*")

import jiwer  # noqa: E402
import yaml  # noqa: E402

from avt_notes.clinical_vocabulary import (  # noqa: E402
    Correction,
    VocabularyRules,
    apply,
    letters,
    load_lexicon,
    propose,
    rules_from,
)
from avt_notes.config import Settings  # noqa: E402
from avt_notes.metrics.asr import normalise  # noqa: E402
from avt_notes.metrics.clinical_terms import term_errors  # noqa: E402
from avt_notes.schemas import Transcript, Word  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "out" / "vocabulary"


def recognise(manifest: Path, name: str, asr_model: str, every: int) -> None:
    from avt_notes.asr import FasterWhisperTranscriber
    from avt_notes.audio import load_audio
    from avt_notes.bench.manifest import load_manifest

    items = [i for i in load_manifest(manifest).items if i.reference][::every]
    path = OUT / f"{name}.jsonl"
    done = {json.loads(line)["id"] for line in path.open()} if path.exists() else set()
    settings = Settings().updated(decoding={"asr_vocabulary_correction": False})
    transcriber = FasterWhisperTranscriber(asr_model, settings=settings)
    with path.open("a", encoding="utf-8") as handle:
        for item in items:
            if item.id in done:
                continue
            audio = load_audio(item.audio)
            words = transcriber.transcribe(audio.samples)
            row = {
                "id": item.id,
                "reference": " ".join(s.text for s in item.reference or []),
                "words": [w.model_dump(exclude_none=True) for w in words],
            }
            handle.write(json.dumps(row) + "\n")
            handle.flush()
            print(item.id, len(words), "words", flush=True)


def drug_clips(out: Path, voices: list[str]) -> None:
    """One TTS clip per drug name (generics and brands of drugs.yaml) in a carrier sentence.

    A manifest for `recognise`: every name in the lexicon said once, so the correction's
    recall is measured on all of it; the split by name keeps calibration and held-out
    drugs apart.
    """
    import numpy as np
    import soundfile as sf

    from avt_notes.bench.tts import SAMPLE_RATE, synthesize

    carriers = [
        line.strip()
        for line in (ROOT / "benchmarks/vocabulary_data/carriers.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    prompts = Settings().drafting.prompts_dir
    drugs = yaml.safe_load((prompts / "drugs.yaml").read_text(encoding="utf-8"))["drugs"]
    names = [str(n) for generic, brands in drugs.items() for n in [generic, *(brands or [])]]
    names = list({letters(n): n for n in names}.values())  # "co-codamol" = "cocodamol"
    out.mkdir(parents=True, exist_ok=True)
    recordings = []
    for index, name in enumerate(names):
        text = carriers[zlib.crc32(name.encode()) % len(carriers)].format(drug=name)
        clip = f"drug-{letters(name)}"
        samples = synthesize(text, voices[index % len(voices)])
        pad = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
        sf.write(out / f"{clip}.wav", np.concatenate([pad, samples, pad]), SAMPLE_RATE)
        recordings.append({"id": clip, "audio": f"{clip}.wav", "text": text})
    manifest = {"name": "drug-names", "version": 1, "recordings": recordings}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    print(f"{len(recordings)} clips -> {out / 'manifest.json'}")


def from_safety(name: str, results: Path, sessions: Path) -> None:
    """Rows from the transcripts the safety benchmark wrote, references from its scripts."""
    with (OUT / f"{name}.jsonl").open("w", encoding="utf-8") as handle:
        for path in sorted(results.glob("*.transcript.json")):
            session_id = path.name.removesuffix(".transcript.json")
            script = yaml.safe_load((sessions / f"{session_id}.yaml").read_text(encoding="utf-8"))
            transcript = Transcript.model_validate_json(path.read_text(encoding="utf-8"))
            words = [w for u in transcript.utterances for w in u.words]
            row = {
                "id": session_id,
                "reference": " ".join(turn["text"] for turn in script["turns"]),
                "words": [w.model_dump(exclude_none=True) for w in words],
            }
            handle.write(json.dumps(row) + "\n")


def load_rows(names: list[str], split: str) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        for line in (OUT / f"{name}.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            part = "calibration" if zlib.crc32(row["id"].encode()) % 2 == 0 else "heldout"
            if split in ("all", part):
                row["corpus"] = name
                rows.append(row)
    return rows


def _tokens(words: list[Word]) -> tuple[list[str], list[int]]:
    """Normalised hypothesis tokens and, for each, the index of the word it came from."""
    tokens: list[str] = []
    owner: list[int] = []
    for index, word in enumerate(words):
        for token in normalise(word.text).split():
            tokens.append(token)
            owner.append(index)
    return tokens, owner


def score(row: dict[str, Any], rules: VocabularyRules | None) -> dict[str, Any]:
    """Errors of one clip with the correction off (`rules` None) or on."""
    lexicon = load_lexicon(Settings().drafting.prompts_dir)
    words = [Word.model_validate(w) for w in row["words"]]
    corrections: list[Correction] = propose(words, lexicon, rules) if rules else []
    corrected = apply(words, corrections)
    tokens, owner = _tokens(corrected)
    reference = normalise(row["reference"])
    out = jiwer.process_words(reference, " ".join(tokens) or "<empty>")
    ok_tokens: set[int] = set()
    for chunk in out.alignments[0]:
        if chunk.type == "equal":
            ok_tokens.update(range(chunk.hyp_start_idx, chunk.hyp_end_idx))
    verdicts = []
    for index, word in enumerate(corrected):
        if word.heard is not None:
            mine = [t for t, o in enumerate(owner) if o == index]
            ok = bool(mine) and set(mine) <= ok_tokens
            verdicts.append((word.heard, word.text, ok, "" if ok else row["reference"]))
    terms = term_errors(row["reference"], " ".join(w.text for w in corrected))
    return {
        "errors": out.substitutions + out.deletions + out.insertions,
        "words": len(reference.split()),
        "term_errors": terms.errors,
        "term_words": terms.reference_words,
        "corrections": verdicts,
    }


def summarise(rows: list[dict[str, Any]], rules: VocabularyRules | None) -> dict[str, Any]:
    scored = [score(row, rules) for row in rows]
    verdicts = [v for s in scored for v in s["corrections"]]
    words = sum(s["words"] for s in scored)
    term_words = sum(s["term_words"] for s in scored)
    return {
        "wer": sum(s["errors"] for s in scored) / words if words else None,
        "term_wer": sum(s["term_errors"] for s in scored) / term_words if term_words else None,
        "term_words": term_words,
        "right": sum(1 for v in verdicts if v[2]),
        "wrong": sum(1 for v in verdicts if not v[2]),
        "verdicts": verdicts,
    }


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.2%}"


def report(names: list[str], split: str, rules: VocabularyRules, show: bool) -> None:
    print(f"rules: {rules.model_dump()}")
    for name in names:
        rows = load_rows([name], split)
        words = sum(len(r["words"]) for r in rows)
        off, on = summarise(rows, None), summarise(rows, rules)
        print(f"\n== {name} ({split}): {len(rows)} clips, {words} recognised words")
        print(f"  WER               off {_pct(off['wer'])}  on {_pct(on['wer'])}")
        print(
            f"  clinical-term WER off {_pct(off['term_wer'])}  on {_pct(on['term_wer'])}"
            f"  ({on['term_words']} term words)"
        )
        print(f"  corrections: {on['right']} right, {on['wrong']} wrong")
        if show:
            for heard, text, ok, reference in on["verdicts"]:
                said = f"  (said: {reference[:90]!r})" if reference else ""
                print(f"    {'right' if ok else 'WRONG'}: {heard!r} -> {text!r}{said}")


def sweep(names: list[str], split: str, base: VocabularyRules) -> None:
    rows = load_rows(names, split)
    off = summarise(rows, None)
    print(
        f"{len(rows)} clips ({split}); off: WER {_pct(off['wer'])}, "
        f"term WER {_pct(off['term_wer'])}"
    )
    print("min_sim  margin  max_p  common_sim   WER      term WER  right wrong")
    grid = itertools.product((0.7, 0.75, 0.8, 0.85), (0.0, 0.05, 0.1), (0.5, 0.8, 1.0), (1.01, 0.9))
    for similarity, margin, probability, common in grid:
        rules = base.model_copy(
            update={
                "min_similarity": similarity,
                "min_margin": margin,
                "max_probability": probability,
                "common_min_similarity": common,
            }
        )
        on = summarise(rows, rules)
        print(
            f"  {similarity:.2f}    {margin:.2f}   {probability:.1f}   {common:.2f}"
            f"      {_pct(on['wer']):>7}  {_pct(on['term_wer']):>7}"
            f"  {on['right']:>5} {on['wrong']:>5}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("recognise")
    rec.add_argument("manifest", type=Path)
    rec.add_argument("--name", required=True)
    rec.add_argument("--asr-model", default="base")
    rec.add_argument("--every", type=int, default=1, help="every Nth clip only (a subset)")
    drg = sub.add_parser("drugs")
    drg.add_argument("--out", type=Path, default=ROOT / "out" / "drugs")
    drg.add_argument("--voice", action="append", default=None, help="TTS voice ids (default: four)")
    saf = sub.add_parser("safety")
    saf.add_argument("--name", default="safety")
    saf.add_argument("--results", type=Path, default=ROOT / "benchmarks/results/safety")
    saf.add_argument("--sessions", type=Path, default=ROOT / "benchmarks/safety/sessions")
    for command in ("report", "sweep"):
        p = sub.add_parser(command)
        p.add_argument("names", nargs="+")
        p.add_argument("--split", choices=("calibration", "heldout", "all"), default="all")
        p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
        p.add_argument("--show", action="store_true", help="list every correction")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.command == "recognise":
        recognise(args.manifest, args.name, args.asr_model, args.every)
        return
    if args.command == "drugs":
        voices = args.voice or ["espeak-en-gb", "flite-slt", "espeak-en-us-f", "flite-rms"]
        drug_clips(args.out, voices)
        return
    if args.command == "safety":
        from_safety(args.name, args.results, args.sessions)
        return
    rules = rules_from(Settings()).model_copy(
        update={k: float(v) for k, v in (pair.split("=", 1) for pair in args.set)}
    )
    if args.command == "report":
        report(args.names, args.split, rules, args.show)
    else:
        sweep(args.names, args.split, rules)


if __name__ == "__main__":
    main()

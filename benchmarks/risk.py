"""Risk-language benchmark (issue 10): recall per concept, false alarms, idioms, sessions, speed.

Scores `avt_notes.risk.detect_risk` on the labelled set as it came out of our own
recognition (`benchmarks/risk_data/labelled.jsonl`, built by
`scripts/build_risk_set.py`) and on every scripted session in
`benchmarks/safety/sessions/`. Prints recall per concept and overall, false
alarms per 100 non-risk utterances, idiom false alarms, the missed items, every
session disclosure and denial, and the time per 30 minutes of transcript.

    PYTHONPATH=src .venv/bin/python benchmarks/risk.py [--split heldout] [--calibrate]

`--calibrate` sweeps the meaning threshold on the calibration part (pick the
value there, then report the held-out part with it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from avt_notes.embedding_cache import CachedEncoder
from avt_notes.risk import (
    CONCEPTS,
    RiskItem,
    SemanticMatcher,
    default_matcher,
    describe,
    detect_risk,
)
from avt_notes.risk.lexicon import load_lexicon
from avt_notes.risk.semantic import Nearest
from avt_notes.schemas import AudioInfo, Transcript, Utterance

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "risk_data" / "labelled.jsonl"
SESSIONS = ROOT / "safety" / "sessions"
WORDS_PER_MINUTE = 150  # conversational speech, both speakers


def make_transcript(turns: Iterable[tuple[str, str]], source: str = "text") -> Transcript:
    utterances = [
        Utterance(
            id=f"u{n + 1:04d}",
            start=float(n),
            end=float(n) + 0.9,
            speaker="SPEAKER_00" if role == "clinician" else "SPEAKER_01",
            role=role,
            text=text,
            confidence=1.0,
        )
        for n, (role, text) in enumerate(turns)
    ]
    return Transcript(
        audio=AudioInfo(source=source, duration=float(len(utterances)), expected_duration=None),
        language="en",
        utterances=utterances,
        speakers=[],
    )


# Some written sets give a question with its answer in one text, as a script would.
SCRIPTED_ANSWER = re.compile(
    r"^\s*Clinician:\s*(?P<question>.+?)\s*Patient:\s*(?P<answer>(?:(?!Clinician:).)+)", re.S
)


def row_transcript(row: dict[str, Any]) -> Transcript:
    question, text = row.get("question"), row["text"]
    scripted = SCRIPTED_ANSWER.match(text) if question is None else None
    if scripted:
        question, text = scripted["question"], scripted["answer"]
    turns = [("clinician", question)] if question is not None else []
    return make_transcript([*turns, ("patient", text)], source=row["id"])


def judge(row: dict[str, Any], items: list[RiskItem]) -> bool:
    """Whether the detector did what the label asks (risk rows) or stayed quiet (non-risk rows)."""
    if row["concept"] is None:
        return not items
    if row["group"] == "answer":
        return any(i.category == row["concept"] and i.polarity == row["polarity"] for i in items)
    if row["polarity"] == "denied":
        return any(i.category == row["concept"] and i.polarity == "denied" for i in items)
    return any(i.category == row["concept"] and i.polarity != "denied" for i in items)


# Adds items to what detect_risk listed (the model second opinion), or None.
Extra = Callable[[Transcript, list[RiskItem]], list[RiskItem]] | None


def score(
    rows: list[dict[str, Any]], matcher: SemanticMatcher | None, extra: Extra = None
) -> dict[str, Any]:
    lexicon = load_lexicon()
    per_concept: dict[str, list[bool]] = defaultdict(list)
    missed: list[tuple[dict[str, Any], list[RiskItem]]] = []
    alarms: dict[str, list[tuple[dict[str, Any], list[RiskItem]]]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    denials: list[bool] = []
    answers: list[bool] = []
    for row in rows:
        transcript = row_transcript(row)
        items = detect_risk(transcript, lexicon, matcher, by_meaning=matcher is not None)
        items = extra(transcript, items) if extra else items
        ok = judge(row, items)
        counts[row["group"]] += 1
        if row["concept"] is None:
            if not ok:
                alarms[row["group"]].append((row, items))
            continue
        if row["group"] == "denial":
            denials.append(ok)
        elif row["group"] == "answer":
            answers.append(ok)
        if row["polarity"] == "reported":
            per_concept[row["concept"]].append(ok)
        if not ok:
            missed.append((row, items))
    found = [ok for oks in per_concept.values() for ok in oks]
    non_risk = counts["plain"] + counts["idiom"]
    return {
        "per_concept": {c: (sum(v), len(v)) for c, v in per_concept.items()},
        "recall": sum(found) / max(1, len(found)),
        "disclosures": len(found),
        "false_alarms_per_100": 100
        * (len(alarms["plain"]) + len(alarms["idiom"]))
        / max(1, non_risk),
        "non_risk": non_risk,
        "plain_alarms": alarms["plain"],
        "idiom_alarms": alarms["idiom"],
        "idioms": counts["idiom"],
        "denials": (sum(denials), len(denials)),
        "answers": (sum(answers), len(answers)),
        "missed": missed,
    }


def _brief(items: list[RiskItem]) -> str:
    if not items:
        return "nothing listed"
    return "; ".join(
        f"{i.category}/{i.polarity}" + (f" ~{i.score:.2f}" if i.score is not None else "")
        for i in items
    )


def report(result: dict[str, Any], title: str) -> None:
    print(f"\n== {title} ==")
    for concept in CONCEPTS:
        hit, total = result["per_concept"].get(concept, (0, 0))
        share = f"{100 * hit / total:5.1f}%" if total else "   n/a"
        print(f"  {concept:20s} {hit:3d}/{total:<3d} {share}")
    print(f"  overall recall      {100 * result['recall']:.1f}% of {result['disclosures']}")
    print(f"  denials listed as denied: {result['denials'][0]}/{result['denials'][1]}")
    print(
        "  questions read right (reported/denied/asked): "
        f"{result['answers'][0]}/{result['answers'][1]}"
    )
    print(
        f"  false alarms: {result['false_alarms_per_100']:.1f} per 100 non-risk utterances "
        f"({len(result['plain_alarms'])} plain, {len(result['idiom_alarms'])} of "
        f"{result['idioms']} idioms; {result['non_risk']} non-risk in all)"
    )
    for row, items in result["missed"]:
        print(f"  MISSED {row['id']} [{row['polarity']}] {row['text']!r} -> {_brief(items)}")
    for row, items in result["plain_alarms"] + result["idiom_alarms"]:
        print(f"  ALARM  {row['id']} {row['text']!r} -> {_brief(items)}")


def check_sessions(
    folder: Path, matcher: SemanticMatcher | None, extra: Extra = None
) -> tuple[int, int]:
    """Every disclosure and denial in the scripted sessions: listed or not."""
    files = sorted(folder.glob("*.yaml"))
    if not files:
        print(f"\nno scripted sessions in {folder}")
        return 0, 0
    print(f"\n== scripted sessions ({len(files)} in {folder}) ==")
    listed = total = 0
    for path in files:
        session = yaml.safe_load(path.read_text(encoding="utf-8"))
        turns = [(t["role"], t["text"]) for t in session["turns"]]
        transcript = make_transcript(turns, path.stem)
        items = detect_risk(transcript, matcher=matcher, by_meaning=matcher is not None)
        items = extra(transcript, items) if extra else items
        expected = [(d, "disclosed") for d in session.get("disclosures") or []]
        expected += [(d, "denied") for d in session.get("denials") or []]
        for entry, kind in expected:
            turn_id = f"u{entry['turn'] + 1:04d}"
            ok = any(
                i.category == entry["concept"]
                and turn_id in (i.utterance_id, i.answer_utterance_id)
                and ((i.polarity == "denied") == (kind == "denied"))
                for i in items
            )
            listed += ok
            total += 1
            if not ok:
                said = turns[entry["turn"]][1]
                print(
                    f"  MISSED {path.stem} turn {entry['turn']} "
                    f"{entry['concept']} ({kind}): {said!r}"
                )
    print(f"  listed {listed}/{total} disclosures and denials")
    return listed, total


def check_ordinary(folder: Path, matcher: SemanticMatcher | None) -> None:
    """Items raised on ordinary consultations (PriMock57 TextGrids), listed for reading.

    Mock primary-care consultations hold little risk language, so most items here are
    false alarms; some are right ("do you drink?"). Read the list, do not score it.
    """
    from avt_notes.bench.textgrid import read_textgrid, speech_intervals

    consultations: dict[str, list[tuple[float, str, str]]] = defaultdict(list)
    for path in sorted(folder.glob("*.TextGrid")):
        name, _, speaker = path.stem.rpartition("_")
        role = "clinician" if speaker == "doctor" else "patient"
        for tier in read_textgrid(path):
            consultations[name] += [(i.start, role, i.text) for i in speech_intervals(tier)]
    utterances = 0
    raised: list[str] = []
    for name, turns in sorted(consultations.items()):
        transcript = make_transcript([(role, text) for _, role, text in sorted(turns)], name)
        utterances += len(transcript.utterances)
        for item in detect_risk(transcript, matcher=matcher, by_meaning=matcher is not None):
            raised.append(
                f"  {name} {item.utterance_id} {item.role}: {describe(item, with_reason=True)}"
            )
    print(f"\n== ordinary consultations ({len(consultations)} in {folder}) ==")
    print(
        f"  {len(raised)} items on {utterances} utterances "
        f"({100 * len(raised) / max(1, utterances):.1f} per 100)"
    )
    print(f"  of them by sound-alike reading: {sum('reading' in r for r in raised)}")
    print("\n".join(raised))


def second_opinion_hook(matcher: SemanticMatcher) -> tuple[Extra, dict[str, float]]:
    """The drafting model's second opinion as an `Extra`, with its cost counted."""
    from avt_notes.config import get_settings
    from avt_notes.drafting.backend import load_drafter
    from avt_notes.risk.second_opinion import (
        SECOND_OPINION_FILE,
        load_second_opinion_prompt,
        second_opinion,
    )

    settings = get_settings()
    drafter = load_drafter(settings)
    prompt = load_second_opinion_prompt(settings.drafting.prompts_dir / SECOND_OPINION_FILE)
    lexicon = load_lexicon()
    cost = {"calls": 0.0, "seconds": 0.0, "added": 0.0}

    class Counted:
        def complete(self, messages: Any, *, max_new_tokens: int, stop: Any = ()) -> str:
            started = time.perf_counter()
            reply = drafter.complete(messages, max_new_tokens=max_new_tokens, stop=stop)
            cost["calls"] += 1
            cost["seconds"] += time.perf_counter() - started
            return reply

    def extra(transcript: Transcript, items: list[RiskItem]) -> list[RiskItem]:
        more = second_opinion(transcript, items, Counted(), matcher, prompt, lexicon)
        cost["added"] += len(more) - len(items)
        return more

    return extra, cost


def _cpu_seconds(transcript: Transcript, matcher: SemanticMatcher | None) -> tuple[float, float]:
    """(wall, CPU) seconds of one scan, the best of three: the machine is shared."""
    runs = []
    for _ in range(3):
        if matcher is not None and isinstance(matcher.encoder, CachedEncoder):
            matcher.encoder.clear()  # the labelled texts were encoded while scoring
        started, cpu = time.perf_counter(), time.process_time()
        detect_risk(transcript, matcher=matcher, by_meaning=matcher is not None)
        runs.append((time.perf_counter() - started, time.process_time() - cpu))
    return min(runs, key=lambda run: run[1])


def time_thirty_minutes(rows: list[dict[str, Any]], matcher: SemanticMatcher | None) -> float:
    """Seconds to scan a 30-minute transcript (labelled texts repeated, models loaded).

    CPU seconds summed over threads: on a shared machine wall time mostly measures the
    queue. The labelled texts recur in the built transcript and the encoder's cache
    encodes each once, so the cost without the cache is printed too: that is the cost
    of 30 minutes in which no text recurs.
    """
    turns: list[tuple[str, str]] = []
    words = 0
    while words < 30 * WORDS_PER_MINUTE:
        for row in rows:
            if row.get("question"):
                turns.append(("clinician", row["question"]))
            turns.append(("patient", row["text"]))
            words += len(row["text"].split())
            if words >= 30 * WORDS_PER_MINUTE:
                break
    transcript = make_transcript(turns, "thirty-minutes")
    cache = matcher.encoder if matcher and isinstance(matcher.encoder, CachedEncoder) else None
    before = (cache.asked, cache.encoded) if cache else (0, 0)
    seconds, cpu = _cpu_seconds(transcript, matcher)
    load = os.getloadavg()[0]
    print(
        f"\n== speed ==\n  {len(turns)} utterances, {words} words (~30 min): {seconds:.2f} s wall, "
        f"{cpu:.2f} s CPU (load average {load:.1f} on {os.cpu_count()} cores)"
    )
    if matcher is not None:
        encoder = matcher.encoder
        precision = getattr(getattr(encoder, "encoder", encoder), "precision", "?")
        print(f"  encoder {encoder.name}, {precision}")
    if matcher is not None and cache is not None:
        asked, encoded = cache.asked - before[0], cache.encoded - before[1]
        uncached = SemanticMatcher(cache.encoder, matcher.bank)
        bare_seconds, bare_cpu = _cpu_seconds(transcript, uncached)
        print(
            f"  the cache encoded {encoded // 3} of the {asked // 3} texts asked for; "
            f"without it: {bare_seconds:.2f} s wall, {bare_cpu:.2f} s CPU"
        )
    return seconds


def precision_shift(rows: list[dict[str, Any]], matcher: SemanticMatcher) -> None:
    """How far the configured encoder's cosines move from float32's on every labelled text.

    Scores each text and question against the whole exemplar bank, and each answer
    against its question, both ways; counts the scores that land on the other side of
    a threshold the detector uses.
    """
    from avt_notes.config import get_settings
    from avt_notes.embeddings import SentenceTransformerEncoder
    from avt_notes.models import resolve

    models = get_settings().models
    folder = resolve(models.embedding_model, "embedding", models.model_cache, models.extra_models)
    encoder = SentenceTransformerEncoder(
        folder, name=models.embedding_model, threads=models.cpu_threads
    )
    exact = SemanticMatcher(encoder, matcher.bank)
    texts = [r["text"] for r in rows] + [r["question"] for r in rows if r.get("question")]
    texts = list(dict.fromkeys(texts))
    bank = matcher.bank
    limits = (bank.threshold, bank.question_threshold)
    # (what was scored, float32 score, this encoder's score, thresholds that apply)
    scores: list[tuple[str, float, float, tuple[float, ...]]] = []
    moved = []
    for text, want, got in zip(texts, exact.nearest(texts), matcher.nearest(texts), strict=True):
        by_concept = {n.concept: n.score for n in got}
        scores += [(f"{n.concept} {text!r}", n.score, by_concept[n.concept], limits) for n in want]
        first, second = max(want, key=_score, default=None), max(got, key=_score, default=None)
        if first and second and first.concept != second.concept:
            moved.append(f"{text!r}: {first.concept} {first.score:.4f} -> {second.concept}")
    off_topic = (load_lexicon().answers.off_topic_max_similarity,)
    scores += [
        (
            f"answer {r['text']!r} to {r['question']!r}",
            exact.similarity(r["question"], r["text"]),
            matcher.similarity(r["question"], r["text"]),
            off_topic,
        )
        for r in rows
        if r.get("question")
    ]
    shifts = [abs(a - b) for _, a, b, _ in scores]
    crossed = [
        f"{what}: {a:.4f} -> {b:.4f} (threshold {t:.3f})"
        for what, a, b, ts in scores
        for t in ts
        if (a >= t) != (b >= t)
    ]
    print(
        f"\n== precision shift against float32 ({len(texts)} texts, {len(scores)} scores, "
        f"exemplar bank {bank.version}) ==\n"
        f"  max |difference| {max(shifts, default=0.0):.4f}, "
        f"mean {sum(shifts) / max(1, len(shifts)):.4f}; scores crossing a threshold: "
        f"{len(crossed)}; texts whose nearest concept changed: {len(moved)}"
    )
    for line in crossed + moved:
        print(f"  {line}")


def _score(near: Nearest) -> float:
    return near.score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sessions", type=Path, default=SESSIONS)
    parser.add_argument("--split", choices=["heldout", "calibration", "all"], default="heldout")
    parser.add_argument("--calibrate", action="store_true", help="sweep the meaning threshold")
    parser.add_argument("--patterns-only", action="store_true", help="no meaning matching")
    parser.add_argument("--threshold", type=float, help="override the bank's threshold")
    parser.add_argument(
        "--precision-shift",
        action="store_true",
        help="compare the configured encoder's cosines with float32 on every labelled text",
    )
    parser.add_argument(
        "--second-opinion",
        action="store_true",
        help="add the drafting model's second opinion on grey-band utterances (loads the LLM)",
    )
    parser.add_argument(
        "--ordinary",
        type=Path,
        help="also list items raised on ordinary consultations (a folder of PriMock57 TextGrids)",
    )
    parser.add_argument(
        "--written",
        action="store_true",
        help="score the written source texts instead of what recognition made of them",
    )
    args = parser.parse_args(argv)
    if not args.data.exists():
        print(f"labelled set not found at {args.data}; build it with scripts/build_risk_set.py")
        return 2
    rows = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines()]
    if args.written:
        # Separates detector errors from recognition errors.
        for row in rows:
            row["text"] = row["source"]
            if row.get("question") is not None:
                row["question"] = row["question_source"]
    matcher = None if args.patterns_only else default_matcher()
    if matcher is not None and args.threshold is not None:
        matcher = matcher.with_threshold(args.threshold)
    if args.calibrate and matcher is not None:
        calibration = [r for r in rows if r["split"] == "calibration"]
        print(f"threshold sweep on the calibration part ({len(calibration)} utterances)")
        print("  threshold  recall  false alarms/100  idiom alarms")
        for step in range(0, 13):
            threshold = 0.40 + 0.025 * step
            result = score(calibration, matcher.with_threshold(threshold))
            print(
                f"  {threshold:.3f}     {100 * result['recall']:5.1f}%  "
                f"{result['false_alarms_per_100']:5.1f}            {len(result['idiom_alarms'])}"
            )
        return 0
    chosen = rows if args.split == "all" else [r for r in rows if r["split"] == args.split]
    label = "patterns only" if matcher is None else f"meaning threshold {matcher.threshold:.3f}"
    label += ", written texts" if args.written else ", as recognised"
    extra, cost = second_opinion_hook(matcher) if args.second_opinion and matcher else (None, None)
    if extra:
        label += ", with the model second opinion"
    report(score(chosen, matcher, extra), f"{args.split} part, {len(chosen)} utterances, {label}")
    check_sessions(args.sessions, matcher, extra)
    if cost:
        print(
            f"\n== model second opinion ==\n  {cost['calls']} model calls, {cost['seconds']:.1f} s "
            f"wall ({cost['seconds'] / max(1, cost['calls']):.2f} s per call), "
            f"{cost['added']} items added"
        )
    if args.ordinary:
        check_ordinary(args.ordinary, matcher)
    if args.precision_shift and matcher is not None:
        precision_shift(rows, matcher)
    time_thirty_minutes(rows, matcher)
    return 0


if __name__ == "__main__":
    sys.exit(main())

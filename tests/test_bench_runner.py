"""The benchmark runner: resume after interruption, failures, worker processes, tables,
and (slow) the real pipeline with tiny.en through the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import soundfile as sf

from avt_notes.bench.manifest import CorpusItem, load_manifest
from avt_notes.bench.runner import (
    RESULTS,
    BenchOptions,
    finish_run,
    read_results,
    run_bench,
)
from avt_notes.bench.scoring import NoteDraft
from avt_notes.errors import ConfigError, InputError
from avt_notes.schemas import (
    AudioInfo,
    Speaker,
    SpeakerTurn,
    StageTiming,
    Transcript,
    Word,
)

from testdata import JFK_TEXT, REAL, utterance_of

ROOT = Path(__file__).resolve().parents[1]
REAL_MANIFEST = ROOT / "benchmarks" / "corpora" / "real.json"
IDS = ["jfk", "stereo_diarization", "ami_dev00", "ami_dev01"]


def echo_transcribe(item: CorpusItem) -> Transcript:
    """A cheap, deterministic stand-in for the pipeline on real files.

    Reads the real audio's length, 'hears' the reference words with every fifth
    one wrong, and returns the reference turns (shifted 0.2 s) as its diarisation,
    with each speaker's true label as its role.
    """
    duration = sf.info(str(item.audio)).duration
    words: list[Word] = []
    segments = item.reference or []
    for segment in segments:
        tokens = segment.text.split()
        start = segment.start if segment.start is not None else len(words) * 0.4
        end = segment.end if segment.end is not None else start + 0.4 * len(tokens)
        step = (end - start) / max(len(tokens), 1)
        for index, token in enumerate(tokens):
            text = "banana" if (len(words) + 1) % 5 == 0 else token
            words.append(
                Word(
                    text=text,
                    start=start + index * step,
                    end=start + (index + 0.9) * step,
                    probability=0.9,
                )
            )
    utterances = [utterance_of(words, "clinician", "SPEAKER_00")] if words else []
    labels = sorted({t.speaker for t in item.turns or []})
    names = {label: f"SPEAKER_{i:02d}" for i, label in enumerate(labels)}
    turns = [
        SpeakerTurn(speaker=names[t.speaker], start=t.start + 0.2, end=t.end + 0.2)
        for t in item.turns or []
    ]
    return Transcript(
        audio=AudioInfo(source=item.audio.name, duration=duration),
        language="en",
        utterances=utterances,
        speakers=[Speaker(label=name, role=label) for label, name in names.items()],
        turns=turns,
        timings=[
            StageTiming(stage="asr", seconds=0.05 * duration),
            StageTiming(stage="diarization", seconds=0.1 * duration),
        ],
    )


class Recorder:
    """`echo_transcribe`, remembering which items it was asked for; can fail or stop on one."""

    def __init__(self, stop_at: str | None = None, fail_on: str | None = None) -> None:
        self.calls: list[str] = []
        self.stop_at, self.fail_on = stop_at, fail_on

    def __call__(self, item: CorpusItem) -> Transcript:
        self.calls.append(item.id)
        if item.id == self.stop_at:
            raise KeyboardInterrupt  # the user pressed Ctrl-C during this item
        if item.id == self.fail_on:
            raise InputError(f"cannot decode {item.audio.name}")
        return echo_transcribe(item)


def test_resume_after_interruption_skips_finished_items(tmp_path: Path) -> None:
    manifest = load_manifest(REAL_MANIFEST)
    first = Recorder(stop_at="ami_dev00")
    with pytest.raises(KeyboardInterrupt):
        run_bench(manifest, tmp_path, first)
    assert first.calls == ["jfk", "stereo_diarization", "ami_dev00"]
    assert list(read_results(tmp_path / RESULTS)) == ["jfk", "stereo_diarization"]
    before = (tmp_path / RESULTS).read_text()

    second = Recorder()
    results = run_bench(manifest, tmp_path, second)
    assert second.calls == ["ami_dev00", "ami_dev01"]
    assert [r.id for r in results] == IDS and all(r.status == "ok" for r in results)
    assert (tmp_path / RESULTS).read_text().startswith(before)  # appended, nothing redone

    third = Recorder()
    run_bench(manifest, tmp_path, third)
    assert third.calls == []


def test_torn_last_line_is_dropped_and_redone(tmp_path: Path) -> None:
    manifest = load_manifest(REAL_MANIFEST)
    run_bench(manifest, tmp_path, Recorder())
    path = tmp_path / RESULTS
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2])  # killed mid-write
    assert list(read_results(path)) == IDS[:3]
    assert path.read_text() == "".join(lines[:3])  # the torn tail is cut off
    again = Recorder()
    run_bench(manifest, tmp_path, again)
    assert again.calls == ["ami_dev01"]


def test_a_failed_item_is_recorded_and_retried(tmp_path: Path) -> None:
    manifest = load_manifest(REAL_MANIFEST)
    results = run_bench(manifest, tmp_path, Recorder(fail_on="stereo_diarization"))
    failed = {r.id: r for r in results}["stereo_diarization"]
    assert (
        failed.status == "error"
        and failed.error == "InputError: cannot decode stereo_diarization.wav"
    )
    summary = finish_run(results, tmp_path, manifest, resamples=200)
    assert summary.failed == [("stereo_diarization", failed.error)] and summary.ok == 3
    retry = Recorder()
    results = run_bench(manifest, tmp_path, retry)
    assert retry.calls == ["stereo_diarization"] and all(r.status == "ok" for r in results)


def test_resuming_with_other_settings_is_refused(tmp_path: Path) -> None:
    manifest = load_manifest(REAL_MANIFEST)
    run_bench(manifest, tmp_path, Recorder(), options=BenchOptions(asr_model="base"))
    with pytest.raises(ConfigError, match=r"asr_model: 'base' → 'tiny\.en'"):
        run_bench(manifest, tmp_path, Recorder(), options=BenchOptions(asr_model="tiny.en"))
    run_bench(manifest, tmp_path, Recorder(), options=BenchOptions(asr_model="base", workers=2))


def test_worker_processes_and_tables(tmp_path: Path) -> None:
    manifest = load_manifest(REAL_MANIFEST)
    seen: list[tuple[int, int, str]] = []
    results = run_bench(
        manifest,
        tmp_path,
        echo_transcribe,
        options=BenchOptions(workers=2),
        progress=lambda done, total, item: seen.append((done, total, item)),
    )
    assert [r.id for r in results] == IDS and all(r.status == "ok" for r in results)
    assert seen[0] == (0, 4, "") and seen[-1][:2] == (4, 4)
    assert sorted(item for _, _, item in seen[1:]) == sorted(IDS)
    finish_run(results, tmp_path, manifest, resamples=200)
    with (tmp_path / "results.csv").open() as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    assert float(rows["jfk"]["wer"]) == pytest.approx(4 / 22, abs=1e-4)  # every fifth word wrong
    assert rows["ami_dev00"]["wer"] == "" and float(rows["ami_dev00"]["der"]) > 0
    assert float(rows["jfk"]["asr_seconds"]) == pytest.approx(0.55)
    with (tmp_path / "units.csv").open() as handle:
        units = list(csv.DictReader(handle))
    assert [u["id"] for u in units] == ["jfk", "stereo_diarization"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["ok"] == 4 and summary["diarization"]["speaker_count_exact"] == 1.0
    assert (tmp_path / "transcripts" / "jfk.json").exists()


@pytest.mark.slow
def test_real_pipeline_tiny_en_through_the_cli(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import avt_notes.cli.bench  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app

    manifest = tmp_path / "jfk.yaml"
    manifest.write_text(
        f'recordings:\n  - id: jfk\n    audio: {REAL / "jfk.flac"}\n    text: "{JFK_TEXT}"\n'
        "    metadata: {accent_group: american}\n"
    )
    out = tmp_path / "out"
    args = ["bench", str(manifest), "--out", str(out), "--asr-model", "tiny.en", "--no-notes"]
    result = CliRunner().invoke(app, [*args, "--resamples", "200"])
    assert result.exit_code == 0, result.output
    assert "WER american (n=1)" in result.output
    (line,) = (out / RESULTS).read_text().splitlines()
    item = json.loads(line)
    assert item["status"] == "ok" and item["asr_model"] == "tiny.en"
    assert item["asr"]["wer"] <= 0.10
    assert {"decode", "asr", "diarization", "alignment"} <= set(item["timings"])
    assert item["peak_rss_mb"] > 100
    assert (out / "report.html").exists() and (out / "plots" / "wer_by_accent.png").exists()


def test_a_changed_entry_or_audio_is_redone(tmp_path: Path) -> None:
    shutil.copy(REAL / "jfk.flac", tmp_path / "jfk.flac")
    path = tmp_path / "m.json"
    entry = {"id": "jfk", "audio": "jfk.flac", "text": JFK_TEXT}
    path.write_text(json.dumps({"recordings": [entry]}))
    out = tmp_path / "out"
    run_bench(load_manifest(path), out, Recorder())
    unchanged = Recorder()
    run_bench(load_manifest(path), out, unchanged)
    assert unchanged.calls == []
    path.write_text(json.dumps({"recordings": [entry | {"metadata": {"accent": "us"}}]}))
    edited = Recorder()
    run_bench(load_manifest(path), out, edited)
    assert edited.calls == ["jfk"]
    shutil.copy(REAL / "jfk.flac", tmp_path / "jfk.flac")  # a rebuilt corpus: new file
    rebuilt = Recorder()
    run_bench(load_manifest(path), out, rebuilt)
    assert rebuilt.calls == ["jfk"]


def test_a_failed_draft_keeps_the_recordings_scores(tmp_path: Path) -> None:
    from avt_notes.bench.primock_corpus import build_corpus

    from testdata import PRIMOCK

    def broken_drafter(transcript: Transcript) -> NoteDraft:
        raise InputError("the transcript has no utterances to draft from")

    path = build_corpus(
        PRIMOCK, tmp_path / "corpus", consultations=["day1_consultation01"], crop=12.0, max_gap=1.0
    )
    (result,) = run_bench(load_manifest(path), tmp_path / "out", Recorder(), broken_drafter)
    assert result.status == "ok" and result.asr is not None and result.diarization is not None
    assert result.note is not None
    assert result.note.error == "InputError: the transcript has no utterances to draft from"
    assert "drafting" in result.timings

"""Reports: the benchmark report with its plots on a tiny synthetic corpus, the
automation-bias report (CLI), and reading signed notes from a store database."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from avt_notes.bench.automation_bias import SignedNoteRecord, load_signed_notes
from avt_notes.bench.document import Document
from avt_notes.bench.manifest import Manifest, load_manifest
from avt_notes.bench.report import NO_SIGNED_NOTES
from avt_notes.bench.runner import finish_run, run_bench
from avt_notes.bench.scoring import NoteDraft
from avt_notes.schemas import Transcript
from avt_notes.store.db import DATABASE_FILE
from test_bench_runner import echo_transcribe

from testdata import PRIMOCK

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory: pytest.TempPathFactory) -> Manifest:
    """Two short PriMock57 consultations spoken by four voices of four accent groups."""
    from avt_notes.bench.primock_corpus import build_corpus

    folder = tmp_path_factory.mktemp("corpus")
    path = build_corpus(
        PRIMOCK,
        folder,
        consultations=["day1_consultation01", "day2_consultation08"],
        voices={
            "clinician": ["espeak-en-gb-scotland", "espeak-en-029"],
            "patient": ["flite-slt", "espeak-en-gb"],
        },
        crop=15.0,
        max_gap=1.0,
    )
    return load_manifest(path)


def _records(count: int = 6) -> list[SignedNoteRecord]:
    start = datetime(2025, 1, 6, 9, tzinfo=UTC)
    return [
        SignedNoteRecord(
            note_id=f"n{i}",
            clinician=f"dr-{i % 2}",
            template="soap" if i % 3 else "dap",
            accent_group="scottish" if i % 2 else None,
            signed_at=start + timedelta(days=4 * i),
            draft_chars=400 + 150 * i,
            normalised_edit_distance=0.05 * i,
            signed_unchanged=i == 0,
            review_seconds=10.0 + 15 * i,
            flagged_total=i % 3,
            flagged_kept_unedited=1 if i % 3 == 2 else 0,
        )
        for i in range(count)
    ]


def _png(path: Path) -> bool:
    return path.exists() and path.read_bytes()[:8] == PNG and path.stat().st_size > 2000


def test_bench_report_with_plots(tiny_corpus: Manifest, tmp_path: Path) -> None:
    results = run_bench(tiny_corpus, tmp_path, echo_transcribe)
    summary = finish_run(results, tmp_path, tiny_corpus, resamples=300)
    assert summary.asr is not None and summary.diarization is not None
    groups = {row.group for row in summary.asr.by["accent_group"].rows}
    assert groups == {"scottish", "caribbean", "american", "british"}
    # Roles are right; only the 0.2 s shift of the echoed turns overlaps the next speaker.
    role_accuracy = summary.diarization.role_accuracy.value
    assert role_accuracy is not None and 0.8 < role_accuracy < 1.0
    assert summary.diarization.speaker_count_exact == 1.0
    assert summary.speed is not None and summary.speed.audio_seconds > 20
    # Every echoed word has probability 0.9 and every fifth is "banana": all in the top band.
    words, wrong = summary.asr.probability_bands[-1]
    assert sum(w for w, _ in summary.asr.probability_bands) == words > 0
    assert wrong / words == pytest.approx(0.2, abs=0.03)

    markdown = (tmp_path / "report.md").read_text()
    for heading in (
        "## Headline",
        "## Speech recognition by accent group",
        "## Error rate by word probability",
        "## Diarisation",
    ):
        assert heading in markdown
    assert "| WER scottish (n=1) |" in markdown
    assert NO_SIGNED_NOTES in markdown
    assert "![WER by accent group with 95% intervals](plots/wer_by_accent.png)" in markdown
    page = (tmp_path / "report.html").read_text()
    assert "<img src='plots/der_per_file.png'" in page and "<table>" in page
    assert _png(tmp_path / "plots" / "wer_by_accent.png")
    assert _png(tmp_path / "plots" / "der_per_file.png")
    assert not (tmp_path / "plots" / "edit_distance_hist.png").exists()


def echo_draft(transcript: Transcript) -> NoteDraft:
    """A 'note' that restates the transcript, one cited sentence per utterance."""
    return NoteDraft(
        text=" ".join(u.text for u in transcript.utterances),
        sentences=len(transcript.utterances) + 1,
        with_evidence=len(transcript.utterances),
        unsupported=1,
        seconds=0.5,
    )


def test_notes_are_drafted_and_scored(tiny_corpus: Manifest, tmp_path: Path) -> None:
    results = run_bench(tiny_corpus, tmp_path, echo_transcribe, echo_draft)
    summary = finish_run(results, tmp_path, tiny_corpus, resamples=200)
    notes = summary.notes
    assert notes is not None and notes.notes == 2 and notes.with_reference == 2
    assert notes.edit_distance.value is not None and 0.3 < notes.edit_distance.value < 1.0
    assert notes.rouge_l.value is not None and 0.0 < notes.rouge_l.value < 0.5
    assert notes.unsupported_share.value == 0.5  # one utterance each: 1 of 2 sentences flagged
    assert notes.seconds_per_note == 0.5
    markdown = (tmp_path / "report.md").read_text()
    assert "| ROUGE-L F |" in markdown and "2 notes drafted, 2 with a reference note." in markdown


def test_bench_report_with_signed_notes(tiny_corpus: Manifest, tmp_path: Path) -> None:
    results = run_bench(tiny_corpus, tmp_path, echo_transcribe)
    finish_run(results, tmp_path, tiny_corpus, signed_notes=_records(), resamples=200)
    markdown = (tmp_path / "report.md").read_text()
    assert NO_SIGNED_NOTES not in markdown
    assert "| all notes | 6 |" in markdown
    assert _png(tmp_path / "plots" / "edit_distance_hist.png")
    assert _png(tmp_path / "plots" / "review_time_vs_length.png")


def test_automation_bias_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import avt_notes.cli.bench  # noqa: F401  (registers the commands)
    from avt_notes.cli.app import app
    from avt_notes.config import get_settings

    exported = tmp_path / "signed.jsonl"
    exported.write_text("".join(r.model_dump_json() + "\n" for r in _records()))
    out = tmp_path / "ab"
    args = ["report", "automation-bias", "--records", str(exported), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    markdown = (out / "automation-bias.md").read_text()
    for heading in (
        "## By clinician",
        "## By template",
        "## By patient language/accent group",
        "## Trend by week",
    ):
        assert heading in markdown
    # 3 notes is below the minimum group size: the group's figures are withheld.
    assert "| scottish | < 10 | withheld |" in markdown and "| dr-0 | 3 |" in markdown
    assert "Fast sign-offs to follow up: " in markdown
    assert _png(out / "plots" / "automation_bias_trend.png")

    monkeypatch.setenv("AVT_DATA_DIR", str(tmp_path / "empty-data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["report", "automation-bias", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0 and "no signed notes yet" in result.output
    assert not (tmp_path / "empty-data").exists()  # reading never creates a database

    exported.write_text('{"note_id": "x"}\n')
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0 and "line 1" in str(result.exception)


def test_signed_notes_from_a_store_database(tmp_path: Path) -> None:
    assert load_signed_notes(tmp_path) == []  # no database at all
    with sqlite3.connect(tmp_path / DATABASE_FILE) as db:
        db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    assert load_signed_notes(tmp_path) == []  # no sign-off table yet
    record = _records(2)[1]
    row = record.model_dump(mode="json") | {"note_id": 17, "extra_column": "ignored"}
    with sqlite3.connect(tmp_path / DATABASE_FILE) as db:
        columns = ", ".join(row)
        db.execute(f"CREATE TABLE signoff_metrics ({columns})")
        db.execute(
            f"INSERT INTO signoff_metrics VALUES ({', '.join('?' for _ in row)})",
            list(row.values()),
        )
    (loaded,) = load_signed_notes(tmp_path)
    assert loaded.note_id == "17" and loaded.review_seconds == record.review_seconds
    assert loaded.signed_at == record.signed_at and loaded.accent_group == "scottish"


def test_document_renders_markdown_and_escaped_html() -> None:
    document = Document("T <1>")
    document.heading("Section")
    document.paragraph("a & b")
    document.table(["k", "v"], [["x|y", 0.123456], ["none", None]])
    markdown = document.markdown()
    assert "| x\\|y | 0.123 |" in markdown and "| none | – |" in markdown
    page = document.html()
    assert "<h1>T &lt;1&gt;</h1>" in page and "<p>a &amp; b</p>" in page
    assert json.dumps(markdown)  # plain text, serialisable

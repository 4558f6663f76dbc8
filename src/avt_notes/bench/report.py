"""Benchmark and automation-bias reports, as Markdown and HTML with PNG plots.

Each report is a `bench.document.Document` built from a summary and written
as Markdown and HTML side by side. Plots sit beside the reports in `plots/`
and are linked relatively, so the folder can be zipped and shared as it is.
Every figure carries its interval and n: a WER for a group of two recordings
is not a finding.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

from avt_notes.bench import plots
from avt_notes.bench.automation_bias import (
    READING_CHARS_PER_SECOND,
    AutomationBiasSummary,
    MeanInterval,
    Period,
    SignedNoteRecord,
    SignoffStats,
    is_fast_signoff,
)
from avt_notes.bench.automation_bias import summarise as summarise_signoffs
from avt_notes.bench.document import Document, cell, ci, pct, ratio_text
from avt_notes.bench.summary import Breakdown, Summary
from avt_notes.metrics.word_confidence import BAND_EDGES

BREAKDOWN_COLUMNS = ("n rec.", "n units", "words", "WER [95% CI]", "CER", "S", "D", "I", "term WER")
NO_SIGNED_NOTES = "No signed notes yet: these figures appear once clinicians sign drafts."


# --- benchmark report --------------------------------------------------------------


def headline_rows(summary: Summary) -> list[tuple[str, str]]:
    """The figures printed at the end of a run and at the top of the report."""
    rows: list[tuple[str, str]] = []
    if summary.asr:
        rows.append(("WER, all", ci(summary.asr.wer)))
        for row in summary.asr.by["accent_group"].rows:
            rows.append((f"WER {row.group} (n={row.recordings})", ci(row.wer)))
        accent = summary.asr.by["accent_group"]
        rows.append(
            (
                f"worst/best accent ({accent.worst}/{accent.best})",
                ratio_text(accent.worst_best_ratio),
            )
        )
        rows.append(("CER, all", ci(summary.asr.cer)))
        rows.append(("clinical-term WER", ci(summary.asr.term_wer)))
    if summary.diarization:
        d = summary.diarization
        rows.append((f"DER (collar {d.collar:g} s)", ci(d.der)))
        rows.append(("JER (mean)", ci(d.jer)))
        rows.append(("speaker count right", pct(d.speaker_count_exact, 0)))
        rows.append(("role accuracy", ci(d.role_accuracy)))
    if summary.notes:
        n = summary.notes
        rows.append(("note edit distance (norm. chars)", ci(n.edit_distance)))
        rows.append(("note ROUGE-L", ci(n.rouge_l)))
        rows.append(("sentences with evidence", ci(n.evidence_share)))
        rows.append(("sentences unsupported", ci(n.unsupported_share)))
    if summary.speed:
        s = summary.speed
        for stage in s.stages:
            per = stage.per_audio_second
            rows.append((f"{stage.stage} s per audio s", "–" if per is None else f"{per:.3f}"))
        rows.append(("peak RSS", f"{s.peak_rss_mb:.0f} MB"))
    return rows


def _breakdown_table(document: Document, breakdown: Breakdown) -> None:
    document.table(
        [breakdown.field, *BREAKDOWN_COLUMNS],
        [
            [
                r.group,
                r.recordings,
                r.speakers,
                r.words,
                ci(r.wer),
                pct(r.cer),
                r.substitutions,
                r.deletions,
                r.insertions,
                pct(r.term_wer),
            ]
            for r in breakdown.rows
        ],
    )


def _asr_sections(document: Document, summary: Summary, out_dir: Path) -> None:
    asr = summary.asr
    if asr is None:
        document.heading("Speech recognition")
        document.paragraph("No recording in this corpus has a reference transcript.")
        return
    document.heading("Speech recognition by accent group")
    accent = asr.by["accent_group"]
    _breakdown_table(document, accent)
    scored = [r for r in accent.rows if r.wer.value is not None]
    if scored:
        plots.rate_with_intervals(
            [r.group for r in scored],
            [r.wer.value or 0.0 for r in scored],
            [r.wer.low for r in scored],
            [r.wer.high for r in scored],
            [r.recordings for r in scored],
            out_dir / "plots" / "wer_by_accent.png",
            title="WER by accent group (95% bootstrap CI over speakers/recordings)",
        )
        document.image("plots/wer_by_accent.png", "WER by accent group with 95% intervals")
    document.paragraph(
        f"Worst/best group WER ratio ({accent.worst} / {accent.best}): "
        f"{ratio_text(accent.worst_best_ratio)}. Per-speaker words are attributed by reference "
        "time, so these figures do not depend on the diarisation. Intervals resample "
        "speakers where the manifest records them (n units), else recordings."
    )
    for name, other in asr.by.items():
        if name != "accent_group":
            document.heading(f"Speech recognition by {name.replace('_', ' ')}")
            _breakdown_table(document, other)
    document.heading("Error types and clinical terms")
    total = asr.substitutions + asr.deletions + asr.insertions
    document.table(
        ["", "count", "share of errors"],
        [
            ["substitutions", asr.substitutions, pct(asr.substitutions / total if total else None)],
            ["deletions", asr.deletions, pct(asr.deletions / total if total else None)],
            ["insertions", asr.insertions, pct(asr.insertions / total if total else None)],
        ],
    )
    _probability_bands(document, asr.probability_bands)
    missed = ", ".join(f"{term} ({n})" for term, n in asr.missed_terms) or "none"
    document.paragraph(
        f"Clinical-term WER (list {summary.terms_version}, {asr.term_words} term words): "
        f"{ci(asr.term_wer)}; terms recognised: {pct(asr.term_recall)}. Most missed: {missed}."
    )


def _probability_bands(document: Document, bands: Sequence[tuple[int, int]]) -> None:
    """Are low-probability words wrong more often? (the review page marks them)."""
    if not bands or not sum(words for words, _ in bands):
        return
    document.heading("Error rate by word probability")
    edges = BAND_EDGES
    document.table(
        ["probability", "words", "wrong", "error rate"],
        [
            [f"{low:.1f}–{high:.1f}", words, wrong, pct(wrong / words if words else None)]
            for (low, high), (words, wrong) in zip(pairwise(edges), bands, strict=True)
        ],
    )
    rows = []
    for index, threshold in enumerate(edges[1:-1], start=1):
        marked, rest = bands[:index], bands[index:]
        m_words, m_wrong = sum(w for w, _ in marked), sum(x for _, x in marked)
        r_words, r_wrong = sum(w for w, _ in rest), sum(x for _, x in rest)
        m_rate = m_wrong / m_words if m_words else None
        r_rate = r_wrong / r_words if r_words else None
        ratio = f"{m_rate / r_rate:.1f}x" if m_rate is not None and r_rate else "–"
        rows.append([f"< {threshold:.1f}", m_words, pct(m_rate), pct(r_rate), ratio])
    document.table(["marked if", "marked words", "marked wrong", "unmarked wrong", "ratio"], rows)
    document.paragraph(
        "A recognised word is wrong when it does not align to the same reference word. "
        "The review page marks words below the configured probability "
        "(AVT_ASR_LOW_PROBABILITY); marked words should be wrong several times as often."
    )


def _diarization_section(document: Document, summary: Summary, out_dir: Path) -> None:
    d = summary.diarization
    document.heading("Diarisation")
    if d is None:
        document.paragraph("No recording in this corpus has reference speaker turns (RTTM).")
        return
    document.paragraph(
        f"DER {ci(d.der)} (pooled over speech time; collar {d.collar:g} s, overlap scored): "
        f"missed {d.missed:.1f} s, false alarm {d.false_alarm:.1f} s, confusion "
        f"{d.confusion:.1f} s. JER {ci(d.jer)}. Speaker count right in "
        f"{pct(d.speaker_count_exact, 0)} of {d.recordings} recordings (over: "
        f"{d.speaker_count_over}, under: {d.speaker_count_under}). Role accuracy "
        f"(clinician/patient, share of overlapped speech time): {ci(d.role_accuracy)}."
    )
    document.table(
        ["recording", "DER", "JER", "ref. speakers", "hyp. speakers", "role accuracy"],
        [
            [
                f.id,
                pct(f.der),
                pct(f.jer),
                f.reference_speakers,
                f.hypothesis_speakers,
                pct(f.role_accuracy),
            ]
            for f in d.files
        ],
    )
    plots.per_file_bars(
        [f.id for f in d.files],
        [f.der for f in d.files],
        out_dir / "plots" / "der_per_file.png",
        title=f"DER per recording (collar {d.collar:g} s)",
        ylabel="DER (%)",
    )
    document.image("plots/der_per_file.png", "DER per recording")


def _notes_and_speed(document: Document, summary: Summary) -> None:
    document.heading("Draft notes")
    n = summary.notes
    if n is None:
        document.paragraph("Notes were not drafted in this run.")
    else:
        document.table(
            ["metric", "mean [95% CI]"],
            [
                ["normalised character edit distance to the clinician's note", ci(n.edit_distance)],
                ["ROUGE-L F", ci(n.rouge_l)],
                ["sentences citing evidence", ci(n.evidence_share)],
                ["sentences flagged unsupported", ci(n.unsupported_share)],
                ["seconds per note", cell(n.seconds_per_note)],
            ],
        )
        failed = f"; drafting failed for {n.failed}" if n.failed else ""
        document.paragraph(
            f"{n.notes} notes drafted, {n.with_reference} with a reference note{failed}."
        )
    document.heading("Speed and memory")
    s = summary.speed
    if s is None:
        document.paragraph("No recording finished.")
        return
    document.table(
        ["stage", "seconds", "seconds per audio second"],
        [[t.stage, f"{t.seconds:.1f}", cell(t.per_audio_second)] for t in s.stages],
    )
    document.paragraph(
        f"{s.audio_seconds:.0f} s of audio; pipeline (without drafting) "
        f"{cell(s.pipeline_per_audio_second)} s per audio second; wall {s.wall_seconds:.0f} s; "
        f"peak RSS {s.peak_rss_mb:.0f} MB."
    )


def signoff_section(
    document: Document,
    records: Sequence[SignedNoteRecord],
    out_dir: Path,
    *,
    period: Period = "week",
    chars_per_second: float = READING_CHARS_PER_SECOND,
) -> AutomationBiasSummary | None:
    """Edit-distance histogram and review time vs length (or the 'no signed notes' line)."""
    if not records:
        document.paragraph(NO_SIGNED_NOTES)
        return None
    found = summarise_signoffs(records, period=period, chars_per_second=chars_per_second)
    overall = found.overall
    plots.histogram(
        overall.histogram,
        out_dir / "plots" / "edit_distance_hist.png",
        title="How much clinicians changed the drafts",
        xlabel="normalised character edit distance, draft → signed note",
    )
    document.image("plots/edit_distance_hist.png", "Edit distance histogram")
    plots.review_time_vs_length(
        [r.draft_chars for r in records],
        [r.review_seconds for r in records],
        [is_fast_signoff(r, overall.chars_per_second) for r in records],
        overall.chars_per_second,
        out_dir / "plots" / "review_time_vs_length.png",
    )
    document.image("plots/review_time_vs_length.png", "Review time vs note length")
    document.table(*_stats_table({"all notes": overall}))
    return found


def _stats_table(groups: dict[str, SignoffStats]) -> tuple[list[str], list[list[object]]]:
    headers = [
        "group",
        "notes",
        "median edit dist.",
        "signed unchanged",
        "fast sign-offs",
        "flagged kept unedited",
        "median review s",
    ]
    rows: list[list[object]] = [
        [
            name,
            s.notes,
            cell(s.edit_distance_median),
            pct(s.unchanged_share),
            pct(s.fast_share),
            f"{pct(s.flagged_kept_unedited_share)} of {s.flagged_total}",
            cell(s.review_seconds_median),
        ]
        for name, s in groups.items()
    ]
    return headers, rows


def write_bench_report(
    summary: Summary, out_dir: Path, records: Sequence[SignedNoteRecord] = ()
) -> tuple[Path, Path]:
    """report.md and report.html (with plots/) for a benchmark run."""
    document = Document(f"avt-notes benchmark: {Path(summary.manifest).stem}")
    document.paragraph(
        f"Manifest {summary.manifest}; ASR model {summary.asr_model or 'default'}; normaliser "
        f"{summary.normaliser}; {summary.ok} of {summary.items} recordings scored; intervals are "
        f"95% percentile bootstrap over recordings ({summary.resamples} resamples, seed "
        f"{summary.seed})."
    )
    document.heading("Headline")
    document.table(["metric", "value [95% CI]"], headline_rows(summary))
    _asr_sections(document, summary, out_dir)
    _diarization_section(document, summary, out_dir)
    _notes_and_speed(document, summary)
    document.heading("Clinician review of signed notes (automation bias)")
    signoff_section(document, records, out_dir)
    if summary.failed:
        document.heading("Failed recordings")
        document.table(["recording", "error"], [list(row) for row in summary.failed])
    return document.write(out_dir, "report")


def _interval(found: MeanInterval, digits: int = 3) -> str:
    if found.value is None:
        return "–"
    if found.low is None or found.high is None:
        return f"{found.value:.{digits}f}"
    return f"{found.value:.{digits}f} [{found.low:.{digits}f}, {found.high:.{digits}f}]"


def _language_group_section(document: Document, found: AutomationBiasSummary) -> None:
    """Per self-described language/accent group, small groups withheld."""
    document.heading("By patient language/accent group (recorded only with consent)")
    if not found.by_language_group:
        document.paragraph("Not recorded.")
        return
    rows: list[list[object]] = []
    for g in found.by_language_group:
        if not g.shown:
            rows.append([g.group, f"< {found.min_group_size}", "withheld", "", "", ""])
            continue
        rows.append(
            [
                g.group,
                g.notes,
                _interval(g.edit_distance),
                _interval(g.sentences_changed),
                _interval(g.review_seconds, 0),
                _interval(g.transcript_confidence),
            ]
        )
    document.table(
        [
            "group",
            "notes",
            "edit distance [95% CI]",
            "share of sentences changed",
            "review seconds",
            "transcript confidence (mean word probability)",
        ],
        rows,
    )
    document.paragraph(
        f"Means with 95% bootstrap intervals over notes. Groups with fewer than "
        f"{found.min_group_size} signed notes are withheld (small groups identify people); "
        "notes where the patient preferred not to say are left out."
    )


def write_automation_bias_report(
    records: Sequence[SignedNoteRecord],
    out_dir: Path,
    *,
    source: str = "the store",
    period: Period = "week",
    chars_per_second: float = READING_CHARS_PER_SECOND,
) -> tuple[Path, Path]:
    """automation-bias.md/.html: distribution, review speed, flags, breakdowns, trend."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = Document("avt-notes: clinician review of AI drafts (automation bias)")
    document.paragraph(f"{len(records)} signed notes from {source}.")
    found = signoff_section(
        document, records, out_dir, period=period, chars_per_second=chars_per_second
    )
    if found is not None:
        for title, groups in (
            ("By clinician", found.by_clinician),
            ("By template", found.by_template),
        ):
            document.heading(title)
            if groups:
                document.table(*_stats_table(groups))
            else:
                document.paragraph("Not recorded.")
        _language_group_section(document, found)
        document.heading(f"Trend by {found.period}")
        document.table(*_stats_table(dict(found.trend)))
        periods = [p for p, _ in found.trend]
        plots.trend_lines(
            periods,
            {
                "signed unchanged": [s.unchanged_share for _, s in found.trend],
                "fast sign-offs": [s.fast_share for _, s in found.trend],
                "flagged kept unedited": [s.flagged_kept_unedited_share for _, s in found.trend],
            },
            out_dir / "plots" / "automation_bias_trend.png",
            title=f"Automation-bias signals by {found.period}",
        )
        document.image("plots/automation_bias_trend.png", "Trend over time")
        if found.fast_signoff_notes:
            document.paragraph(
                "Fast sign-offs to follow up: " + ", ".join(found.fast_signoff_notes)
            )
    return document.write(out_dir, "automation-bias")

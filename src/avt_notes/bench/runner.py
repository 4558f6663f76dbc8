"""Run the pipeline over a corpus, resumably, and write per-item results.

A full corpus takes hours on a laptop, so a run must survive being stopped:
each item's result is appended to `results.jsonl` (flushed and fsync'd) as
soon as it is scored, and a rerun into the same folder skips every item
already there with status "ok". Failed items are tried again, and so are items
whose manifest entry or audio file changed since (each result carries the
item's fingerprint). A half-written last line from a killed run is dropped.
`run.json` records what the run was configured with; resuming with different
models or settings is refused rather than mixing two configurations in one
table.

The pipeline is injected: `transcribe(item) -> Transcript` and optionally
`draft(transcript) -> NoteDraft`. The defaults (`PipelineTranscriber`,
`PipelineDrafter`) call the real models; tests pass cheap real functions.
With `workers > 1` items run in separate processes (spawned, so each loads its
own models); the callables must then be picklable (module-level).
"""

from __future__ import annotations

import json
import logging
import os
import resource
import time
import traceback
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

from avt_notes.bench.automation_bias import SignedNoteRecord
from avt_notes.bench.manifest import CorpusItem, Manifest
from avt_notes.bench.scoring import (
    SCORING_VERSION,
    ItemResult,
    NoteDraft,
    NoteResult,
    score_asr,
    score_diarization,
    score_note,
)
from avt_notes.bench.stats import DEFAULT_RESAMPLES, DEFAULT_SEED
from avt_notes.bench.summary import Summary, summarise
from avt_notes.bench.tables import write_tables
from avt_notes.errors import AvtError, ConfigError
from avt_notes.metrics.clinical_terms import load_terms
from avt_notes.schemas import Transcript

if TYPE_CHECKING:
    from avt_notes.drafting import DraftNote

logger = logging.getLogger("avt_notes")

TranscribeFn = Callable[[CorpusItem], Transcript]
DraftFn = Callable[[Transcript], NoteDraft]
ProgressFn = Callable[[int, int, str], None]  # (done, total, last finished item id)

RESULTS = "results.jsonl"
RUN_CONFIG = "run.json"


@dataclass(frozen=True)
class BenchOptions:
    """What a run is configured with (recorded in run.json; a resume must match)."""

    asr_model: str = ""
    template: str | None = None  # None: no notes drafted
    drafter: str = ""
    collar: float = 0.25
    workers: int = 1
    keep_transcripts: bool = True

    def identity(self) -> dict[str, Any]:
        """The settings that change results (workers and file keeping do not)."""
        keys = ("asr_model", "template", "drafter", "collar")
        versions = {"scoring": SCORING_VERSION, "terms": load_terms().version}
        return {key: getattr(self, key) for key in keys} | versions


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the real pipeline, as picklable callables -----------------------------------


@dataclass(frozen=True)
class PipelineTranscriber:
    """`transcribe_file` with the project settings (models loaded once per process)."""

    asr_model: str | None = None

    def __call__(self, item: CorpusItem) -> Transcript:
        from avt_notes.config import get_settings
        from avt_notes.pipeline import transcribe_file

        settings = get_settings()
        if item.language:
            settings = settings.updated(models={"language": item.language})
        return transcribe_file(
            item.audio, settings, asr_model=self.asr_model, num_speakers=item.num_speakers
        )


@dataclass(frozen=True)
class PipelineDrafter:
    """Draft a note with the configured drafter and `template`, as a `NoteDraft`."""

    template: str = "soap"

    def __call__(self, transcript: Transcript) -> NoteDraft:
        from avt_notes.config import get_settings
        from avt_notes.pipeline import draft_transcript, get_drafter

        settings = get_settings()
        get_drafter(settings)  # loaded once per process; not part of the drafting time
        started = time.perf_counter()
        note = draft_transcript(transcript, self.template, settings)
        return note_draft_from(note, time.perf_counter() - started)


def note_draft_from(note: DraftNote, seconds: float) -> NoteDraft:
    """The benchmark's view of a draft: its plain text and sentence counts."""
    sentences = note.sentences()
    return NoteDraft(
        text=note.plain_text(),
        sentences=len(sentences),
        with_evidence=sum(1 for s in sentences if s.evidence),
        unsupported=sum(1 for s in sentences if s.status == "unsupported"),
        seconds=seconds,
    )


# --- one item ------------------------------------------------------------------------


def run_item(
    item: CorpusItem,
    transcribe: TranscribeFn,
    draft: DraftFn | None,
    options: BenchOptions,
    out_dir: Path,
) -> ItemResult:
    """Transcribe (and draft), score against the references; failures become an error row."""
    started = time.perf_counter()
    base = ItemResult(
        id=item.id,
        status="ok",
        fingerprint=item.fingerprint,
        accent_group=item.accent_group(),
        metadata=item.metadata,
        asr_model=options.asr_model,
    )
    try:
        transcript = transcribe(item)
        if options.keep_transcripts:
            folder = out_dir / "transcripts"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{item.id}.json").write_text(transcript.model_dump_json(), "utf-8")
        base.audio_seconds = transcript.audio.duration
        base.timings = {t.stage: t.seconds for t in transcript.timings}
        base.asr = score_asr(item, transcript, load_terms())
        base.diarization = score_diarization(item, transcript, options.collar)
        # Notes are drafted where there is a clinician's note to compare with.
        if draft is not None and item.note is not None:
            base.note = _draft_and_score(item, transcript, draft)
            base.timings["drafting"] = round(base.note.seconds, 3)
    except Exception as error:  # one bad recording must not stop a long run
        logger.warning("%s failed: %s", item.id, error)
        if not isinstance(error, AvtError):
            logger.debug("%s", traceback.format_exc())
        base.status, base.error = "error", f"{type(error).__name__}: {error}"
    base.wall_seconds = round(time.perf_counter() - started, 3)
    base.peak_rss_mb = round(peak_rss_mb(), 1)
    return base


def _draft_and_score(item: CorpusItem, transcript: Transcript, draft: DraftFn) -> NoteResult:
    """A failed draft is recorded on the note, not the item: its ASR scores still count."""
    started = time.perf_counter()
    try:
        return score_note(item.note, draft(transcript))
    except Exception as error:
        logger.warning("%s: drafting failed: %s", item.id, error)
        return NoteResult(
            error=f"{type(error).__name__}: {error}", seconds=time.perf_counter() - started
        )


# --- results file ----------------------------------------------------------------------


def read_results(path: Path) -> dict[str, ItemResult]:
    """Results by item id (last line wins); a torn last line is cut off the file."""
    if not path.exists():
        return {}
    data = path.read_bytes()
    results: dict[str, ItemResult] = {}
    keep = 0
    for line in data.splitlines(keepends=True):
        if not line.endswith(b"\n"):
            logger.warning("%s: dropping an unfinished last line (interrupted run)", path)
            break
        try:
            result = ItemResult.model_validate_json(line)
        except ValueError:
            logger.warning("%s: skipping an unreadable line", path)
        else:
            results[result.id] = result
        keep += len(line)
    if keep < len(data):
        with path.open("r+b") as handle:
            handle.truncate(keep)
    return results


def append_result(path: Path, result: ItemResult) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(result.model_dump_json() + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _finished(item: CorpusItem, result: ItemResult | None) -> bool:
    """Done before, successfully, from the same manifest entry and audio file."""
    return result is not None and result.status == "ok" and result.fingerprint == item.fingerprint


def _check_run_config(out_dir: Path, manifest: Manifest, options: BenchOptions) -> None:
    path = out_dir / RUN_CONFIG
    wanted = {"manifest": str(manifest.path), **options.identity()}
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8"))
        differing = [k for k in wanted if previous.get(k) != wanted[k]]
        if differing and (out_dir / RESULTS).exists():
            details = ", ".join(f"{k}: {previous.get(k)!r} → {wanted[k]!r}" for k in differing)
            raise ConfigError(
                f"{out_dir} holds a run with other settings ({details}); "
                "use another --out folder or delete it to start again"
            )
    path.write_text(json.dumps({**wanted, **asdict(options)}, indent=1) + "\n", "utf-8")


# --- the run -----------------------------------------------------------------------------


def run_bench(
    manifest: Manifest,
    out_dir: str | Path,
    transcribe: TranscribeFn,
    draft: DraftFn | None = None,
    *,
    options: BenchOptions = BenchOptions(),
    progress: ProgressFn | None = None,
) -> list[ItemResult]:
    """Run every unfinished item and return the results of all manifest items, in order."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _check_run_config(out, manifest, options)
    results_path = out / RESULTS
    done = read_results(results_path)
    pending = [item for item in manifest.items if not _finished(item, done.get(item.id))]
    total, finished = len(manifest.items), len(manifest.items) - len(pending)
    if finished:
        logger.info("resuming: %d of %d items already done", finished, total)
    if progress:
        progress(finished, total, "")

    def record(result: ItemResult) -> None:
        nonlocal finished
        append_result(results_path, result)
        done[result.id] = result
        finished += 1
        if progress:
            progress(finished, total, result.id)

    if options.workers <= 1:
        for item in pending:
            record(run_item(item, transcribe, draft, options, out))
    else:
        _run_parallel(pending, transcribe, draft, options, out, record)
    return [done[item.id] for item in manifest.items if item.id in done]


def _run_parallel(
    items: Iterable[CorpusItem],
    transcribe: TranscribeFn,
    draft: DraftFn | None,
    options: BenchOptions,
    out: Path,
    record: Callable[[ItemResult], None],
) -> None:
    """Items in worker processes; results are recorded (in this process) as they finish."""
    with ProcessPoolExecutor(options.workers, mp_context=get_context("spawn")) as pool:
        futures: set[Future[ItemResult]] = {
            pool.submit(run_item, item, transcribe, draft, options, out) for item in items
        }
        try:
            while futures:
                finished, futures = wait(futures, return_when=FIRST_COMPLETED)
                for future in finished:
                    record(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def finish_run(
    results: list[ItemResult],
    out_dir: str | Path,
    manifest: Manifest,
    options: BenchOptions = BenchOptions(),
    *,
    signed_notes: Iterable[SignedNoteRecord] = (),
    seed: int = DEFAULT_SEED,
    resamples: int = DEFAULT_RESAMPLES,
) -> Summary:
    """Write results.csv, units.csv, summary.json and report.md/.html (+ plots/)."""
    from avt_notes.bench.report import write_bench_report

    out = Path(out_dir)
    summary = summarise(
        results,
        manifest=str(manifest.path),
        asr_model=options.asr_model,
        template=options.template,
        seed=seed,
        resamples=resamples,
    )
    write_tables(results, out)
    (out / "summary.json").write_text(summary.model_dump_json(indent=1) + "\n", "utf-8")
    write_bench_report(summary, out, list(signed_notes))
    return summary

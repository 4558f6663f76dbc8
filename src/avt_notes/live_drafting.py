"""Drafting while recording: the note is drafted window by window, merged at stop.

With the drafter already loaded, each window of new transcript (a few minutes
of recording) is drafted as soon as ASR has committed it, from a provisional
transcript (speakers clustered over the audio so far). At stop only the last
window is drafted, from the final transcript, and the windows are merged.
Between windows the drafter reads the next window's lines so far
(`read_ahead`), so that at stop most of the last window's prompt is read.

Utterance ids are not stable between a provisional and the final transcript:
the final clustering can move a speaker change and so split or join
utterances differently. The words and their times are stable (ASR commits them
once), so a window's evidence is remapped by time: a sentence citing a
provisional utterance cites every final utterance that overlaps it in time.
Every merged sentence is then checked again against the final transcript by
the grounding rules, and risk language is detected on the final transcript,
so nothing in the note rests on provisional speaker labels.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from avt_notes.drafting import DraftNote, DraftSentence, Template, draft_note
from avt_notes.drafting.backend import Drafter, InterruptibleDrafter
from avt_notes.drafting.note import finish_note, merge_and_check, prefill_note
from avt_notes.errors import AvtError, DraftingInterrupted
from avt_notes.grounding import load_grounding_lexicon
from avt_notes.progress import Progress, no_progress
from avt_notes.risk import detect_risk, load_lexicon
from avt_notes.schemas import StageTiming, Transcript, Utterance

logger = logging.getLogger(__name__)


@dataclass
class DraftedWindow:
    note: DraftNote
    utterances: list[Utterance]  # the window's utterances (its own ids, provisional times)
    seconds: float


def window_transcript(transcript: Transcript, utterances: Sequence[Utterance]) -> Transcript:
    """`transcript` restricted to `utterances`, numbered afresh from u0001 (same speakers,
    audio facts and models).

    Fresh ids make a window's prompt the same from a provisional transcript and from the
    final one, whose ids count every utterance before: what the drafter read ahead while
    recording (`prefill_note`) then serves at stop.
    """
    numbered = [u.model_copy(update={"id": f"u{i:04d}"}) for i, u in enumerate(utterances, 1)]
    return transcript.model_copy(update={"utterances": numbered})


def remap_evidence(
    sentence: DraftSentence, window: Sequence[Utterance], final: Sequence[Utterance]
) -> DraftSentence:
    """`sentence` citing the final utterances that overlap, in time, the ones it cited."""
    by_id = {u.id: u for u in window}
    cited = [by_id[i] for i in sentence.evidence if i in by_id]
    ids = [f.id for f in final if any(min(f.end, c.end) - max(f.start, c.start) > 0 for c in cited)]
    return sentence.model_copy(update={"evidence": ids})


class LiveDrafting:
    """Drafts windows of a growing transcript; `finish` drafts the rest and merges.

    `window_seconds` (setting `live_draft_window_seconds`): long enough for the
    model to see an exchange whole, short enough that the last window drafts
    quickly at stop. `finish_checks_seconds` (setting `live_finish_checks_seconds`):
    no rewording or coverage call starts this many seconds after the stop (0: no
    limit), in a window finished after it or in the final pass, so that a last
    window left whole to the final pass does not hold the draft past the minute a
    clinician waits for.
    """

    def __init__(
        self,
        template: Template,
        drafter: Drafter,
        *,
        max_new_tokens: int,
        window_seconds: float,
        finish_checks_seconds: float = 0.0,
    ) -> None:
        self.template = template
        self.drafter = drafter
        self.max_new_tokens = max_new_tokens
        self.window_seconds = window_seconds
        self.finish_checks_seconds = finish_checks_seconds
        self.cut = 0.0  # seconds: utterances ending after this are not drafted yet
        self.windows: list[DraftedWindow] = []
        # Seconds spent on a window dropped unfinished when the recording stopped.
        self.abandoned_seconds = 0.0
        self.stopped_at: float | None = None  # time.monotonic() when the stop was seen

    def due(self, committed_seconds: float) -> bool:
        """Whether ASR has committed a whole new window since the last one."""
        return committed_seconds - self.cut >= self.window_seconds

    def draft_window(
        self,
        provisional: Transcript,
        upto: float,
        should_stop: Callable[[], bool] | None = None,
    ) -> bool:
        """Draft the utterances after the last window that end by `upto`; False if none.

        Once `should_stop()` (the recording has stopped), a window less than half drafted
        (at the pace of the windows before it) is dropped unfinished and False returned:
        the final pass drafts its lines with the rest, rather than the stop waiting for
        this window and then drafting the rest as well. A window at least half drafted is
        finished: what is left of it takes less than drafting it all again at stop.
        """
        # By end, not start: an utterance the last window saw cut short is seen whole now
        # (the merge folds a sentence drafted twice into one).
        utterances = [u for u in provisional.utterances if self.cut < u.end <= upto]
        if not utterances:
            return False
        started = time.perf_counter()
        window = window_transcript(provisional, utterances)
        drafter = self.drafter
        if should_stop is not None:
            drafter = InterruptibleDrafter(
                drafter, self._unless_mostly_drafted(should_stop, started, len(utterances))
            )
        try:
            note = self._draft(window, drafter=drafter, past_due=self._past_due)
        except DraftingInterrupted:
            spent = time.perf_counter() - started
            self.abandoned_seconds += spent
            logger.info(
                "recording stopped while drafting a window of %d utterances: left to the "
                "final pass (%.1f s spent)",
                len(utterances),
                spent,
            )
            return False
        self.windows.append(DraftedWindow(note, window.utterances, time.perf_counter() - started))
        self.cut = utterances[-1].end
        return True

    def _unless_mostly_drafted(
        self, should_stop: Callable[[], bool], started: float, lines: int
    ) -> Callable[[], bool]:
        """`should_stop`, decided once when it first says so: stop only a window that is
        less than half drafted. With no window drafted yet, the pace is unknown: stop."""
        decision: bool | None = None

        def stop() -> bool:
            nonlocal decision
            if decision is None and should_stop():
                self.stopped_at = time.monotonic()
                spent = time.perf_counter() - started
                expected = self._expected_seconds(lines)
                decision = expected is None or spent < expected / 2
                if not decision:
                    logger.info(
                        "recording stopped while drafting a window of %d utterances, "
                        "%.1f s of about %.1f s in: finishing it",
                        lines,
                        spent,
                        expected,
                    )
            return bool(decision)

        return stop

    def _past_due(self) -> bool:
        """Whether `finish_checks_seconds` have passed since the stop."""
        limit = self.finish_checks_seconds
        return (
            limit > 0
            and self.stopped_at is not None
            and time.monotonic() >= self.stopped_at + limit
        )

    def _expected_seconds(self, lines: int) -> float | None:
        """Seconds to draft `lines` utterances at the pace of the windows so far."""
        drafted = sum(len(w.utterances) for w in self.windows)
        if not drafted:
            return None
        return lines * sum(w.seconds for w in self.windows) / drafted

    def read_ahead(self, provisional: Transcript, upto: float) -> bool:
        """Have the drafter read the next window's lines so far (those ending by `upto`), so
        that drafting it, when due or at stop, reads only what came after; False if not.

        Speculative: a failure here is logged and costs nothing but the time.
        """
        utterances = [u for u in provisional.utterances if self.cut < u.end <= upto]
        if not utterances:
            return False
        try:
            return prefill_note(
                window_transcript(provisional, utterances), self.template, self.drafter
            )
        except AvtError as error:
            logger.warning("reading the next window ahead failed: %s", error)
            return False

    def finish(self, transcript: Transcript, *, progress: Progress = no_progress) -> DraftNote:
        """The note of the whole session: the last window drafted, all windows merged."""
        if self.stopped_at is None:  # stopped between windows: seen now
            self.stopped_at = time.monotonic()
        final = transcript.utterances
        notes = [_remapped(w, final) for w in self.windows]
        rest = [u for u in final if u.end > self.cut + 0.001]
        started = time.perf_counter()
        if rest or not notes:
            window = window_transcript(transcript, rest)
            drafted = self._draft(window, progress, past_due=self._past_due)
            own_ids = {w.id: u.id for w, u in zip(window.utterances, rest, strict=True)}
            notes.append(_with_ids(drafted, own_ids))
        drafting_seconds = time.perf_counter() - started
        started = time.perf_counter()
        progress("merging drafts", 0.0)
        note = self._merge(notes, transcript)
        progress("merging drafts", 1.0)
        live_seconds = sum(w.seconds for w in self.windows)
        note.timings = [
            StageTiming(stage="live_drafting", seconds=round(live_seconds, 3)),
            StageTiming(stage="live_drafting_abandoned", seconds=round(self.abandoned_seconds, 3)),
            StageTiming(stage="drafting", seconds=round(drafting_seconds, 3)),
            StageTiming(stage="merge", seconds=round(time.perf_counter() - started, 3)),
        ]
        return note

    def _draft(
        self,
        transcript: Transcript,
        progress: Progress = no_progress,
        *,
        drafter: Drafter | None = None,
        past_due: Callable[[], bool] | None = None,
    ) -> DraftNote:
        return draft_note(
            transcript,
            self.template,
            drafter if drafter is not None else self.drafter,
            progress,
            max_new_tokens=self.max_new_tokens,
            state_risk=False,
            past_due=past_due,
        )

    def _merge(self, notes: Sequence[DraftNote], transcript: Transcript) -> DraftNote:
        """One note: sections merged in time order, each sentence re-checked on the final ids."""
        risk_lexicon = load_lexicon()
        warnings = [w for note in notes for w in note.warnings]
        per_section = {
            section.name: [note.section(section.name).sentences for note in notes]
            for section in self.template.sections
        }
        sections = merge_and_check(
            self.template, per_section, transcript, load_grounding_lexicon(), warnings
        )
        risk_items = detect_risk(transcript, risk_lexicon)
        merged = notes[-1].model_copy(
            update={
                "sections": sections,
                "risk_items": risk_items,
                "risk_lexicon_version": risk_lexicon.version,
                "risk_lexicon_sha256": risk_lexicon.sha256,
                "chunks": sum(note.chunks for note in notes),
                "source": transcript.audio.source,
                "warnings": [*warnings, f"drafted in {len(notes)} window(s), merged at stop"],
            }
        )
        return finish_note(merged, risk_items, transcript, self.template, risk_lexicon)


def _with_ids(note: DraftNote, ids: dict[str, str]) -> DraftNote:
    """`note` citing the utterances its window's ids stand for."""
    sections = [
        section.model_copy(
            update={
                "sentences": [
                    s.model_copy(update={"evidence": [ids.get(i, i) for i in s.evidence]})
                    for s in section.sentences
                ]
            }
        )
        for section in note.sections
    ]
    return note.model_copy(update={"sections": sections})


def _remapped(window: DraftedWindow, final: Sequence[Utterance]) -> DraftNote:
    """A window's note with its evidence pointing at the final transcript's utterances."""
    sections = [
        section.model_copy(
            update={
                "sentences": [
                    remap_evidence(s, window.utterances, final) for s in section.sentences
                ]
            }
        )
        for section in window.note.sections
    ]
    return window.note.model_copy(update={"sections": sections})

"""Score one benchmark recording: the pipeline's output against the manifest's truth.

Everything here is a pure function of (corpus item, transcript, draft) so the
runner can score in a worker process and tests can score hand-built cases.

Per-speaker WER does not trust the diarisation: when the reference has times
and speakers, each recognised word goes to the reference segment it overlaps
most (words in gaps to the nearest segment), and each reference speaker's
words are scored against the words placed in their segments. So WER per accent
group measures the recogniser on that group's speech, and diarisation errors
are measured separately (DER, role accuracy).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from avt_notes.alignment import best_spans
from avt_notes.bench.manifest import CorpusItem
from avt_notes.bench.references import ReferenceSegment
from avt_notes.metrics.asr import NORMALISER_VERSION, error_rates, normalise
from avt_notes.metrics.clinical_terms import TermList, term_errors
from avt_notes.metrics.diarization import diarization_scores
from avt_notes.metrics.notes import char_levenshtein, rouge_l
from avt_notes.metrics.word_confidence import error_by_band, word_correctness
from avt_notes.schemas import CLINICIAN, PATIENT, SpeakerTurn, Transcript

# Bump when scoring changes: a resumed run refuses to mix results of two versions.
SCORING_VERSION = "2"  # 2: word-probability bands
ROLE_LABELS = frozenset({CLINICIAN, PATIENT})
# Metadata fields WER is broken down by, besides the accent group.
BREAKDOWN_FIELDS = ("gender", "age_band", "device", "noise", "language")


class AsrUnit(BaseModel):
    """Errors on one reference speaker's words (or a whole unattributed recording)."""

    speaker: str | None = None
    accent_group: str
    attributes: dict[str, str] = Field(default_factory=dict)
    reference_words: int
    substitutions: int
    deletions: int
    insertions: int
    reference_chars: int
    char_errors: int
    term_words: int = 0
    term_errors: int = 0
    terms: int = 0
    terms_recognised: int = 0
    missed_terms: list[str] = Field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions


class AsrResult(BaseModel):
    normaliser: str = NORMALISER_VERSION
    terms_version: str = ""
    wer: float
    cer: float
    whole: AsrUnit  # the recording as one unit (all speakers, time order)
    units: list[AsrUnit]  # per reference speaker when attributable, else [whole]
    # Recognised words per probability band (metrics.word_confidence.BAND_EDGES):
    # [words, wrong] per band, for choosing the review page's marking threshold.
    probability_bands: list[tuple[int, int]] = Field(default_factory=list)


class DiarizationResult(BaseModel):
    der: float
    jer: float
    missed: float
    false_alarm: float
    confusion: float
    total: float
    collar: float
    reference_speakers: int
    hypothesis_speakers: int
    role_seconds: float | None = None  # reference speech overlapped by hypothesis speech
    role_correct_seconds: float | None = None

    @property
    def speaker_count_error(self) -> int:
        return self.hypothesis_speakers - self.reference_speakers

    @property
    def role_accuracy(self) -> float | None:
        if not self.role_seconds:
            return None
        return (self.role_correct_seconds or 0.0) / self.role_seconds


class NoteDraft(BaseModel):
    """What the benchmark needs from a drafted note (adapter over drafting.DraftNote)."""

    text: str
    sentences: int
    with_evidence: int
    unsupported: int
    seconds: float = 0.0


class NoteResult(BaseModel):
    edit_distance: float | None = None  # normalised character Levenshtein to the reference
    rouge_l: float | None = None
    evidence_share: float | None = None
    unsupported_share: float | None = None
    sentences: int = 0
    seconds: float = 0.0
    error: str | None = None  # drafting failed (the recording's other scores still count)


class ItemResult(BaseModel):
    """One line of results.jsonl."""

    id: str
    status: str  # "ok" or "error"
    fingerprint: str = ""  # of the manifest entry and audio it was computed from
    error: str | None = None
    audio_seconds: float = 0.0
    accent_group: str = "unknown"
    metadata: dict[str, object] = Field(default_factory=dict)
    asr: AsrResult | None = None
    diarization: DiarizationResult | None = None
    note: NoteResult | None = None
    timings: dict[str, float] = Field(default_factory=dict)  # stage -> seconds
    wall_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    asr_model: str = ""


# --- ASR ---------------------------------------------------------------------


def hypothesis_words(transcript: Transcript) -> list[tuple[str, float, float]]:
    """(text, start, end) of every recognised word, in time order."""
    words: list[tuple[str, float, float]] = []
    for utterance in transcript.utterances:
        if utterance.words:
            words += [(w.text, w.start, w.end) for w in utterance.words]
        elif utterance.text.strip():
            words.append((utterance.text, utterance.start, utterance.end))
    return sorted(words, key=lambda w: (w[1], w[2]))


def attribute_words(
    words: Sequence[tuple[str, float, float]], segments: Sequence[ReferenceSegment]
) -> list[int]:
    """For each word, the index of the timed segment it overlaps most (else the nearest)."""
    spans = [(s.start or 0.0, s.end or 0.0) for s in segments]
    return best_spans([(start, end) for _text, start, end in words], spans)


def _attributes(item: CorpusItem, speaker: str | None) -> dict[str, str]:
    found = item.speaker_metadata(speaker)
    out = {}
    for key in BREAKDOWN_FIELDS:
        value = found.get(key)
        if isinstance(value, dict):
            value = ",".join(f"{k}={v}" for k, v in sorted(value.items()))
        out[key] = "none" if value is None else str(value)
    if speaker is not None:
        out["role"] = speaker
    return out


def score_unit(
    reference: str, hypothesis: str, accent_group: str, terms: TermList, **extra: object
) -> AsrUnit:
    rates = error_rates(reference, hypothesis)
    ref_chars = len(normalise(reference))
    found = term_errors(reference, hypothesis, terms)
    return AsrUnit(
        accent_group=accent_group,
        reference_words=rates.reference_words,
        substitutions=rates.substitutions,
        deletions=rates.deletions,
        insertions=rates.insertions,
        reference_chars=ref_chars,
        char_errors=round(rates.cer * ref_chars) if ref_chars else round(rates.cer),
        term_words=found.reference_words,
        term_errors=found.errors,
        terms=found.reference_terms,
        terms_recognised=found.recognised_terms,
        missed_terms=list(found.missed),
        **extra,  # type: ignore[arg-type]
    )


def score_asr(item: CorpusItem, transcript: Transcript, terms: TermList) -> AsrResult | None:
    """WER/CER of the whole recording and per reference speaker (None without a reference)."""
    if item.reference is None:
        return None
    segments = item.reference
    words = hypothesis_words(transcript)
    whole_ref = " ".join(s.text for s in segments)
    whole_hyp = " ".join(w[0] for w in words)
    whole = score_unit(
        whole_ref,
        whole_hyp,
        item.accent_group(),
        terms,
        attributes=_attributes(item, None),
    )
    speakers = sorted({s.speaker for s in segments if s.speaker})
    units = [whole]
    if speakers and segments and all(s.timed and s.speaker for s in segments):
        owner = attribute_words(words, segments) if words else []
        units = []
        for speaker in speakers:
            ref = " ".join(s.text for s in segments if s.speaker == speaker)
            hyp = " ".join(
                w[0] for w, i in zip(words, owner, strict=True) if segments[i].speaker == speaker
            )
            units.append(
                score_unit(
                    ref,
                    hyp,
                    item.accent_group(speaker),
                    terms,
                    speaker=speaker,
                    attributes=_attributes(item, speaker),
                )
            )
    rates = whole.reference_words
    recognised = [w for u in transcript.utterances for w in u.words]
    right = word_correctness(whole_ref, [w.text for w in recognised])
    bands = error_by_band(
        [(w.probability, ok) for w, ok in zip(recognised, right, strict=True) if ok is not None]
    )
    return AsrResult(
        probability_bands=[(band.words, band.wrong) for band in bands],
        terms_version=terms.version,
        wer=whole.errors / rates if rates else float(whole.insertions),
        cer=whole.char_errors / whole.reference_chars
        if whole.reference_chars
        else float(whole.char_errors),
        whole=whole,
        units=units,
    )


# --- diarisation ---------------------------------------------------------------


def _covered(lo: float, hi: float, spans: Sequence[tuple[float, float]]) -> float:
    """Seconds of [lo, hi] covered by the union of `spans`."""
    clipped = sorted((max(lo, a), min(hi, b)) for a, b in spans if min(hi, b) > max(lo, a))
    total, reach = 0.0, lo
    for a, b in clipped:
        if b > reach:
            total += b - max(a, reach)
            reach = b
    return total


def role_overlap(
    reference: Sequence[SpeakerTurn], transcript: Transcript, uem: tuple[float, float] | None
) -> tuple[float, float] | None:
    """(seconds of reference speech the pipeline also heard, of which it gave the right role).

    Only when reference labels are roles (clinician/patient). A stretch of a
    reference clinician turn counts as right when some hypothesis speaker
    labelled clinician is talking then, so overlapped speech (both talking,
    both found) is right for both; it counts at all when any hypothesis
    speaker is talking then.
    """
    if not reference or not {t.speaker for t in reference} <= ROLE_LABELS:
        return None
    spans = [(t.start, t.end) for t in transcript.turns]
    total = correct = 0.0
    for ref in reference:
        lo, hi = ref.start, ref.end
        if uem is not None:
            lo, hi = max(lo, uem[0]), min(hi, uem[1])
        if hi <= lo:
            continue
        same_role = [
            (t.start, t.end)
            for t in transcript.turns
            if transcript.role_of(t.speaker) == ref.speaker
        ]
        total += _covered(lo, hi, spans)
        correct += _covered(lo, hi, same_role)
    return total, correct


def score_diarization(
    item: CorpusItem, transcript: Transcript, collar: float
) -> DiarizationResult | None:
    if item.turns is None:
        return None
    # Without a UEM the whole recording is scored (not pyannote's guess from the turns).
    uem = item.uem or (0.0, max(transcript.audio.duration, *(t.end for t in item.turns)))
    scores = diarization_scores(item.turns, transcript.turns, collar=collar, uem=uem)
    roles = role_overlap(item.turns, transcript, item.uem)
    return DiarizationResult(
        der=scores.der,
        jer=scores.jer,
        missed=scores.missed,
        false_alarm=scores.false_alarm,
        confusion=scores.confusion,
        total=scores.total,
        collar=collar,
        reference_speakers=scores.reference_speakers,
        hypothesis_speakers=scores.hypothesis_speakers,
        role_seconds=None if roles is None else roles[0],
        role_correct_seconds=None if roles is None else roles[1],
    )


# --- notes -----------------------------------------------------------------------


def score_note(reference: str | None, draft: NoteDraft) -> NoteResult:
    result = NoteResult(
        evidence_share=draft.with_evidence / draft.sentences if draft.sentences else None,
        unsupported_share=draft.unsupported / draft.sentences if draft.sentences else None,
        sentences=draft.sentences,
        seconds=draft.seconds,
    )
    if reference is not None:
        result.edit_distance = char_levenshtein(draft.text, reference)
        result.rouge_l = rouge_l(draft.text, reference)
    return result

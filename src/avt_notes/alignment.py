"""Words × speaker turns → utterances, and speakers → clinical roles.

Pure functions over the typed models; no models, no I/O.

Word → speaker: each word goes to the diarised turn it overlaps most; a word in
a gap between turns (diarisation missed it) goes to the nearest turn. With no
turns at all every word belongs to one speaker.

Utterances: consecutive words of one speaker, split again at a pause longer
than `max_pause` so evidence links stay fine-grained. Ids (`u0001`, ...) follow
time order and are therefore stable for a given transcript.

Roles (documented heuristic): a clinician asks most of the questions and
usually opens the session. Among the two speakers who talk most, the one with
more question utterances (text ending in "?") is the clinician; on a tie, the
one who spoke first. The other is the patient; anyone else is `other-1`,
`other-2`, ... by talk time. One speaker alone (dictation) is the clinician.
With enrolment (a clinician voice sample), the speaker whose voice centroid
is most similar to the sample is the clinician instead. Roles can always be
overridden afterwards (`apply_role_overrides`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from avt_notes.schemas import CLINICIAN, PATIENT, Speaker, SpeakerTurn, Utterance, Word

DEFAULT_SPEAKER = "SPEAKER_00"


def assign_words(words: Sequence[Word], turns: Sequence[SpeakerTurn]) -> list[str]:
    """The speaker label of each word (most overlap, else the nearest turn)."""
    if not turns:
        return [DEFAULT_SPEAKER] * len(words)
    spans = [(t.start, t.end) for t in turns]
    return [turns[i].speaker for i in best_spans([(w.start, w.end) for w in words], spans)]


def best_spans(
    items: Sequence[tuple[float, float]], spans: Sequence[tuple[float, float]]
) -> list[int]:
    """For each (start, end) item, the index of the span it overlaps most, else the nearest.

    Used for words × diarised turns here and words × reference segments in scoring.
    """
    starts = np.array([start for start, _ in spans])
    ends = np.array([end for _, end in spans])
    chosen: list[int] = []
    for start, end in items:
        overlap = np.minimum(ends, end) - np.maximum(starts, start)
        best = int(np.argmax(overlap))
        if overlap[best] <= 0:
            middle = (start + end) / 2
            best = int(np.argmin(np.maximum(starts - middle, middle - ends)))
        chosen.append(best)
    return chosen


def build_utterances(
    words: Sequence[Word],
    speakers: Sequence[str],
    roles: Mapping[str, str] | None = None,
    *,
    max_pause: float = 1.5,
) -> list[Utterance]:
    """Group consecutive same-speaker words into utterances with stable ids."""
    roles = roles or {}
    groups: list[tuple[str, list[Word]]] = []
    for word, speaker in zip(words, speakers, strict=True):
        if groups and groups[-1][0] == speaker and word.start - groups[-1][1][-1].end <= max_pause:
            groups[-1][1].append(word)
        else:
            groups.append((speaker, [word]))
    return [
        Utterance(
            id=f"u{index:04d}",
            start=group[0].start,
            end=group[-1].end,
            speaker=speaker,
            role=roles.get(speaker, speaker),
            text=" ".join(w.text for w in group),
            confidence=round(float(np.mean([w.probability for w in group])), 4),
            words=list(group),
        )
        for index, (speaker, group) in enumerate(groups, start=1)
    ]


def talk_time(
    turns: Sequence[SpeakerTurn], words_by_speaker: Mapping[str, float]
) -> dict[str, float]:
    """Seconds each speaker talks: from turns, or from words when there are no turns."""
    totals: dict[str, float] = defaultdict(float)
    for turn in turns:
        totals[turn.speaker] += turn.end - turn.start
    for speaker, seconds in words_by_speaker.items():
        totals.setdefault(speaker, seconds)
    return dict(totals)


def heuristic_roles(utterances: Sequence[Utterance], talk: Mapping[str, float]) -> dict[str, str]:
    """Roles by the documented question-asking heuristic (see module docstring)."""
    if not talk:
        return {}
    by_talk = sorted(talk, key=lambda s: (-talk[s], s))
    questions: dict[str, int] = defaultdict(int)
    first_spoke: dict[str, float] = {}
    for utterance in utterances:
        first_spoke.setdefault(utterance.speaker, utterance.start)
        if utterance.text.rstrip().endswith("?"):
            questions[utterance.speaker] += 1
    main = by_talk[:2]
    clinician = min(main, key=lambda s: (-questions[s], first_spoke.get(s, float("inf"))))
    return _roles_with_clinician(clinician, by_talk)


def enrolment_roles(
    enrolment: np.ndarray, centroids: Mapping[str, Sequence[float]], talk: Mapping[str, float]
) -> tuple[dict[str, str], dict[str, float]]:
    """Roles with the clinician found by voice: cosine similarity to the enrolment sample."""
    similarities = {
        speaker: _cosine(enrolment, np.asarray(vector, dtype=np.float64))
        for speaker, vector in centroids.items()
    }
    clinician = max(similarities, key=lambda s: similarities[s])
    by_talk = sorted(talk, key=lambda s: (-talk[s], s))
    if clinician not in by_talk:
        by_talk.insert(0, clinician)
    return _roles_with_clinician(clinician, by_talk), similarities


def _roles_with_clinician(clinician: str, by_talk: Sequence[str]) -> dict[str, str]:
    roles = {clinician: CLINICIAN}
    others = [s for s in by_talk if s != clinician]
    if others:
        roles[others[0]] = PATIENT
    for number, speaker in enumerate(others[1:], start=1):
        roles[speaker] = f"other-{number}"
    return roles


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    denominator = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / denominator) if denominator else 0.0


def speaker_table(
    roles: Mapping[str, str],
    talk: Mapping[str, float],
    source: str,
    similarities: Mapping[str, float] | None = None,
) -> list[Speaker]:
    similarities = similarities or {}
    return [
        Speaker(
            label=label,
            role=role,
            talk_seconds=round(talk.get(label, 0.0), 3),
            role_source=source,  # type: ignore[arg-type]
            enrolment_similarity=(round(similarities[label], 4) if label in similarities else None),
        )
        for label, role in sorted(roles.items())
    ]


def apply_role_overrides(
    utterances: Sequence[Utterance], speakers: Sequence[Speaker], overrides: Mapping[str, str]
) -> tuple[list[Utterance], list[Speaker]]:
    """New utterances and speakers with roles replaced for the given speaker labels."""
    unknown = set(overrides) - {s.label for s in speakers}
    if unknown:
        raise KeyError(f"no such speaker(s): {', '.join(sorted(unknown))}")
    new_speakers = [
        s.model_copy(update={"role": overrides[s.label], "role_source": "override"})
        if s.label in overrides
        else s
        for s in speakers
    ]
    roles = {s.label: s.role for s in new_speakers}
    new_utterances = [
        u.model_copy(update={"role": roles.get(u.speaker, u.role)}) for u in utterances
    ]
    return new_utterances, new_speakers

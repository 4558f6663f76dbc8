"""Restatements: a sentence that only repeats earlier sentences about the same utterances.

A small model fills every section, so the same exchange comes back in Objective
and Assessment in other words ("His father had a heart attack at 52" under
Subjective, then "It has been happening a month and his father had a heart
attack at 52" under Objective). A later sentence is left out when the earlier
sentences citing any of its utterances already hold its facts (numbers, drugs,
days, people; `grounding.facts`) and nearly all of its content words.
Nothing new is ever dropped: one new fact or word keeps the sentence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from avt_notes.drafting.schemas import DraftSentence, NoteSection
from avt_notes.grounding import GroundingLexicon, content_words, facts, word_in

# Share of a sentence's content words the earlier sentences must hold already.
REPEATED_WORDS = 0.9


def _repeats(
    sentence: DraftSentence,
    earlier: Sequence[DraftSentence],
    lexicon: GroundingLexicon,
    cues: Mapping[str, Sequence[str]],
) -> bool:
    related = [e for e in earlier if set(e.evidence) & set(sentence.evidence)]
    if not related:
        return False
    said = " ".join(e.text for e in related)
    if facts(sentence.text, lexicon, cues) - facts(said, lexicon, cues):
        return False
    words = set(content_words(sentence.text))
    if not words:
        return True
    vocabulary = set(content_words(said))
    held = sum(word_in(w, vocabulary, lexicon.word_similarity) for w in words)
    return held / len(words) >= REPEATED_WORDS


def drop_restatements(
    sections: Sequence[NoteSection],
    lexicon: GroundingLexicon,
    cues: Mapping[str, Sequence[str]],
) -> tuple[list[NoteSection], int]:
    """`sections` without later sentences that repeat earlier ones, and how many were left out.

    A sentence flagged unsupported is never the reason another is dropped: only
    supported sentences count as having said something.
    """
    earlier: list[DraftSentence] = []
    kept_sections: list[NoteSection] = []
    dropped = 0
    for section in sections:
        kept: list[DraftSentence] = []
        for sentence in section.sentences:
            if sentence.evidence and _repeats(sentence, earlier, lexicon, cues):
                dropped += 1
                continue
            kept.append(sentence)
            if sentence.status == "supported":
                earlier.append(sentence)
        kept_sections.append(section.model_copy(update={"sentences": kept}))
    return kept_sections, dropped

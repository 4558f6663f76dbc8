"""Grounding: is each draft sentence backed by the utterances it cites?

Deterministic on purpose (a checker that can itself invent is no check); the
rules and their limits are described in `checks`. The package is split by concept:

- `words`: tokens, stems, content words and number words, as the rules compare them;
- `lexicon`: ``prompts/grounding.yaml`` and ``prompts/drugs.yaml``, loaded once;
- `specifics`: the concrete facts a text states (numbers, drugs, dates, names, people,
  findings), also used by coverage and redundancy;
- `checks`: the verdict for one sentence (`check_sentence`) and evidence by word
  overlap (`assign_evidence`).
"""

from avt_notes.grounding.checks import (
    MISSTATES,
    GroundingResult,
    assign_evidence,
    check_sentence,
)
from avt_notes.grounding.lexicon import GroundingLexicon, load_grounding_lexicon
from avt_notes.grounding.specifics import (
    Quantity,
    drug_names,
    facts,
    findings_in,
    has_negation,
    names,
    people_in,
    quantities,
    time_words_in,
)
from avt_notes.grounding.words import STOPWORDS, content_words, stem, tokens, word_in

__all__ = [
    "MISSTATES",
    "STOPWORDS",
    "GroundingLexicon",
    "GroundingResult",
    "Quantity",
    "assign_evidence",
    "check_sentence",
    "content_words",
    "drug_names",
    "facts",
    "findings_in",
    "has_negation",
    "load_grounding_lexicon",
    "names",
    "people_in",
    "quantities",
    "stem",
    "time_words_in",
    "tokens",
    "word_in",
]

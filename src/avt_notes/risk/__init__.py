"""Risk and safeguarding language for clinician review (never a risk assessment).

`detect_risk` lists what was disclosed, denied or asked about, by concept
(`CONCEPTS`), from the versioned lexicon and exemplar bank in ``prompts/``;
`describe` says an item in words.
"""

from avt_notes.risk.describe import POLARITY_WORDS, describe, why
from avt_notes.risk.detect import (
    REVIEW_NOTICE,
    MatchedBy,
    Polarity,
    RiskItem,
    detect_in_text,
    detect_risk,
)
from avt_notes.risk.lexicon import CONCEPTS, RISK_LEXICON_FILE, RiskLexicon, load_lexicon
from avt_notes.risk.semantic import SemanticMatcher, default_matcher, load_exemplars

__all__ = [
    "CONCEPTS",
    "POLARITY_WORDS",
    "REVIEW_NOTICE",
    "RISK_LEXICON_FILE",
    "MatchedBy",
    "Polarity",
    "RiskItem",
    "RiskLexicon",
    "SemanticMatcher",
    "default_matcher",
    "describe",
    "detect_in_text",
    "detect_risk",
    "load_exemplars",
    "load_lexicon",
    "why",
]

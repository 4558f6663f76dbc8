"""Negation within a clause: does a cue ("never", "no", "haven't") deny a risk phrase?

Pseudo-negations from the lexicon ("don't want to be here", "wouldn't matter
if") contain a negation word but deny nothing, so a cue inside one is skipped.
A wrong reading here never hides an item: denied items stay listed.
"""

from __future__ import annotations

import re

from avt_notes.risk.lexicon import RiskLexicon

_WORD = re.compile(r"[\w'’]+")


def clause_start(text: str, position: int, lexicon: RiskLexicon) -> int:
    """Where the stretch a negation cue can reach, holding `position`, starts."""
    start = 0
    for match in lexicon.scope_breaks.finditer(text, 0, position):
        start = match.end()
    return start


def clause_end(text: str, position: int, lexicon: RiskLexicon) -> int:
    match = lexicon.scope_breaks.search(text, position)
    return match.start() if match else len(text)


def _pseudo_spans(text: str, start: int, end: int, lexicon: RiskLexicon) -> list[tuple[int, int]]:
    if lexicon.pseudo is None:
        return []
    return [(m.start(), m.end()) for m in lexicon.pseudo.finditer(text, start, end)]


def _in_pseudo(cue: re.Match[str], pseudo: list[tuple[int, int]]) -> bool:
    """Whether a cue overlaps a pseudo-negation ("I'm not" in "I'm not allowed")."""
    return any(a < cue.end() and cue.start() < b for a, b in pseudo)


_OR = re.compile(r"\b(?:or|nor)\b", re.IGNORECASE)
# After "or", a subject, a person or a linking word starts something other than a list item.
_NEW_CLAUSE = re.compile(
    r"\b(?:i|i[’']m|i[’']ve|i[’']d|i[’']ll|me|my|he|she|they|they[’']d|we|you|him|her|them|"
    r"it|that|where|when|if|see|know|worry|find)\b",
    re.IGNORECASE,
)


def _reach(between: str, window: int) -> int:
    """Words between a cue and a match, a short list joined by "or" counted from its last
    item: "I haven't made any plans or written any goodbye letters" denies the letters."""
    words = len(_WORD.findall(between))
    joins = list(_OR.finditer(between))
    if not joins or words >= 2 * window:
        return words
    after = between[joins[-1].end() :]
    if _NEW_CLAUSE.search(after):
        return words  # "I don't wear short sleeves or they'd see where I cut myself"
    return min(words, len(_WORD.findall(after)))


def negation_before(text: str, start: int, end: int, lexicon: RiskLexicon) -> str:
    """The negation cue governing the span [start, end) of `text`, or ''."""
    first = clause_start(text, start, lexicon)
    # A pseudo-negation may run into the match itself ("don't want to live").
    pseudo = _pseudo_spans(text, first, clause_end(text, end, lexicon), lexicon)
    for cue in reversed(list(lexicon.cues.finditer(text, first, start))):
        if _in_pseudo(cue, pseudo):
            continue
        if _reach(text[cue.end() : start], lexicon.window) < lexicon.window:
            return cue.group(0)
    if lexicon.post_cues is not None:
        post = lexicon.post_cues.search(text[end : clause_end(text, end, lexicon)])
        if post:
            return post.group(0)
    return ""


def whole_utterance_negation(text: str, lexicon: RiskLexicon) -> str:
    """A cue if every clause of `text` is negated (a denial throughout), else ''.

    Used for matches by meaning, which have no span: "I've thought about it but
    I haven't done anything" has an un-negated clause, so it is not a denial.
    """
    cue_found = ""
    position = 0
    bounds = [m.start() for m in lexicon.clause_breaks.finditer(text)] + [len(text)]
    for bound in bounds:
        clause = text[position:bound]
        if len(_WORD.findall(clause)) >= 2:
            pseudo = _pseudo_spans(text, position, bound, lexicon)
            cues = [
                c for c in lexicon.cues.finditer(text, position, bound) if not _in_pseudo(c, pseudo)
            ]
            if not cues:
                return ""
            cue_found = cue_found or cues[0].group(0)
        match = lexicon.clause_breaks.match(text, bound)
        position = match.end() if match else bound
    return cue_found


def denies_risk(text: str, lexicon: RiskLexicon) -> str:
    """The cue of a negated risk summary word in `text` ("no thoughts of harm"), or ''.

    For drafted sentences: "it is not helping" negates nothing about risk, while
    "denies any thoughts of suicide" and "not at risk" do.
    """
    if lexicon.summary_words is None:
        return ""
    for match in lexicon.summary_words.finditer(text):
        cue = negation_before(text, match.start(), match.end(), lexicon)
        if cue:
            return cue
    return ""


def denied_summary_words(text: str, lexicon: RiskLexicon) -> set[str]:
    """The risk summary words `text` negates ("No plans." -> {"plans"}), lower-cased."""
    if lexicon.summary_words is None:
        return set()
    return {
        match.group(0).lower()
        for match in lexicon.summary_words.finditer(text)
        if negation_before(text, match.start(), match.end(), lexicon)
    }

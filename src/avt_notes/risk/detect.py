"""Risk language for clinician review: concept patterns, meaning, and question/answer rules.

Every utterance is checked two ways: the concept patterns of the versioned
lexicon (``prompts/risk_lexicon.yaml``) and, by meaning, the exemplar bank
(`semantic`), so a paraphrase nobody wrote into the lexicon is still listed.
Figures of speech ("the traffic was murder") are cut out first. Each item
names its concept, why it fired (the pattern, or the nearest exemplar and its
score) and the words said, with a polarity:

- ``reported``: said without negation, or a risk question answered with
  anything but a clear denial (the answer's words are kept);
- ``denied``: negated in the same clause, or a question answered with a clear,
  unqualified negation. Denials stay listed: a clinician records them, and a
  wrong negation reading must stay visible;
- ``asked``: a risk question whose reply is about something else.

A patient's reply to the clinician's short follow-up on a disclosure ("Is that
new?" / "I did it in year nine as well") continues that disclosure: it is
listed under the same concept as ``reported``, matched by context, naming the
line it follows.

Nothing here can silence a pattern or meaning hit. It never grades, scores or
assesses risk: it points at the places in the session a clinician should read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Literal

from pydantic import BaseModel

from avt_notes.risk.answers import find_answer, is_follow_up_reply, read_answer
from avt_notes.risk.dialect import Reading, standard_reading
from avt_notes.risk.lexicon import (
    PROTECTIVE_CONCEPTS,
    Concept,
    RiskLexicon,
    figurative_spans,
    load_lexicon,
    only_function_words,
)
from avt_notes.risk.negation import clause_start, negation_before, whole_utterance_negation
from avt_notes.risk.person import in_first_person
from avt_notes.risk.semantic import Nearest, SemanticMatcher, default_matcher, parts, sentences
from avt_notes.risk.sounds import read_soundalikes
from avt_notes.schemas import CLINICIAN, PATIENT, AudioInfo, Transcript, Utterance

REVIEW_NOTICE = (
    "Risk language found in the transcript, for the clinician to review. "
    "This is not a risk assessment."
)

Polarity = Literal["reported", "denied", "asked"]
MatchedBy = Literal["pattern", "meaning", "model", "context"]


class RiskItem(BaseModel):
    """One place in the session where risk language occurs."""

    utterance_id: str
    start: float
    end: float
    speaker: str
    role: str
    category: str  # the concept id, e.g. "passive_death_wish"
    category_label: str
    phrase: str
    pattern: str
    polarity: Polarity
    cue: str = ""
    answer_utterance_id: str | None = None
    text: str
    matched_by: MatchedBy = "pattern"
    exemplar: str = ""
    score: float | None = None
    # The bank's concept model's probability, when it listed the utterance (`concept_model`).
    model_probability: float | None = None
    answer_text: str = ""
    heard: str = ""  # sound-alike words read as risk keywords, e.g. "bills → pills"
    follows: str = ""  # context items: the disclosure this reply continues
    # Risk said of another person ("my father"): listed, but not the patient's own.
    about: str = ""

    @classmethod
    def said_in(cls, utterance: Utterance, **found: Any) -> RiskItem:
        """An item at `utterance`: where, who and the words come from the utterance."""
        return cls(
            utterance_id=utterance.id,
            start=utterance.start,
            end=utterance.end,
            speaker=utterance.speaker,
            role=utterance.role,
            text=utterance.text,
            **found,
        )


@dataclass
class _Hit:
    concept: Concept
    phrase: str
    pattern: str
    cue: str
    in_question: bool
    nearest: Nearest | None = None
    span: tuple[int, int] = (0, 0)
    heard: str = ""  # "bills → pills" when a sound-alike word was read as a keyword
    # Found near a denial statement of the bank (`_with_denial`), whose own threshold holds.
    near_a_denial: bool = False
    # A pattern naming safety (`Concept.inverted`): its answer is read the other way round.
    inverted: bool = False


# Most words between a denied match and the exception that follows it.
EXCEPTION_REACH = 3


def _excepted(text: str, hit: _Hit, lexicon: RiskLexicon) -> bool:
    """Whether an exception follows a denied pattern match straight away, in its clause:
    "I don't use any drugs, just the wine" (the narrowed words of the same concept)."""
    if hit.span == (0, 0):
        return False  # found by meaning: no place in the text to follow
    after = text[hit.span[1] :]
    for pattern, same_concept in ((lexicon.exceptions, False), (lexicon.narrowing, True)):
        found = pattern.search(after) if pattern is not None else None
        if found is None:
            continue
        between = after[: found.start()]
        if len(between.split()) > EXCEPTION_REACH or lexicon.clause_breaks.search(between):
            continue
        if not same_concept:
            return True
        narrowed = re.split(r"[,.;!?]", after[found.end() :], maxsplit=1)[0]
        if any(p.search(narrowed) for _, p in hit.concept.patterns):
            return True
    return False


def _is_question(text: str, end: int) -> bool:
    """Whether the sentence holding position `end` ends with a question mark."""
    match = re.search(r"[.!?]", text[end:])
    return bool(match and match.group(0) == "?")


# Recognition often drops a question's "?": a clinician's line answered "No, ..." or
# "Yes, ..." was a question ("And any thoughts of suicide at all." / "No, ...").
_REPLY = re.compile(r"^\s*(no|nope|never|not really|yes|yeah|yep)\b", re.IGNORECASE)


# Recognition drops a question's "?" ("Have you thought about acting on that.").
_INTERROGATIVE_START = re.compile(
    r"(?:^|[.!?]\s+)(?:and\s+|so\s+)?(?:are|is|have|has|do|does|did|would|could|will|how|when)"
    r"(?:\s+\w+){0,2}\s+you\b",
    re.IGNORECASE,
)


def _answered(utterances: list[Utterance], index: int) -> bool:
    if utterances[index].role != "clinician":
        return False
    answer = find_answer(utterances, index)
    return answer is not None and _REPLY.match(answer.text) is not None


def _pattern_hits(
    text: str,
    concept: Concept,
    lexicon: RiskLexicon,
    patterns: list[tuple[str, re.Pattern[str]]] | None = None,
) -> list[_Hit]:
    """`concept`'s matches in `text`; `patterns`: those of its patterns that can match."""
    if patterns is None:
        patterns = lexicon.patterns_for(text, [concept])[concept.key]
    if not patterns:
        return []
    figures = figurative_spans(text, lexicon)
    found = [
        (m.start(), m.end(), source)
        for source, pattern in patterns
        for m in pattern.finditer(text)
        if m.end() > m.start()
        and not any(a < m.end() and m.start() < b for a, b in figures)
        and not only_function_words(m.group(0), lexicon)
        and _condition_met(text, concept, source)
    ]
    # Non-overlapping, longer matches winning...
    found.sort(key=lambda f: (f[0] - f[1], f[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, source in found:
        if all(end <= a or start >= b for a, b, _ in kept):
            kept.append((start, end, source))
    negation = {(a, b): _governing_negation(text, a, b, lexicon) for a, b, _ in found}
    # ...unless the longer one is denied and one it overlaps, past a clause of its own,
    # is not: "I wasn't in intensive care after I took too many tablets" discloses the
    # tablets whatever it says of intensive care.
    chosen: list[tuple[int, int, str]] = []
    for start, end, source in kept:
        said = [
            (a, b, s)
            for a, b, s in found
            if a < end and start < b and (a, b) != (start, end) and not negation[(a, b)]
        ]
        if negation[(start, end)] and said:
            chosen.append(max(said, key=lambda f: f[1] - f[0]))
        else:
            chosen.append((start, end, source))
    hits = []
    for start, end, source in sorted(chosen):
        cue, asked = negation[(start, end)], _is_question(text, end)
        inverted = source in concept.inverted
        negated_safety = inverted and _hedged_before(text, start, lexicon)
        if inverted:
            # "I feel safe with him" denies in its own words (the cue shown is the phrase);
            # "I don't always feel safe", "I'm not sure I feel safe", "I feel safe, but not
            # when he's drinking" disclose; a question is read by its answer.
            said_safe = not asked and not negated_safety and not _qualified_after(text, end)
            cue = text[start:end] if said_safe else ""
        if not cue and not inverted and concept.key in PROTECTIVE_CONCEPTS:
            cue = _absence_before(text, start, end, lexicon)
        hit = _Hit(concept, text[start:end], source, cue, asked, span=(start, end))
        # "Are there times you don't feel safe?" asks about risk: a "Yes" reports it.
        hit.inverted = inverted and not negated_safety
        hits.append(hit)
    return hits


# A protective factor said to be missing: "no reason to live", "There's nothing keeping me
# going", "I can't think of anything that keeps me going". Not cues of the negation rules
# ("no reason to live" must stay a passive death wish, unnegated), so read here, for
# protective factors only: the factor is denied, never listed as present.
_ABSENCE = re.compile(
    r"\b(?:there[’']?s (?:nothing|no ?one|nobody|no)|there is (?:nothing|no ?one|nobody|no)|"
    r"(?:don[’']?t|do not|haven[’']?t|have not|ain[’']?t) (?:got |have )?"
    r"(?:anything|anyone|anybody|any|a (?:single )?(?:reason|thing|person))|"
    r"(?:(?:i[’']?ve|i have|i) )?got (?:nothing|no ?one|nobody|no)|"
    r"(?:can[’']?t|cannot|couldn[’']?t) think of (?:anything|anyone|anybody|"
    r"a (?:single )?(?:thing|reason|person|one))|nothing|nobody|no ?one|"
    # A bare "no" answers ("No, my kids keep me going"): only "no" before a noun.
    r"no(?!\s*[,.!?;])(?!\s+(?:i|i[’']m|i[’']ve|it|my|we|they|he|she|you)\b))\b",
    re.IGNORECASE,
)
# A sentence opening on an absence, for a protective factor found by meaning alone.
_OPENS_ABSENT = re.compile(
    r"^\W*(?:(?:honestly|to be honest|well|um+|uh+|i mean|i just|i|really)\W+)*(?=\S)",
    re.IGNORECASE,
)


def _absence_before(text: str, start: int, end: int, lexicon: RiskLexicon) -> str:
    """The words saying a protective factor is missing, in the clause before (or at the
    start of) its match, or ''."""
    first = clause_start(text, start, lexicon)
    for absent in reversed(list(_ABSENCE.finditer(text, first, end))):
        if absent.start() < start and len(text[absent.end() : start].split()) < lexicon.window:
            return absent.group(0)
    return ""


def _opens_absent(text: str) -> str:
    """The absence a sentence of `text` opens on ("There's nothing keeping me going"), or ''."""
    for sentence in sentences(text):
        opening = _OPENS_ABSENT.match(sentence)
        absent = _ABSENCE.match(sentence, opening.end() if opening else 0)
        if absent:
            return absent.group(0)
    return ""


# Words that make a statement of safety partial: "safe, but not when he drinks", "most of
# the time", "I used to feel safe", "I want to feel safe again", "only when he's out".
_QUALIFIES_SAFETY = re.compile(
    r"\b(?:but|when|if|unless|except|apart from|most of|mostly|usually|sometimes|"
    r"not always|used to|want to|wish|only|again|anymore|any more|until|for now)\b",
    re.IGNORECASE,
)


def _qualified_after(text: str, end: int) -> bool:
    """Whether the sentence holding a safety phrase qualifies it (before or after it)."""
    start = max(text.rfind(mark, 0, end) for mark in ".!?") + 1
    stop = min((i for i in (text.find(m, end) for m in ".!?") if i >= 0), default=len(text))
    return _QUALIFIES_SAFETY.search(text[start:stop]) is not None


def _echo_answered_no(text: str, hit: _Hit, lexicon: RiskLexicon) -> str:
    """The denial that answers a question the patient repeats in the same turn, or '':
    "Thoughts about taking my own life? No, I don't get those at all." A rising voice
    without an answer after it ("Sometimes I think about hurting him?") stays reported."""
    mark = text.find("?", hit.span[1])
    rest = text[mark + 1 :].strip() if mark >= 0 else ""
    if not rest or hit.span == (0, 0):
        return ""
    if lexicon.pseudo is not None and lexicon.pseudo.search(rest):
        return ""  # "Do I want to kill myself? Nobody would care if I did."
    reading = read_answer(
        text[:mark], rest, lexicon, has_risk_language=False, about_safety=hit.inverted
    )
    negative = _CLEAR_NO.match(rest)
    if hit.inverted:
        return "" if reading != "denied" else rest.split()[0].strip(" ,.")
    return negative.group(0).strip(" ,") if reading == "denied" and negative else ""


# An answer to a repeated question must open with a plain no to be a denial.
# "God, no." and "Not me." answer as plainly ("Wishing I wouldn't wake up? God, no.").
_CLEAR_NO = re.compile(
    r"\s*(?:(?:god|gosh|oh|lord|goodness|ah|och),?\s+)?"
    r"(?:no|nope|never|nah|none|not me|not at all|not really|definitely not|absolutely not)\b",
    re.IGNORECASE,
)


def _hedged_before(text: str, start: int, lexicon: RiskLexicon) -> bool:
    """Whether any negation cue, pseudo-negations included ("not sure"), stands before
    `start` in its clause: a safety phrase under one is no statement of safety."""
    first = clause_start(text, start, lexicon)
    return lexicon.cues.search(text, first, start) is not None


def _condition_met(text: str, concept: Concept, source: str) -> bool:
    """A pattern that counts only where the line names a child (or names none) does so."""
    condition = concept.conditions.get(source)
    if condition is None:
        return True
    words, wanted = condition
    return (words.search(text) is not None) == wanted


def _most_specific(hits: list[_Hit]) -> list[_Hit]:
    """A clinician's hits without those inside another concept's longer match.

    "Have you ever tried to end your life?" asks about attempts: its "end your life"
    is part of the question, not a second question about suicidal thoughts, and a
    "Never" denies the attempt only.
    """
    return [
        hit
        for hit in hits
        if not any(
            other.concept.key != hit.concept.key
            and other.span[0] <= hit.span[0]
            and hit.span[1] <= other.span[1]
            and other.span != hit.span
            for other in hits
        )
    ]


def _soundalike_hits(text: str, concepts: list[Concept], lexicon: RiskLexicon) -> list[_Hit]:
    """Pattern hits found only with sound-alike words read as risk keywords (`sounds`).

    A hit must hold a swapped word and, besides it, a word heard as it is that is
    not a function word: the correction adds context, never a hit on its own.
    """
    heard = read_soundalikes(text, lexicon.soundalikes)
    if not heard.swaps:
        return []
    found: list[_Hit] = []
    possible = lexicon.patterns_for(heard.text, concepts)
    for concept in concepts:
        for hit in _pattern_hits(heard.text, concept, lexicon, possible[concept.key]):
            start, end = hit.span
            inside = [w for w in heard.swaps if start <= w[0] and w[1] <= end]
            if not inside:
                continue
            rest = heard.text[start:end]
            for a, b, _, _ in sorted(inside, reverse=True):
                rest = rest[: a - start] + " " + rest[b - start :]
            if only_function_words(rest, lexicon):
                continue
            hit.heard = "; ".join(f"{said} → {read}" for _, _, said, read in inside)
            found.append(hit)
    return found


def _governing_negation(text: str, start: int, end: int, lexicon: RiskLexicon) -> str:
    """The cue denying the match, or ''.

    A match that carries its own negation ("I would never do that to my kids",
    "I don't want to live") says it with that negation: a "No" or "nothing like
    that" before it is emphasis, not a denial of the statement. A verb's negation
    still denies it ("I don't lie there hoping I won't wake up").
    """
    if lexicon.cues.search(text, start, end):
        cue = negation_before(text, start, end, lexicon)
        if not cue or not _VERB_NEGATION.search(cue):
            return ""
        # "I didn't tell my wife I don't want to be here": the negation is the telling's,
        # and the wish after its own subject is said.
        between = text[:start].lower().rsplit(cue.lower(), 1)[-1]
        return "" if _NEW_SUBJECT.search(between) else cue
    return negation_before(text, start, end, lexicon)


# Negations that attach to a verb ("don't", "not", "never"), not answer words ("no").
_VERB_NEGATION = re.compile(r"n[’']t\b|\bnot\b|\bnever\b|\bcannot\b", re.IGNORECASE)
# A clause of its own, or a verb of saying or knowing, between a negation and a match.
_NEW_SUBJECT = re.compile(
    r"\b(?:i|i[’']m|i[’']ve|i[’']d|he|she|they|we|you|that|know|knew|tell|told|say|said|"
    r"think|thought|mention\w*|admit\w*|realis\w*|realiz\w*)\b",
    re.IGNORECASE,
)


def _second_person_hits(text: str, have: set[str], lexicon: RiskLexicon) -> list[_Hit]:
    """A clinician's questions read in the first person ("Does your partner ever stop you
    seeing friends?" as "...stop me seeing friends"), for concepts not found as said;
    each match points at the clinician's own words."""
    reread = in_first_person(text)
    if reread is None:
        return []
    possible = lexicon.patterns_for(reread.text)
    found = []
    for concept in lexicon.concepts:
        # A clinician's offer read in the first person is no protective factor: "you can
        # speak to one of us" is not "I can speak to".
        if concept.key in have or concept.key in PROTECTIVE_CONCEPTS:
            continue
        for hit in _pattern_hits(reread.text, concept, lexicon, possible[concept.key]):
            if not hit.in_question:
                continue  # advice, not a question: "These should stop you from getting them"
            hit.span = reread.source_span(*hit.span)
            hit.phrase = text[hit.span[0] : hit.span[1]]
            found.append(hit)
    return found


def _said_hits(utterance: Utterance, lexicon: RiskLexicon) -> list[_Hit]:
    """Pattern hits, then sound-alike hits for the concepts the patterns did not find."""
    hits: list[_Hit] = []
    possible = lexicon.patterns_for(utterance.text)
    for concept in lexicon.concepts:
        hits += _pattern_hits(utterance.text, concept, lexicon, possible[concept.key])
    if utterance.role == CLINICIAN:
        hits += _second_person_hits(utterance.text, {h.concept.key for h in hits}, lexicon)
    have = {h.concept.key for h in hits}
    hits += _soundalike_hits(
        utterance.text, [c for c in lexicon.concepts if c.key not in have], lexicon
    )
    return hits


def _utterance_hits(
    utterance: Utterance,
    said: list[_Hit],
    nearest: list[Nearest],
    lexicon: RiskLexicon,
    sentence_cues: dict[str, str] | None = None,
    denial: Nearest | None = None,
) -> list[_Hit]:
    """`said` (from `_said_hits`) and the meaning hits of concepts it lacks.

    `sentence_cues`: concepts the utterance denies by its sentences (`_sentence_denials`).
    `denial`: the denial statement of the bank the utterance is close to, if any."""
    hits = list(said)
    by_key = {c.key: c for c in lexicon.concepts}
    have = {h.concept.key for h in hits}
    if utterance.role == "clinician" and hits:
        # The patterns already say what a clinician asked about; a question's meaning
        # neighbours ("thoughts of ending your life" near a past-attempt exemplar) are
        # not further questions.
        nearest = []
    for near in nearest:
        if near.concept in have or near.concept not in by_key:
            continue
        # "No, I'd never do that to my mum" near "I couldn't do that to my mum": a protective
        # factor said in the negative is the factor itself, not its denial.
        negative_factor = near.concept in PROTECTIVE_CONCEPTS and bool(
            _SAYS_NO.search(near.exemplar)
        )
        # "There's nothing keeping me going, not the kids": the factor said to be missing.
        absent = (
            _opens_absent(utterance.text)
            if near.concept in PROTECTIVE_CONCEPTS and not negative_factor
            else ""
        )
        hits.append(
            _Hit(
                by_key[near.concept],
                phrase="",
                pattern="",
                cue=""
                if negative_factor
                else absent
                or _meaning_denial(utterance.text, lexicon)
                or (sentence_cues or {}).get(near.concept, ""),
                in_question="?" in utterance.text,
                nearest=near,
            )
        )
    # A denial by meaning only where the utterance discloses nothing: it opens like a denial
    # and is denied throughout, or in sentences beside which nothing is near risk ("I've never
    # tried anything. I think about taking the tablets every day though." is no denial). A
    # protective factor said in the negative is the factor ("No, I'd never leave my kids").
    discloses = any(not h.cue for h in hits)
    if (
        denial is not None
        and utterance.role == PATIENT
        and denial.concept in by_key
        and denial.concept not in PROTECTIVE_CONCEPTS
        and not discloses
    ):
        cue = _meaning_denial(utterance.text, lexicon) or (sentence_cues or {}).get(
            denial.concept, ""
        )
        if cue:
            hits = _with_denial(utterance.text, hits, denial, by_key[denial.concept], lexicon, cue)
    return hits


def _with_denial(
    text: str,
    hits: list[_Hit],
    denial: Nearest,
    concept: Concept,
    lexicon: RiskLexicon,
    cue: str,
) -> list[_Hit]:
    """`hits` with the patient's denial of `concept` (its negation: `cue`), read by meaning:
    the words must name what they deny. A concept already listed from this utterance stays
    as it is, but for a denial found by meaning alone, which takes the denial statement as
    its reason (and so is not held to `denial_threshold`)."""
    if len(naming_words(text, lexicon)) < DENIAL_NAMING_WORDS:
        return hits
    same = [h for h in hits if h.concept.key == concept.key]  # all denied: see the caller
    if not same:
        return [*hits, _Hit(concept, "", "", cue, "?" in text, nearest=denial, near_a_denial=True)]
    # A denial found by meaning alone near a disclosure is kept when it is this near a
    # denial too ("No, I've not been putting any pills aside", 0.64 from a disclosure).
    return [
        replace(h, nearest=denial, near_a_denial=True)
        if h.concept.key == concept.key and not h.pattern
        else h
        for h in hits
    ]


# A denial read by meaning must name what it denies: "No, I haven't." and "No, nothing
# like that" answer a question, and only the question says what about.
DENIAL_NAMING_WORDS = 2
_SAYS_NOTHING = frozenset(
    "no not never nothing nobody none nope nah naw yeah yes uh um er erm oh well like "
    "honestly really actually ever anything anyone anybody something someone thing things "
    "just once at all doctor love dear promise sure swear what way there there's that's "
    "i've i'm i'd i'll haven't hasn't don't doesn't didn't won't wouldn't can't couldn't "
    "isn't aren't wasn't weren't ain't".split()
)


def naming_words(text: str, lexicon: RiskLexicon) -> list[str]:
    """The words of `text` that name something: no function word, negation or filler."""
    words = re.findall(r"[a-z'’]+", text.lower().replace("’", "'"))
    return [w for w in words if w not in lexicon.function_words and w not in _SAYS_NOTHING]


_SAYS_NO = re.compile(r"\b(?:not|never|no|nothing|nobody|\w+n[’']t)\b", re.IGNORECASE)


def _meaning_denial(text: str, lexicon: RiskLexicon) -> str:
    """The cue of an utterance that denies what it is close to in meaning, or ''.

    Embeddings ignore negation, so the words decide: the utterance opens like a
    denial ("No", "I've never", "Nobody") and every clause of it is negated. A "not"
    further in says nothing of the whole ("I've picked a date, after her birthday so
    I don't ruin it"; "My husband makes me have sex when I don't want to").
    """
    if lexicon.answers.negative.search(text) is None:
        return ""
    return whole_utterance_negation(text, lexicon)


# A sentence beside a denial that points back at something ("I think about it every
# day") may carry the risk the denial's sentence names: never a reassurance.
_POINTS_BACK = re.compile(r"\b(?:it|that|this|them|those|these|there)\b", re.IGNORECASE)
# Short sentences that say nothing of their own ("Honestly.", "I promise.").
_WORDS = re.compile(r"[a-z']+")
_FILLERS = frozenset(
    "honestly really truly no nope never nothing not at all yes yeah okay ok fine i promise "
    "you promise swear to god that's it that's all doctor love".split()
)


def _sentence_denials(
    utterances: list[Utterance],
    nearest: list[list[Nearest]],
    lexicon: RiskLexicon,
    matcher: SemanticMatcher,
) -> list[dict[str, str]]:
    """For each patient utterance found by meaning, concept -> denial cue where its risk
    lies only in sentences that deny it.

    A denial is often followed by a reassurance: "No, he doesn't check up on me. We
    both go out with our own friends." As a whole that is no denial (a clause is not
    negated), but the other sentence says nothing near any concept. Read so only when
    - nothing qualifies the "no" ("but", "though", "sometimes");
    - every other sentence, and every window of it, is far from every risk concept
      (`neutral_floor`), points back at nothing ("I think about it every day"), and is
      not too short to score unless it is a filler ("Honestly.");
    - a denying sentence is itself near the concept, and the whole utterance is close
      enough for a denial (`denial_threshold`): a cue never drops an item.
    """
    cues: list[dict[str, str]] = [{} for _ in utterances]
    bank = matcher.bank
    wanted: list[tuple[int, list[str], list[str]]] = []
    for index, (utterance, near) in enumerate(zip(utterances, nearest, strict=True)):
        text = utterance.text
        if utterance.role != PATIENT or not near or _meaning_denial(text, lexicon):
            continue
        if lexicon.answers.qualifiers.search(text):
            continue
        said = sentences(text)
        denying = [s for s in said if _meaning_denial(s, lexicon)]
        others = [s for s in said if s not in denying]
        if not denying or not others or any(_POINTS_BACK.search(s) for s in others):
            continue
        short = [s for s in others if len(s.split()) < bank.min_words]
        if any(set(_WORDS.findall(s.lower())) - _FILLERS for s in short):
            continue
        scored = [s for s in others if s not in short]
        windows = [w for s in scored for w in [s, *parts(s, bank.part_words)]]
        wanted.append((index, denying, windows))
    if not wanted:
        return cues
    texts = [t for _, denying, windows in wanted for t in [*denying, *windows]]
    found = iter(matcher.nearest(texts))
    for index, denying, windows in wanted:
        near_denial = [next(found) for _ in denying]
        near_other = [next(found) for _ in windows]
        other_scores = [
            n.score
            for per in near_other
            for n in per
            if n.concept not in PROTECTIVE_CONCEPTS  # a reassurance is near these by nature
        ]
        if max(other_scores, default=0.0) >= bank.neutral_floor:
            continue
        whole = {n.concept: n.score for n in nearest[index]}
        for sentence, per in zip(denying, near_denial, strict=True):
            for n in per:
                close = whole.get(n.concept, 0.0) >= bank.denial_threshold
                if n.score >= bank.neutral_floor and close:
                    cues[index].setdefault(n.concept, _meaning_denial(sentence, lexicon))
    return cues


def _matched_by_meaning(utterance: Utterance, said: list[_Hit]) -> bool:
    """The patient's words, and a clinician's questions the patterns did not read.

    `said`: the utterance's `_said_hits`. Sound-alike hits (those with `heard`) do not
    count, as before: which texts share a batch moves their vectors slightly.
    """
    if utterance.role != "clinician":
        return True
    return "?" in utterance.text and all(hit.heard for hit in said)


def _meaning_hits(
    utterances: list[Utterance],
    said: list[list[_Hit]],
    lexicon: RiskLexicon,
    matcher: SemanticMatcher,
) -> list[list[Nearest]]:
    """Concepts each utterance is close to in meaning, figures of speech discounted.

    Meaning is matched on the patient's words and on questions no pattern read
    (to read their answers); a clinician's other remarks are left to the
    patterns, halving the cost. An utterance holding a figure of speech must be close both with the
    figure cut out and as said: cutting alone leaves fragments ("...and take
    paracetamol") that land near the wrong exemplars.
    """
    wanted = [
        u.text if _matched_by_meaning(u, hits) else ""
        for u, hits in zip(utterances, said, strict=True)
    ]
    cleaned = [" ".join(lexicon.figurative.sub(" ", text).split()) for text in wanted]
    hits = _hits_by_role(matcher, cleaned, utterances)
    for index, utterance in enumerate(utterances):
        if utterance.role == "clinician":
            # One concept per question, and only when clearly about risk: the answer
            # is matched on its own words anyway.
            floor = matcher.bank.question_threshold
            best = max(hits[index], key=lambda n: n.score, default=None)
            hits[index] = [best] if best and best.score >= floor else []
    # Only a text still close to something with its figure cut out: as said, it can
    # only narrow those hits, so encoding the others cannot change anything.
    figured = [
        i
        for i, (a, b) in enumerate(zip(wanted, cleaned, strict=True))
        if a.split() != b.split() and hits[i]
    ]
    as_said = _hits_by_role(matcher, [wanted[i] for i in figured], [utterances[i] for i in figured])
    for index, whole in zip(figured, as_said, strict=True):
        close = {n.concept: n for n in whole}
        hits[index] = [
            n if n.score <= close[n.concept].score else close[n.concept]
            for n in hits[index]
            if n.concept in close
        ]
    return hits


def _hits_by_role(
    matcher: SemanticMatcher, texts: list[str], utterances: list[Utterance]
) -> list[list[Nearest]]:
    """Meaning hits, a patient's words also in parts and weighed by the concept model; a
    clinician's question only whole, by its exemplars (a routine question's clause, "which
    medications do you take on a regular basis?", sits near misused pills)."""
    speakers = [i for i, u in enumerate(utterances) if u.role != CLINICIAN]
    clinicians = [i for i, u in enumerate(utterances) if u.role == CLINICIAN]
    hits: list[list[Nearest]] = [[] for _ in texts]
    for chosen, patients in ((speakers, True), (clinicians, False)):
        found = (
            matcher.hits([texts[i] for i in chosen], in_parts=patients, weigh=patients)
            if chosen
            else []
        )
        for index, near in zip(chosen, found, strict=True):
            hits[index] = near
    return hits


def detect_risk(
    transcript: Transcript,
    lexicon: RiskLexicon | None = None,
    matcher: SemanticMatcher | None = None,
    *,
    by_meaning: bool = True,
) -> list[RiskItem]:
    """Risk items in time order: one per (utterance, concept, polarity).

    `matcher` defaults to the configured encoder with the repository's exemplar
    bank; `by_meaning=False` uses the patterns alone (for comparison only).
    """
    lexicon = lexicon or load_lexicon()
    if by_meaning and matcher is None:
        matcher = default_matcher()
    readings = [standard_reading(u.text, lexicon.dialect) for u in transcript.utterances]
    utterances = [
        u.model_copy(update={"text": r.text}) if r.text != u.text else u
        for u, r in zip(transcript.utterances, readings, strict=True)
    ]
    said = [
        _most_specific(_said_hits(u, lexicon)) if u.role == "clinician" else _said_hits(u, lexicon)
        for u in utterances
    ]
    nearest = (
        _meaning_hits(utterances, said, lexicon, matcher)
        if by_meaning and matcher
        else [[] for _ in utterances]
    )
    sentence_cues = (
        _sentence_denials(utterances, nearest, lexicon, matcher)
        if by_meaning and matcher
        else [{} for _ in utterances]
    )
    denials = (
        matcher.nearest_denial([u.text if u.role == PATIENT else "" for u in utterances])
        if by_meaning and matcher
        else [None for _ in utterances]
    )
    hits = [
        _utterance_hits(u, s, n, lexicon, c, d)
        for u, s, n, c, d in zip(utterances, said, nearest, sentence_cues, denials, strict=True)
    ]
    # A denial found by meaning alone in the utterance's own words must be closer than a
    # disclosure: see `ExemplarBank.denial_threshold`.
    denial_floor = matcher.bank.denial_threshold if by_meaning and matcher else 1.0
    similarity = matcher.similarity if by_meaning and matcher else None

    # By identity and first id, as list.index and a scan by id would find them, without
    # comparing whole utterances.
    position = {id(u): i for i, u in enumerate(utterances)}
    text_of = {u.id: u.text for u in reversed(utterances)}
    items: list[RiskItem] = []
    index_of = {u.id: i for i, u in reversed(list(enumerate(utterances)))}
    for index, utterance in enumerate(utterances):
        if not hits[index] and _after_disclosure(items, index, index_of, lexicon):
            hits[index] = _follow_up_question_hits(utterance, lexicon)
        groups: dict[tuple[str, Polarity, str | None], list[_Hit]] = {}
        for hit in hits[index]:
            polarity: Polarity = "denied" if hit.cue else "reported"
            patients_own = utterance.role == "patient" and not hit.in_question
            if hit.cue and patients_own and _excepted(utterance.text, hit, lexicon):
                polarity = "reported"  # "I don't use any drugs, just the wine"
            if utterance.role == "patient" and hit.in_question and not hit.cue:
                hit.cue = _echo_answered_no(utterance.text, hit, lexicon)
                polarity = "denied" if hit.cue else polarity
            answer: Utterance | None = None
            # A patient's words are reported as said: recognition writes a rising voice as
            # "?", and the clinician's next line is no answer ("Sometimes I think about
            # hurting him?" / "No, I understand" would read as a denial).
            asks = utterance.role != "patient" and (hit.in_question or _answered(utterances, index))
            if hit.inverted and utterance.role != "patient":
                # Never a denial in the clinician's own words: a question that lost its
                # mark ("I'm a children safe with him.") is listed, as before, to be read.
                hit.cue = ""
                polarity = "reported"
            if not hit.cue and asks:
                answer = find_answer(utterances, index)
                if answer is None:
                    polarity = "asked"
                else:
                    answered_with_risk = any(not h.cue for h in hits[position[id(answer)]])
                    polarity = read_answer(
                        utterance.text,
                        answer.text,
                        lexicon,
                        has_risk_language=answered_with_risk,
                        similarity=similarity,
                        asked_about=hit.phrase,
                        about_safety=hit.inverted,
                    )
                    if polarity == "asked":
                        answer = None
            # Only a denial in the utterance's own words: a risk question's answer is read
            # by the answer rules, whatever the question's score.
            below = hit.nearest is not None and hit.nearest.score < denial_floor
            if hit.cue and below and not hit.near_a_denial:
                continue
            clinicians_own = utterance.role == "clinician" and not hit.in_question
            if hit.concept.key in PROTECTIVE_CONCEPTS and clinicians_own:
                continue  # the clinician's own "I can call an ambulance" protects nobody
            key = (hit.concept.key, polarity, answer.id if answer else None)
            groups.setdefault(key, []).append(hit)
        for (concept_key, polarity, answer_id), group in groups.items():
            first = group[0]
            about = _said_of(utterance, group, hits[index], lexicon)
            pattern = " | ".join(dict.fromkeys(h.pattern for h in group if h.pattern))
            near = next((h.nearest for h in group if h.nearest), None)
            answer_text = text_of.get(answer_id, "") if answer_id is not None else ""
            items.append(
                RiskItem.said_in(
                    utterance,
                    category=concept_key,
                    category_label=first.concept.label,
                    phrase="; ".join(h.phrase for h in group if h.phrase),
                    pattern=pattern,
                    polarity=polarity,
                    cue=next((h.cue for h in group if h.cue), ""),
                    answer_utterance_id=answer_id,
                    matched_by="meaning" if near and not pattern else "pattern",
                    exemplar=near.exemplar if near and not pattern else "",
                    score=round(near.score, 3) if near and not pattern else None,
                    model_probability=near.weighed if near and not pattern else None,
                    answer_text=answer_text,
                    heard="; ".join(dict.fromkeys(h.heard for h in group if h.heard)),
                    about=about,
                )
            )
    near_denials = {t for _, t in matcher.bank.denials} if by_meaning and matcher else set()
    items = _with_follow_ups(utterances, items, near_denials)
    return _in_own_words(items, transcript.utterances, readings)


def _in_own_words(
    items: list[RiskItem], said: list[Utterance], readings: list[Reading]
) -> list[RiskItem]:
    """`items` quoting the words as said, naming the dialect words read ("tae → to")."""
    changed = {u.id for u, r in zip(said, readings, strict=True) if r.text != u.text}
    if not changed:
        return items
    text_of = {u.id: u.text for u in reversed(said)}
    read_in = {u.id: r.read for u, r in zip(said, readings, strict=True) if r.read}
    # A reply's context item quotes the disclosure it continues: as said, too.
    said_as = {r.text: u.text for u, r in zip(said, readings, strict=True) if u.id in changed}
    own: list[RiskItem] = []
    for item in items:
        if item.follows in said_as:
            item = item.model_copy(update={"follows": said_as[item.follows]})
        if not {item.utterance_id, item.answer_utterance_id} & changed:
            own.append(item)
            continue
        said_here = read_in.get(item.utterance_id, ())
        if item.phrase:  # a pattern names the words it matched: only those read among them
            matched = tuple(
                r
                for r in said_here
                if re.search(rf"\b{re.escape(r.split(' → ')[-1])}\b", item.phrase, re.IGNORECASE)
            )
            # A condition met elsewhere in the line ("bairn" for a child) shows every reading.
            said_here = matched or said_here
        read = said_here + read_in.get(item.answer_utterance_id or "", ())
        heard = "; ".join(dict.fromkeys([*filter(None, [item.heard]), *read]))
        answer = text_of.get(item.answer_utterance_id or "", item.answer_text)
        original = text_of[item.utterance_id]
        update = {"text": original, "answer_text": answer, "heard": heard}
        if item.phrase and item.utterance_id in changed and item.phrase not in original:
            update["phrase"] = original  # a quote is what was said, never the reading
        own.append(item.model_copy(update=update))
    return own


# In a clinician's line, "you" is the patient ("Did your father ever try to kill himself?"
# is about the father; "Have you ever tried?" is not).
_YOU = re.compile(r"\b(?:you|yourself)\b", re.IGNORECASE)


def _person_in(text: str, utterance: Utterance, lexicon: RiskLexicon) -> str:
    """The other person `text` is about, or '' when it holds the patient's own words."""
    rule = lexicon.someone_else
    if rule.people is None or rule.first_person is None:
        return ""
    if rule.first_person.search(text):
        return ""
    if utterance.role == "clinician" and _YOU.search(text):
        return ""
    person = rule.people.search(text)
    return " ".join(person.group(0).lower().split()) if person else ""


def _clause(text: str, span: tuple[int, int], lexicon: RiskLexicon) -> str:
    """The clause of `text` holding `span` (between `negation.clause_breaks`)."""
    breaks = lexicon.clause_breaks
    start = max((m.end() for m in breaks.finditer(text, 0, span[0])), default=0)
    after = breaks.search(text, span[1])
    return text[start : after.start() if after else len(text)]


def _said_of(
    utterance: Utterance, group: list[_Hit], said: list[_Hit], lexicon: RiskLexicon
) -> str:
    """Whom a group of hits is about: another person (see `someone_else` in the lexicon),
    or '' for the patient. Every hit must be about that person; a meaning hit, which
    has no words of its own, follows the utterance's pattern hits, or else the whole
    utterance."""
    if group[0].concept.key not in lexicon.someone_else.concepts:
        return ""
    text = utterance.text
    worded = [h for h in said if h.phrase and h.concept.key in lexicon.someone_else.concepts]
    people = set()
    for hit in group:
        if hit.phrase:
            people.add(_person_in(_clause(text, hit.span, lexicon), utterance, lexicon))
        elif worded:
            people |= {
                _person_in(_clause(text, w.span, lexicon), utterance, lexicon) for w in worded
            }
        else:
            people.add(_person_in(text, utterance, lexicon))
    return people.pop() if len(people) == 1 else ""


def _after_disclosure(
    items: list[RiskItem], index: int, index_of: dict[str, int], lexicon: RiskLexicon
) -> bool:
    """Whether utterance `index` comes soon after a disclosure that gives
    `follow_up_questions` their meaning (a patient's words, or their answer)."""
    rule = lexicon.follow_up_questions
    return any(
        item.polarity == "reported"
        and item.category in rule.after
        and not item.about
        and (item.role == "patient" or item.answer_utterance_id)
        and index - index_of[item.answer_utterance_id or item.utterance_id] <= rule.within
        for item in items[-8:]
    )


def _follow_up_question_hits(utterance: Utterance, lexicon: RiskLexicon) -> list[_Hit]:
    """A clinician's everyday-words question about the disclosure just made."""
    rule = lexicon.follow_up_questions
    if utterance.role != "clinician" or not rule.patterns:
        return []
    concept = next(c for c in lexicon.concepts if c.key == rule.concept)
    text = utterance.text
    for source, pattern in rule.patterns:
        match = pattern.search(text)
        if match and (_is_question(text, match.end()) or _INTERROGATIVE_START.search(text)):
            return [
                _Hit(
                    concept,
                    match.group(0),
                    source,
                    _governing_negation(text, match.start(), match.end(), lexicon),
                    True,
                    span=match.span(),
                )
            ]
    return []


def _with_follow_ups(
    utterances: list[Utterance],
    items: list[RiskItem],
    near_denials: set[str] | frozenset[str] = frozenset(),
) -> list[RiskItem]:
    """`items` and, after each, the patient's replies to follow-ups on a reported disclosure.

    A reply whose only items are denials read near the bank's denials (`near_denials`)
    still continues the disclosure: "How many?" / "Not loads, I don't take the whole box"."""
    by_utterance: dict[str, list[RiskItem]] = {}
    for item in items:
        if item.matched_by == "meaning" and item.exemplar in near_denials:
            continue
        by_utterance.setdefault(item.utterance_id, []).append(item)
    extra: list[RiskItem] = []
    for index, reply in enumerate(utterances):
        if not is_follow_up_reply(utterances, index):
            continue
        # A reply listed for another risk it reports still continues the disclosure: "I did
        # it in year nine as well" after cutting sits near a past attempt's exemplar too. A
        # denial or a protective factor answers the question on its own terms.
        listed = by_utterance.get(reply.id, [])
        if any(i.polarity != "reported" or i.category in PROTECTIVE_CONCEPTS for i in listed):
            continue
        own = {i.category for i in listed}
        if utterances[index - 1].id in by_utterance:
            continue  # the question names a risk itself: read as a question and answer
        # Only a disclosure said in words, not a reply listed by context: a chain of short
        # questions would otherwise carry one disclosure through the rest of the session.
        disclosed = [
            item
            for item in by_utterance.get(utterances[index - 2].id, [])
            if item.polarity == "reported"
            and item.role == "patient"
            and item.category not in PROTECTIVE_CONCEPTS
            and not item.about
        ]
        for item in {i.category: i for i in disclosed if i.category not in own}.values():
            extra.append(
                RiskItem.said_in(
                    reply,
                    category=item.category,
                    category_label=item.category_label,
                    phrase="",
                    pattern="",
                    polarity="reported",
                    matched_by="context",
                    answer_text="",
                    follows=item.text,
                )
            )
    return sorted([*items, *extra], key=lambda item: item.start) if extra else items


def detect_in_text(
    text: str,
    lexicon: RiskLexicon | None = None,
    matcher: SemanticMatcher | None = None,
    *,
    by_meaning: bool = True,
) -> list[RiskItem]:
    """Risk items in a single piece of text spoken by the patient; handy for tests."""
    transcript = Transcript(
        audio=AudioInfo(source="text", duration=0.0, expected_duration=None),
        language="en",
        utterances=[
            Utterance(
                id="u0001",
                start=0.0,
                end=0.0,
                speaker="S",
                role="patient",
                text=text,
                confidence=1.0,
            )
        ],
        speakers=[],
    )
    return detect_risk(transcript, lexicon, matcher, by_meaning=by_meaning)

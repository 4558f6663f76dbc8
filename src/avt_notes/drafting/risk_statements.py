"""The draft agrees with the review list: what was disclosed and denied, stated in the body.

A pure function run at the end of drafting. For every risk item the patient's
words belong to (their own utterance, or their answer to a risk question), the
template's risk section (``risk_statements: true``; the first section if none
is marked) gets one sentence that says what was disclosed or denied, quotes the
patient and cites the same utterances as the list. A drafted sentence citing a
disclosure while negating it is flagged, never silently kept; so is one stating a
risk the patient's cited words name only to deny ("Not really killing myself").
Nothing here grades or assesses risk: the sentences report what was said.
"""

from __future__ import annotations

from avt_notes.drafting.schemas import DraftNote, DraftSentence, NoteSection
from avt_notes.drafting.templates import Template
from avt_notes.grounding import MISSTATES
from avt_notes.risk import RiskItem, RiskLexicon, detect_in_text, load_lexicon
from avt_notes.risk.lexicon import PROTECTIVE_CONCEPTS
from avt_notes.risk.negation import denied_summary_words, denies_risk
from avt_notes.schemas import Transcript, Utterance

CONTRADICTS = (
    MISSTATES + "says the opposite of a risk disclosure in {id}; check it against the transcript"
)
STATES_A_DENIAL = (
    MISSTATES + "states {concepts}, which the patient's own words in {id} deny; "
    "check it against the transcript"
)
# A meaning match this close or closer is stated as the concept in the body; a weaker one
# is a cue for review. Safety drafts put "(self-harm)" on an assault and "(passive death
# wish)" on morning shakes: meaning matches of 0.60-0.65 to an exemplar sharing the scene.
STATED_MEANING_SCORE = 0.70
CLOSE_IN_MEANING = "close in meaning to {concepts}, for the clinician to review"


def _quote(text: str) -> str:
    return "“" + " ".join(text.split()) + "”"


def _ended(text: str) -> str:
    """`text` with a full stop, unless the quotation it ends with already has one."""
    return text if text.rstrip("”").endswith((".", "?", "!")) else text + "."


def _words_of(item: RiskItem) -> str | None:
    """Id of the patient's utterance the item reports, or None (the clinician alone spoke)."""
    if item.answer_utterance_id:
        return item.answer_utterance_id
    return item.utterance_id if item.role == "patient" else None


def _concepts(items: list[RiskItem]) -> str:
    labels = list(dict.fromkeys(i.category_label.lower() for i in items))
    return ", ".join(labels)


def _weak(item: RiskItem) -> bool:
    """Whether the item rests on a meaning match too loose to state as the concept."""
    return item.matched_by == "meaning" and (item.score or 0.0) < STATED_MEANING_SCORE


def _reported_segments(reported: list[RiskItem]) -> list[str]:
    """What the body says the patient's words disclosed.

    A concept resting on a weak meaning match is named as a closeness for review, never
    as a disclosure: its label is most often the scene seen from another concept's
    exemplar (morning shakes near "hoping I don't wake up"). Beside a concept stated on
    firmer ground it is left to the review list: session 17's reader found 4 of 5 such
    closenesses named a concept the session did not support ("substance use; close in
    meaning to passive death wish" on morning shakes), against 2 of 4 alone. The words
    are in the body either way.
    """
    stated = [i for i in reported if not _weak(i)]
    if stated:
        return [_concepts(stated)]
    return [CLOSE_IN_MEANING.format(concepts=_concepts(reported))] if reported else []


def _statements(items: list[RiskItem], transcript: Transcript) -> list[DraftSentence]:
    by_id = {u.id: u for u in transcript.utterances}
    order = {u.id: n for n, u in enumerate(transcript.utterances)}
    grouped: dict[str, list[RiskItem]] = {}
    unanswered: dict[str, list[RiskItem]] = {}
    for item in items:
        words = _words_of(item)
        if item.polarity == "asked":
            unanswered.setdefault(item.utterance_id, []).append(item)
        elif words in by_id:
            grouped.setdefault(words, []).append(item)
    # A concept the patient disclosed anywhere is not "denied" as a whole where other words
    # deny part of it: "I don't drink at all" from someone who smokes cannabis at weekends.
    # A loose meaning match is no disclosure to set a denial against: "Never" to "Have you
    # ever tried to end your life?" had read "past attempt reported elsewhere" from
    # self-harm in year nine, close in meaning to an attempt.
    disclosed = {
        i.category
        for i in items
        if i.polarity == "reported" and not i.about and not _weak(i) and _words_of(i) in by_id
    }
    sentences: list[DraftSentence] = []
    for words_id, group in grouped.items():
        evidence = sorted({i.utterance_id for i in group} | {words_id}, key=order.__getitem__)
        quote = _quote(by_id[words_id].text)
        own = [i for i in group if not i.about]
        reported = [i for i in own if i.polarity == "reported"]
        # One reading per concept: an answer reported as a qualified "no" ("No, just a
        # glass at the weekend") is not also denied because its own words hold a "no".
        kinds = {i.category for i in reported}
        denied = [i for i in own if i.polarity == "denied" and i.category not in kinds]
        partly = [i for i in denied if i.category in disclosed]
        denied = [i for i in denied if i not in partly]
        # Risk said of someone else ("my father committed suicide") is stated as theirs.
        others: dict[str, list[RiskItem]] = {}
        for item in group:
            if item.about:
                others.setdefault(item.about, []).append(item)
        segments = _reported_segments(reported)
        if denied and (reported or others or partly):
            segments.append(f"denied: {_concepts(denied)}")
        if partly:
            segments.append(
                f"denied in these words; {_concepts(partly)} reported elsewhere in the session"
            )
        segments += [f"said of {person}: {_concepts(said)}" for person, said in others.items()]
        if segments:
            text = f"The patient said {quote} ({'; '.join(segments)})."
        else:
            text = _ended(f"The patient denied {_concepts(denied)}: {quote}")
        sentences.append(
            DraftSentence(
                text=text, evidence=evidence, evidence_method="extract", status="supported"
            )
        )
    for question_id, group in unanswered.items():
        sentences.append(
            DraftSentence(
                text=f"The clinician asked about {_concepts(group)}; no clear answer was given.",
                evidence=[question_id],
                evidence_method="extract",
                status="supported",
            )
        )
    return sorted(sentences, key=lambda s: order[s.evidence[0]])


def _says_the_opposite(
    text: str, lexicon: RiskLexicon, cited: list[Utterance], denied_there: set[str]
) -> bool:
    """Whether a drafted sentence denies risk the patient did not deny where it cites.

    A negated risk phrase or summary word, by the negation rules of the review list,
    not any negative word: "the sertraline is not helping" denies nothing. What the
    cited lines deny as well is said, not reversed: a concept in `denied_there` (the
    review list's denials at the cited utterances), or a summary word the patient
    negated too ("No plans. But I've been saving up my tablets" for "has no plans").
    """
    readings = [
        i for i in detect_in_text(text, lexicon, by_meaning=False) if i.polarity == "denied"
    ]
    if readings:
        return any(i.category not in denied_there for i in readings)
    if not denies_risk(text, lexicon):
        return False
    said = " ".join(u.text for u in cited if u.role == "patient")
    return not denied_summary_words(text, lexicon) <= denied_summary_words(said, lexicon)


def _denied_in_own_words(items: list[RiskItem]) -> dict[str, set[str]]:
    """Per patient utterance, the risk concepts its own words name only to deny.

    "Not really killing myself, I just want everything to go quiet": the reply to
    "thoughts of killing yourself?" is qualified (reported in the patient's words),
    but the words "killing myself" are denied, so a drafted "has had thoughts of
    killing themselves" overstates it. Protective factors are no risk to deny.
    """
    denied: dict[str, set[str]] = {}
    said: dict[str, set[str]] = {}
    for item in items:
        if item.role != "patient" or item.category in PROTECTIVE_CONCEPTS or item.about:
            continue
        into = denied if item.polarity == "denied" else said
        into.setdefault(item.utterance_id, set()).add(item.category)
    return {
        utterance_id: concepts - said.get(utterance_id, set())
        for utterance_id, concepts in denied.items()
        if concepts - said.get(utterance_id, set())
    }


def _states_a_denial(
    sentence: DraftSentence, denied: dict[str, set[str]], lexicon: RiskLexicon
) -> str | None:
    """The reason a sentence states as said what its cited patient words deny, or None."""
    cited = [(i, denied[i]) for i in sentence.evidence if i in denied]
    if not cited:
        return None
    stated = [
        item
        for item in detect_in_text(sentence.text, lexicon, by_meaning=False)
        if item.polarity == "reported"
    ]
    for utterance_id, concepts in cited:
        clash = [i for i in stated if i.category in concepts]
        if clash:
            return STATES_A_DENIAL.format(concepts=_concepts(clash), id=utterance_id)
    return None


def _target(note: DraftNote, template: Template) -> str:
    marked = [s.name for s in template.sections if s.risk_statements]
    return marked[0] if marked else note.sections[0].name


def risk_statements(
    note: DraftNote,
    items: list[RiskItem],
    transcript: Transcript,
    template: Template,
    lexicon: RiskLexicon | None = None,
) -> DraftNote:
    """`note` with its risk section stating what was disclosed and denied (see module docs)."""
    if not note.sections:
        return note
    lexicon = lexicon or load_lexicon()
    statements = _statements(items, transcript)
    # A protective factor is no disclosure: "No, I would never do that to my kids" is
    # what a drafted "denies thoughts of suicide" rests on, not its opposite.
    disclosed = {
        _words_of(i)
        for i in items
        if i.polarity == "reported" and i.category not in PROTECTIVE_CONCEPTS and not i.about
    } - {None}
    denied = _denied_in_own_words(items)
    by_id = {u.id: u for u in transcript.utterances}
    # Per utterance, the concepts the review list reads as denied there (own words, or
    # the answer to a risk question).
    denials: dict[str, set[str]] = {}
    for item in items:
        if item.polarity == "denied" and not item.about:
            for place in (item.utterance_id, item.answer_utterance_id):
                if place:
                    denials.setdefault(place, set()).add(item.category)
    target = _target(note, template)
    sections: list[NoteSection] = []
    for section in note.sections:
        kept: list[DraftSentence] = []
        for sentence in section.sentences:
            if (
                section.name == target
                and statements
                and sentence.text.strip() == template.empty_text
            ):
                continue  # "Nothing recorded." would contradict the statements below
            clashes = sorted(set(sentence.evidence) & disclosed)
            cited = [by_id[i] for i in sentence.evidence if i in by_id]
            denied_there = {c for i in sentence.evidence for c in denials.get(i, ())}
            reason = (
                CONTRADICTS.format(id=clashes[0])
                if clashes and _says_the_opposite(sentence.text, lexicon, cited, denied_there)
                else _states_a_denial(sentence, denied, lexicon)
            )
            if reason:
                sentence = sentence.model_copy(
                    update={"status": "unsupported", "reasons": [*sentence.reasons, reason]}
                )
            kept.append(sentence)
        if section.name == target:
            kept += statements
        sections.append(section.model_copy(update={"sentences": kept}))
    return note.model_copy(update={"sections": sections})

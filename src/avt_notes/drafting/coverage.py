"""Coverage: facts said in the session that no drafted sentence carries.

A whole-note draft from a small model leaves facts out: a dose, a weekday, who
does the shopping. After drafting, the concrete facts of each exchange (numbers
and doses, drug names, days, months and time words, named people and third
parties, symptoms, and clinical actions from `prompts/drafting.yaml`) are looked
for in the note; an exchange with a fact no sentence states is chosen to be
restated in a sentence of its own, with that exchange as its evidence, in the
section whose focus fits it best. Pure functions: the model call is the caller's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from avt_notes.drafting.prompting import is_question, section_fit
from avt_notes.drafting.templates import TemplateSection
from avt_notes.grounding import GroundingLexicon, content_words, facts, stem, word_in
from avt_notes.schemas import Utterance

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# A reply is restated with its question when it affirms it ("Yes, fifteen milligrams"), or
# when it is short and leans on it ("Once, three years ago"), never when it is negative:
# given "Is anyone taking her money?" + "Not that I know of. My brother shops for her",
# a small model merges the two into the opposite of what was said.
_AFFIRMS = re.compile(r"^\s*(yes|yeah|yep|yup)\b", re.IGNORECASE)
_NEGATIVE = re.compile(
    r"^\s*(no|nope|never|not|nothing|none|nobody|neither|i(?:'ve| have)? never|"
    r"i (?:do|did|have|had|would|could|ca|wo)n'?t)\b",
    re.IGNORECASE,
)
SHORT_REPLY_WORDS = 8
SHORT_PROMPT_WORDS = 3
# Recognition often drops a question's "?": a reply starting "No"/"Yes" answers anyway.
_REPLY = re.compile(r"^\s*(no|nope|never|not really|yes|yeah|yep|yup)\b", re.IGNORECASE)


def _exchanges(utterances: Sequence[Utterance]) -> list[tuple[list[Utterance], str]]:
    """Each statement with the line it answers, if any, and the text whose facts count.

    A question's facts are context, not news ("Any thoughts of ending your life?").
    A line answered "Yes"/"No" without a question mark may be a question that lost
    its mark ("And alcohol.") or a plan agreed to ("Take 500 mg twice a day." /
    "Yes, okay"): its facts count with the reply's, and it is not a unit of its own.
    Short replies stay: "I don't drink at all" is a fact a note records.
    """

    def asks(index: int) -> bool:
        return is_question(utterances, index) or prompts_a_reply(index)

    def prompts_a_reply(index: int) -> bool:
        # A clinician's few words before the patient speaks name a topic, whatever mark
        # recognition gave them: "An alcohol." (for "And alcohol?") was restated as "The
        # clinician reports that an alcohol has been administered to the patient."
        utterance = utterances[index]
        following = utterances[index + 1] if index + 1 < len(utterances) else None
        return (
            utterance.role == "clinician"
            and len(utterance.text.split()) <= SHORT_PROMPT_WORDS
            and following is not None
            and following.speaker != utterance.speaker
        )

    def answered(index: int) -> bool:
        previous, utterance = utterances[index - 1], utterances[index]
        return previous.speaker != utterance.speaker and (
            asks(index - 1) or _REPLY.match(utterance.text) is not None
        )

    units: list[tuple[list[Utterance], str]] = []
    for index, utterance in enumerate(utterances):
        followed = index + 1 < len(utterances) and answered(index + 1)
        if asks(index) or followed:
            continue
        if index > 0 and answered(index):
            previous = utterances[index - 1]
            said = utterance.text if asks(index - 1) else f"{previous.text} {utterance.text}"
            units.append(([previous, utterance], said))
        else:
            units.append(([utterance], utterance.text))
    return units


def _leans_on_question(reply: str, trimmed: str) -> bool:
    """Whether the `trimmed` reply is restated with its question (`reply`: all of it)."""
    if _AFFIRMS.match(trimmed):
        return True
    # Judged on the whole reply: trimming cuts away a "Not that I know of." first sentence.
    return len(trimmed.split()) <= SHORT_REPLY_WORDS and _NEGATIVE.match(reply) is None


@dataclass(frozen=True)
class Gap:
    """An exchange to restate: its utterances (trimmed to the facts), where, and what is missing."""

    unit: list[Utterance]
    section: str
    missing: frozenset[str]
    said_by: str | None = None  # role of the line holding most of the missing facts


def _trimmed(
    utterance: Utterance,
    missing: set[str],
    lexicon: GroundingLexicon,
    cues: Mapping[str, Sequence[str]],
) -> Utterance:
    """The utterance cut to its sentences that state a missing fact (a long turn has many)."""
    parts = [p for p in _SENTENCE_END.split(utterance.text.strip()) if p]
    if len(parts) <= 1:
        return utterance
    kept = [p for p in parts if facts(p, lexicon, cues) & missing]
    if not kept or len(kept) == len(parts):
        return utterance
    return utterance.model_copy(update={"text": " ".join(kept)})


def lines_about(
    sentence: str, cited: Sequence[Utterance], context: Sequence[Utterance]
) -> list[Utterance]:
    """What a flagged sentence is reworded from: its cited lines cut to their sentences
    that share a word with it, and a question among them with its reply (from `context`,
    the lines around). Shown a question alone ("And you thought some harming yourself.",
    recognised without its "?"), the model turned it into advice; shown a long turn whole,
    it restated all of it. None when only questions are left."""
    wanted = set(content_words(sentence))
    position = {u.id: i for i, u in enumerate(context)}
    found: dict[str, Utterance] = {}
    for utterance in cited:
        index = position.get(utterance.id)
        if index is not None and _asks(context, index):
            reply = context[index + 1] if index + 1 < len(context) else None
            if reply is not None and reply.speaker != utterance.speaker:
                found[utterance.id] = utterance
                found[reply.id] = reply
            continue
        parts = [p for p in _SENTENCE_END.split(utterance.text.strip()) if p]
        kept = [p for p in parts if wanted & set(content_words(p))]
        if kept and utterance.id not in found:
            found[utterance.id] = utterance.model_copy(update={"text": " ".join(kept)})
    return sorted(found.values(), key=lambda u: u.start)


def _asks(utterances: Sequence[Utterance], index: int) -> bool:
    """Whether line `index` asks something: a question, a clinician's few words before the
    patient speaks, or a line answered "No"/"Yes" (recognition drops question marks)."""
    utterance = utterances[index]
    following = utterances[index + 1] if index + 1 < len(utterances) else None
    answered = following is not None and following.speaker != utterance.speaker
    short = utterance.role == "clinician" and len(utterance.text.split()) <= SHORT_PROMPT_WORDS
    return is_question(utterances, index) or (
        answered
        and following is not None
        and (short or (utterance.role == "clinician" and _REPLY.match(following.text) is not None))
    )


def keeps_the_facts(
    rewording: Sequence[str],
    sentence: str,
    unit: Sequence[Utterance],
    lexicon: GroundingLexicon,
) -> bool:
    """Whether a rewording says nothing its lines do not ("coil their hair" from "coil
    them") and keeps at least half of what `sentence` says that its lines say too: a
    rewording of another part of the lines would drop the flagged facts silently, where
    the flag at least shows them."""
    said = _words(" ".join(u.text for u in unit))
    written = _words(" ".join(rewording))

    def among(word: str, words: set[str]) -> bool:
        # The crude stemmer leaves "worri(ed)" beside "worry".
        return any(word_in(w, words, lexicon.word_similarity) for w in (word, word[:-1] + "y"))

    # The note's own words and a negation ("denies", "not") restate a "No" without adding.
    allowed = lexicon.note_register | {stem(c) for c in lexicon.negation_cues}
    if any(w not in allowed and not among(w, said) for w in written):
        return False
    supported = [w for w in _words(sentence) if among(w, said)]
    kept = [w for w in supported if among(w, written)]
    return 2 * len(kept) >= len(supported)


def _words(text: str) -> set[str]:
    """Content words, a possessive or contracted "'s" cut off ("my back's fine")."""
    return set(content_words(re.sub(r"['’]s\b", "", text)))


def states_any(
    sentence: str,
    missing: frozenset[str],
    lexicon: GroundingLexicon,
    cues: Mapping[str, Sequence[str]],
) -> bool:
    """Whether a restatement carries at least one of the facts it was asked for."""
    return bool(facts(sentence, lexicon, cues) & missing)


def find_gaps(
    note_sentences: Iterable[str],
    utterances: Sequence[Utterance],
    sections: Sequence[TemplateSection],
    lexicon: GroundingLexicon,
    cues: Mapping[str, Sequence[str]],
    limit: int,
    skip: Sequence[str] = (),
) -> list[Gap]:
    """Up to `limit` exchanges with facts the note does not state, the most missing first.

    A fact counts as stated when any note sentence states it (a sentence that
    repeats a dose elsewhere is not needed twice). Gaps come back in time order.
    An exchange holding one of the `skip` phrases (the identity check at the start
    of a consultation: name, date of birth, address) is never restated: its names
    and numbers are no clinical fact ("The patient reports five, six, eight, ten").
    """
    admin = (
        re.compile("|".join(rf"\b{re.escape(p)}\b" for p in skip), re.IGNORECASE) if skip else None
    )
    if limit <= 0 or not utterances or not sections:
        return []
    stated: set[str] = set()
    for sentence in note_sentences:
        stated |= facts(sentence, lexicon, cues)
    first = utterances[0].start
    span = max(max(u.end for u in utterances) - first, 1e-6)
    candidates: list[tuple[int, float, Gap]] = []
    claimed: set[str] = set()
    for unit, said in _exchanges(utterances):
        if admin is not None and any(admin.search(u.text) for u in unit):
            continue
        missing = facts(said, lexicon, cues) - stated - claimed
        if not missing:
            continue
        claimed |= missing
        position = (unit[-1].start - first) / span
        # The section fits the line that says the facts ("Take naproxen..." / "Yes, okay").
        speaker = [max(unit, key=lambda u: len(facts(u.text, lexicon, cues) & missing))]
        section = max(
            sections, key=lambda s: (section_fit(speaker, s, position), -sections.index(s))
        )
        reply = _trimmed(unit[-1], missing, lexicon, cues)
        leans = _leans_on_question(unit[-1].text, reply.text)
        trimmed = [*unit[:-1], reply] if leans else [reply]
        gap = Gap(trimmed, section.name, frozenset(missing), speaker[0].role)
        candidates.append((len(missing), -unit[-1].start, gap))
    chosen = sorted(candidates, key=lambda c: (-c[0], -c[1]))[:limit]
    return [gap for _, _, gap in sorted(chosen, key=lambda c: -c[1])]

"""Grounding check: is each draft sentence backed by the utterances it cites?

Why deterministic and not a second model: a small drafting model invents
things (drugs, doses, dates, names), and a checker that can itself invent is no
check. These rules are plain, explainable and repeatable, and each flag carries
a reason a clinician can verify by reading the cited lines.

A sentence is **unsupported** (and stays in the draft, flagged) when:

1. it cites no utterance (or only ids that do not exist, which are dropped);
2. a piece of *specific content* in it is not found in its cited utterances:
   - numbers, in digits or words ("two" = 2, "twice" = 2 times), with their
     unit when they have one: a dose (50 mg) or a duration (3 days) must
     appear with the same value, and not only with a different unit;
   - dates: month and weekday names, numeric dates (day, month, year);
   - drug names from ``prompts/drugs.yaml`` (generic and brand names count
     as the same drug; small spelling slips from ASR are tolerated);
   - capitalised names of people and places (not sentence-initial words or
     the note vocabulary listed in ``prompts/grounding.yaml``), and acronyms
     (also accepted when the cited words spell them out);
   - symptoms and findings from ``prompts/grounding.yaml`` (a small model
     adds plausible symptoms nobody mentioned);
   - negation: a negative sentence ("denies chest pain") needs a negation
     ("no", "not", "never", "n't", ...) in its cited utterances (a misstatement:
     the draft sets it aside), and not rest on a hedged answer ("not that I
     know of" does not support "denies");
3. most of its content words (share above ``max_novel_share``) appear nowhere
   in its cited utterances (the model's free invention);
4. it talks about the drafting instructions ("in the third person") instead
   of the session;
5. it gives a word of its evidence to another person (who did what): "the
   boyfriend becomes angry and hides" from "Mum's boyfriend gets really angry
   and my little brother hides". The doer of a word is the nearest person named
   before it as the subject of its clause, at most ``actors: window`` words
   back: a third party from ``people:`` in ``prompts/grounding.yaml``, "the
   patient", or "I"/"me" in a patient's line ("Mum and her boyfriend argue":
   both). Flagged only when every use of the word in the evidence names a doer
   and none is the sentence's; quoted words are skipped. Likewise whom it is
   done to or for (the person right after it, or after "for", "to", "at"):
   the speaker's "me", the clinician's "you" (the patient) and "her" (someone
   else) do not support "worry them" or "a visit for the patient"; a "him" or
   "her" where the patient said "me" is flagged as unclear;
   - a bound on a number ("over five") not said with it; urgency
     ("immediately") not said; advice given by the wrong person ("The patient
     advises"), or "The clinician advises" resting on questions only;
   - a time or number given to the patient that only the clinician said, not as
     a question the patient answered ("The patient reports practising every
     evening" from the clinician's plan); a verdict ("normal", "as prescribed")
     not said; a finding, drug or body part the session denied and never said
     was present (`denials`, read on the whole transcript); a finding or drug
     said only of a relative, given to the patient (`relatives`, likewise);
     a worry or wish given to the patient ("The patient is worried ...") with
     no patient line among the evidence; a clinician's action stated as done ("has
     been referred") where the cited lines only plan it ("I'll ask the falls team");
6. it states as a current finding what its cited lines give as a drug reaction
   where allergies are discussed ("Penicillin gives me a rash" for "a rash is
   present"), unless it says allergy or names the drug;
7. it matches a template rule (e.g. risk grading in a Risk section).

Word matching tolerates inflection and small spelling differences (rapidfuzz
ratio). Limits, on purpose: it cannot tell that a sentence turns a question
("any blood in your stool?") into a finding, nor catch an affirmative sentence
whose cited lines deny it (for risk language, `drafting.risk_statements` does:
"Not really killing myself" does not support "has had thoughts of killing
themselves"); unsupported means "not shown by its evidence", and
supported means only that no rule fired. The who-did-what rule reads word order,
not grammar, so it leaves a word alone whenever its doer is unsure: a pronoun
("he hides"), a person named as an object ("Mum drove the patient home"), a
passive without "by" ("was hit"), a description ("is angry"), "too"/"also", or
another clause in between (commas, "when", "that", "says"). It misses swaps
across those, and ones where a person is not in the ``people:`` list.

Sentences the model wrote without ids get evidence by lexical overlap
(`assign_evidence`): the few utterances covering most of the sentence's
content words, if they cover enough; otherwise none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from avt_notes.grounding.denials import asserted_denied, patients_findings
from avt_notes.grounding.lexicon import GroundingLexicon, load_grounding_lexicon
from avt_notes.grounding.relatives import given_to_patient
from avt_notes.grounding.specifics import (
    SOMEONE_ELSE,
    Attribution,
    attributions,
    dropped_negations,
    drug_names,
    findings_in,
    has_negation,
    judgements_in,
    may_be_the_same,
    names,
    number_values,
    people_in,
    quantities,
    time_words_in,
)
from avt_notes.grounding.words import (
    DATE_WORDS,
    MONTHS,
    ORDINAL_WORDS,
    WEEKDAYS,
    content_words,
    stem,
    tokens,
    word_in,
)
from avt_notes.schemas import CLINICIAN, PATIENT, Utterance

# Units of time: "over two weeks" is "during two weeks", not "more than".
DURATION_UNITS = frozenset({"minute", "hour", "day", "week", "month", "year"})

# Reasons that say a sentence states the opposite of, or something other than, what its
# evidence says (not merely more than it shows) start with this: the draft leaves such a
# sentence out of the note body (`drafting.set_aside`).
MISSTATES = "misstates what was said: "

_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?\b")


@dataclass
class GroundingResult:
    status: str  # "supported" | "unsupported"
    evidence: list[str]
    reasons: list[str] = field(default_factory=list)
    # Reasons no rewording can answer (a drug name recognition misheard): listen instead.
    for_the_recording: list[str] = field(default_factory=list)

    @property
    def rewordable(self) -> bool:
        """Whether some reason concerns the wording, so that saying it again may pass."""
        return any(r not in self.for_the_recording for r in self.reasons)


def _identity_lines(utterances: Mapping[str, Utterance], lexicon: GroundingLexicon) -> set[str]:
    """Ids of the identity check's lines: one naming it, and the reply that follows."""
    if not lexicon.identity_check:
        return set()
    ordered = sorted(utterances.values(), key=lambda u: u.start)
    found: set[str] = set()
    for index, utterance in enumerate(ordered):
        lowered = utterance.text.lower()
        if any(phrase in lowered for phrase in lexicon.identity_check):
            found.add(utterance.id)
            following = ordered[index + 1] if index + 1 < len(ordered) else None
            if following is not None and following.speaker != utterance.speaker:
                found.add(following.id)
    return found


def _check_identity(
    sentence: str,
    lines: Sequence[Utterance],
    utterances: Mapping[str, Utterance],
    lexicon: GroundingLexicon,
) -> list[str]:
    """A number or month the sentence takes from the identity check alone (a date of
    birth) is no clinical fact: "fever since the 2nd of November, 1992"."""
    identity = _identity_lines(utterances, lexicon) & {u.id for u in lines}
    if not identity:
        return []

    def said(texts: Sequence[str]) -> set[str]:
        words = {w for t in texts for w in tokens(t) if w in MONTHS and w != "may"}
        return words | {str(v) for t in texts for v in number_values(t, lexicon)}

    written = said([sentence])
    other = said([u.text for u in lines if u.id not in identity])
    taken = written & said([u.text for u in lines if u.id in identity]) - other
    if not taken:
        return []
    where = ", ".join(sorted(identity))
    return [f"takes {', '.join(sorted(taken))} from the identity check ({where}): no clinical fact"]


def _check_quantities(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    reasons = []
    available = quantities(cited, lexicon, cited=True)
    # Numeric dates are checked as dates, not as three numbers.
    for quantity in quantities(_NUMERIC_DATE.sub(" ", sentence), lexicon):
        same_value = [q for q in available if q.value == quantity.value]
        if not same_value:
            reasons.append(f'number "{quantity.text}" is not in the cited utterances')
        elif quantity.unit and not any(q.unit in (quantity.unit, None) for q in same_value):
            said = ", ".join(sorted({q.text for q in same_value}))
            reasons.append(f'"{quantity.text}" is not in the cited utterances (they say "{said}")')
    return reasons


def _bounded_numbers(text: str, lexicon: GroundingLexicon) -> list[tuple[str, str, float]]:
    """(bound and number as written, the bound's group, the number's value): "over five".

    The longest bound wins ("no more than five" is not also "more than five"); "over" before
    a duration ("over two weeks") is "during", no bound.
    """
    words = tokens(text)
    found = []
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            phrase = " ".join(words[i : i + size])
            group = lexicon.number_bounds.get(phrase)
            if group is None or len(words[i : i + size]) < size:
                continue
            following = quantities(" ".join(words[i + size : i + size + 3]), lexicon)
            if following and words[i + size] == following[0].text.split()[0]:
                during = phrase == "over" and following[0].unit in DURATION_UNITS
                if not during:
                    found.append((f"{phrase} {following[0].text}", group, following[0].value))
            i += size - 1
            break
        i += 1
    return found


def _said_in(text: str, lexicon: GroundingLexicon) -> set[tuple[str, float]]:
    """Numbers said "in" a time ("if it's not better in 48 hours"): a deadline as much as
    "within" is, in what was said (a written "in three weeks" is no bound)."""
    words = tokens(text)
    found = set()
    for index, word in enumerate(words[:-1]):
        following = quantities(" ".join(words[index + 1 : index + 4]), lexicon)
        if word == "in" and following and words[index + 1] == following[0].text.split()[0]:
            found.add(("within", following[0].value))
    return found


def _check_number_bounds(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    """ "over five times a day" needs "over" (or "more than") before five in its lines."""
    said = {(group, value) for _, group, value in _bounded_numbers(cited, lexicon)}
    said |= _said_in(cited, lexicon)
    values = {q.value for q in quantities(cited, lexicon, cited=True)}
    return [
        f'"{written}" is not in the cited utterances (they give the number without it)'
        for written, group, value in _bounded_numbers(sentence, lexicon)
        if value in values and (group, value) not in said
    ]


def _check_dates(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    reasons = []
    cited_words = set(tokens(cited))
    cited_months = {MONTHS[w] for w in cited_words if w in MONTHS and w != "may"}
    if "may" in cited_words:
        cited_months.add(5)
    cited_months |= {int(m.group(2)) for m in _NUMERIC_DATE.finditer(cited)}
    numbers = number_values(cited, lexicon)
    sentence_words = tokens(sentence)
    for index, word in enumerate(sentence_words):
        if word in WEEKDAYS and word not in cited_words:
            reasons.append(f'day "{word.capitalize()}" is not in the cited utterances')
        is_month = word in MONTHS and (word != "may" or _near_number(sentence_words, index))
        if is_month and MONTHS[word] not in cited_months:
            reasons.append(f'month "{word.capitalize()}" is not in the cited utterances')
    for match in _NUMERIC_DATE.finditer(sentence):
        day, month, year = (int(g) if g else None for g in match.groups())
        ok = day in numbers and (month in numbers or month in cited_months)
        if year is not None:
            ok = ok and (year in numbers or (year % 100) in numbers)
        if not ok:
            reasons.append(f'date "{match.group(0)}" is not in the cited utterances')
    return reasons


def _near_number(words: Sequence[str], index: int) -> bool:
    neighbours = [*words[max(0, index - 2) : index], *words[index + 1 : index + 3]]
    return any(w.isdigit() or w in ORDINAL_WORDS for w in neighbours)


def _check_drugs(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    reasons = []
    cited_generics = {generic for _, generic in drug_names(cited, lexicon)}
    cited_words = set(tokens(cited))
    for written, generic in drug_names(sentence, lexicon):
        if generic in cited_generics or word_in(written.lower(), cited_words, 88):
            continue
        reasons.append(f'drug "{written}" is not in the cited utterances')
    return reasons


def _check_findings(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[str]:
    cited_findings = findings_in("\n".join(u.text for u in cited), lexicon)
    reasons = []
    for match in lexicon.finding_pattern.finditer(sentence):
        finding = lexicon.findings[match.group(0).lower()]
        if finding not in cited_findings and not _asked_and_answered(
            match.group(0), cited, lexicon
        ):
            reasons.append(f'"{match.group(0)}" ({finding}) is not in the cited utterances')
    return list(dict.fromkeys(reasons))


def _asked_and_answered(
    finding: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> bool:
    """ "How has your mood been?" / "Low, ...": a finding said across a clinician's question
    and the patient's answer right after it, the answer's first clause holding the rest of
    its words, unnegated."""
    wanted = set(tokens(finding))
    for question, answer in pairwise(cited):
        if question.role != CLINICIAN or answer.role != PATIENT:
            continue
        if not question.text.rstrip().endswith("?"):
            continue
        first_clause = re.split(r"[,.;!?]", answer.text, maxsplit=1)[0]
        rest = wanted - set(tokens(question.text))
        if rest and rest <= set(tokens(first_clause)) and not has_negation(first_clause, lexicon):
            return True
    return False


def _check_echo(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    for phrase in lexicon.instruction_echo:
        # Whole words only: "scribe" is an echo, "describe" is not.
        pattern = re.compile(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", re.IGNORECASE)
        if pattern.search(sentence) and not pattern.search(cited):
            return [f'talks about the drafting instructions ("{phrase}"), not the session']
    return []


def _check_names(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    reasons = []
    cited_words = set(tokens(cited))
    initials = "".join(w[0] for w in re.findall(r"[A-Za-z]+", cited)).lower()
    for name in names(sentence, lexicon):
        lowered = name.lower()
        if word_in(lowered, cited_words, 85):
            continue
        if name.isupper() and lowered.rstrip("s") in initials:
            continue
        reasons.append(f'name "{name}" is not in the cited utterances')
    return reasons


def _check_negation(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    cue = has_negation(sentence, lexicon)
    if cue and not has_negation(cited, lexicon):
        # A negative claim its evidence does not make denies or reverses what was said
        # ("They do not take the mirtazapine" for "Yes, 15 milligrams at night").
        return [f'{MISSTATES}negation ("{cue}") is not in the cited utterances']
    return []


def _check_dropped_negation(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[str]:
    """A word its lines say only negated, written without the negation: "The clinician
    advised the patient to stop drinking" for "Please don't stop suddenly on your own"."""
    return [
        f'{MISSTATES}the cited lines say "{said}"; the sentence drops the negation'
        for said in dropped_negations(sentence, [u.text for u in cited], lexicon)
    ]


def _check_hedged_denial(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    """A flat denial drafted from a hedged answer: "The patient denies anyone taking her
    money" for "Not that I know of". Flagged, not set aside: the clinician rewords it."""
    hedges, kept = lexicon.hedge_pattern, lexicon.hedged_wording
    if hedges is None or not has_negation(sentence, lexicon):
        return []
    if hedges.search(sentence) or (kept is not None and kept.search(sentence)):
        return []
    hedge = hedges.search(cited.replace("’", "'"))
    if hedge is None:
        return []
    return [f'the cited answer hedges ("{hedge.group(0)}"); the sentence states it as certain']


def _check_stopped(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    """ "stopped smoking" where the lines say only "I used to smoke every day": a current use
    stated as none. A stop said in the lines in any words with a negation ("I don't smoke
    now"), or said in the negative in the sentence ("has not stopped"), passes."""
    written, uses, said = lexicon.stopped_wording, lexicon.stopped_uses, lexicon.stopping_said
    if written is None or uses is None or said is None:
        return []
    lines = cited.replace("’", "'")
    if said.search(lines) or has_negation(lines, lexicon):
        return []
    for match in written.finditer(sentence):
        before = sentence[: match.start()].lower().replace("’", "'").split()[-3:]
        if any(w in lexicon.negation_cues or w.endswith("n't") for w in before):
            continue
        after = " ".join(sentence[match.end() :].split()[:3])
        if uses.search(after) or drug_names(after, lexicon):
            return [f'says "{match.group(0)}", but the cited lines never say that anything stopped']
    return []


def _check_planned_as_done(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[str]:
    """ "The clinician arranged a home visit" where the clinician said "I'll arrange a home
    visit": a plan stated as a deed. Only where a cited clinician line plans and no cited
    line says anything was done ("I've referred you", "already", "I'm on it"); said in the
    negative ("has not been referred") it claims no deed."""
    written, planned, done = lexicon.done_wording, lexicon.planned_said, lexicon.done_said
    if written is None or planned is None or done is None:
        return []
    sentence = sentence.replace("’", "'")
    match = written.search(sentence)
    if match is None or has_negation(sentence[: match.end()], lexicon):
        return []
    lines = [u.text.replace("’", "'") for u in cited]
    plans = [
        m.group(0)
        for u, line in zip(cited, lines, strict=True)
        if u.role == CLINICIAN
        for m in planned.finditer(line)
    ]
    if not plans or any(done.search(line) or _PAST_DEED.search(line) for line in lines):
        return []
    return [
        f'says "{match.group(0)}" as done, where the cited lines give it only as planned '
        f'("{plans[0]}"): say what will be done'
    ]


# Someone did something, in any past-tense verb: "I emailed the falls team", "the GP gave
# me sertraline", "I put a referral in" (the done-list names the usual verbs only).
_PAST_DEED = re.compile(
    r"\b(?:i|we|i've|we've|i have|we have|they|he|she|gp|doctor|nurse)\s+(?:\w+ly\s+)?"
    r"(?:already\s+)?(?!(?:need|feed|bleed|breed|speed|seed|heed|proceed|exceed|succeed)\b)"
    r"(?:\w+ed|gave|put|sent|made|rang|spoke|wrote|took|got|did|told|upped)\b",
    re.IGNORECASE,
)


def _risk_words_said(sentence: str, cited: str) -> set[str]:
    """Words of the sentence that name a risk concept its cited lines also name.

    "Denies thoughts of suicide" for "Any thoughts of ending your life? No": the
    risk lexicon knows both say suicidal ideation, though they share few words.
    """
    from avt_notes.risk import detect_in_text, load_lexicon

    risk_lexicon = load_lexicon()
    said = {item.category for item in detect_in_text(cited, risk_lexicon, by_meaning=False)}
    return {
        word
        for item in detect_in_text(sentence, risk_lexicon, by_meaning=False)
        if item.category in said
        for word in content_words(item.phrase)
    }


def _check_novelty(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    # Drugs, dates and numbers have their own checks (synonym- and format-aware); risk
    # concepts named on both sides are the same thing in other words.
    checked = (
        _risk_words_said(sentence, cited)
        | {stem(w) for w in DATE_WORDS}
        | {
            stem(w)
            for spelling in (d for d, _ in drug_names(sentence, lexicon))
            for w in tokens(spelling)
        }
    )
    checked |= lexicon.note_register
    words = [w for w in dict.fromkeys(content_words(sentence)) if w not in checked]
    if len(words) < lexicon.min_content_words_for_novelty:
        return []
    vocabulary = set(content_words(cited))
    novel = [w for w in words if not word_in(w, vocabulary, lexicon.word_similarity)]
    if len(novel) / len(words) > lexicon.max_novel_share:
        return [f"most of its words ({len(novel)} of {len(words)}) are not in the cited utterances"]
    return []


def _check_time_words(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    """ "today", "tomorrow", "next week": a time said in a sentence must be said in its evidence."""
    said = time_words_in(cited, lexicon)
    written = time_words_in(sentence, lexicon)
    return [f'time "{word}" is not in the cited utterances' for word in sorted(written - said)]


def _check_judgements(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    """ "normal", "as prescribed", "stable": a verdict a small model adds by habit ("Vital
    signs are normal", "takes it as prescribed") must be said in the evidence."""
    said = judgements_in(cited, lexicon)
    written = judgements_in(sentence, lexicon)
    return [f'"{word}" is not said in the cited utterances' for word in sorted(written - said)]


def _check_people(sentence: str, cited: str, lexicon: GroundingLexicon) -> list[str]:
    """A third party named in a sentence (sister, partner, GP) must be named in the evidence."""
    said = people_in(cited, lexicon)
    written = people_in(sentence, lexicon)
    return [
        f'"{person}" is not mentioned in the cited utterances' for person in sorted(written - said)
    ]


_FIRST_PERSON = re.compile(
    r"(?<![\w'’])(?:I|I'm|I'll|I've|I'd|me|my|we|we'll|us|our|you|your|you'll|you're)(?![\w'’])",
    re.IGNORECASE,
)


# Quoted words are the speaker's own: in quotes, or after "said:" / "reports:".
_QUOTED = re.compile(
    r"[\"“][^\"”]*[\"”]|\b(?:said|says|reported|reports|stated|states|explained)\s*:.*$",
    re.IGNORECASE,
)


def _check_subject(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[str]:
    """Who-said-what: "The patient reports ..." needs a patient line among the evidence.

    Also flags first- and second-person wording outside quotes ("I'll see you"):
    a note is written in the third person, and an "I" or "you" hides who is meant.
    """
    reasons = []
    unquoted = _QUOTED.sub(" ", sentence)
    if _FIRST_PERSON.search(unquoted):
        reasons.append("written in the first or second person: say who said or did it")
    lowered = sentence.lower().lstrip()
    for phrase, role in lexicon.speaker_subjects.items():
        if lowered.startswith(phrase + " "):
            if cited and not any(u.role == role for u in cited):
                speakers = ", ".join(sorted({u.role for u in cited}))
                reasons.append(
                    f"says the {role} said or did this; the evidence is from: {speakers}"
                )
            break
    if any(lowered.startswith(phrase + " ") for phrase in lexicon.advice_subjects):
        theirs = [u for u in cited if u.role == CLINICIAN and _says_something(u.text, lexicon)]
        if theirs and all(_only_asks(u.text, lexicon) for u in theirs):
            reasons.append("says the clinician advised this; the clinician's cited lines only ask")
    # "The patient should be given more ibuprofen" from "I've been taking ibuprofen": a
    # recommendation needs a clinician among its lines, or one said in them.
    if (
        _RECOMMENDS.search(unquoted)
        and cited
        and all(u.role != CLINICIAN for u in cited)
        and not any(_RECOMMENDS.search(u.text) for u in cited)
    ):
        reasons.append("recommends something; no line among its evidence does (only the patient's)")
    return reasons


_RECOMMENDS = re.compile(
    r"\b(?:should|must|ought to|(?:is|are|was|were) advised to)\b", re.IGNORECASE
)


# "The patient agreed to ..." takes its times from the plan agreed to; "The patient
# advises ..." is checked as advice. Neither reports what the patient said of themselves.
_NOT_REPORTING = ("agree", "advise", "recommend")


# Asking without a question: "Tell me about the chest pain."
_ASKING = frozenset({"tell me", "describe", "talk me", "walk me"})


def _reports_for_patient(sentence: str, lexicon: GroundingLexicon) -> bool:
    lowered = sentence.lower().lstrip()
    return any(
        role == PATIENT
        and lowered.startswith(phrase + " ")
        and not phrase.split()[-1].startswith(_NOT_REPORTING)
        for phrase, role in lexicon.speaker_subjects.items()
    )


def _specifics(text: str, lexicon: GroundingLexicon) -> set[str]:
    """Times, numbers and findings said in `text`, as comparable keys."""
    numbers = {f"{value:g}" for value in number_values(text, lexicon)}
    return time_words_in(text, lexicon) | numbers | findings_in(text, lexicon)


def _next_line(line: Utterance, utterances: Mapping[str, Utterance]) -> Utterance | None:
    later = [u for u in utterances.values() if (u.start, u.id) > (line.start, line.id)]
    return min(later, key=lambda u: (u.start, u.id), default=None)


_HESITATIONS = re.compile(r"^\W*(?:(?:uh|um|er|erm|hmm|oh|well)\W+)*", re.IGNORECASE)
_REPLY_NO = re.compile(r"^\W*(?:(?:uh|um|er|erm|hmm|oh)\W+)*(?:no|nope|nah|never)\b", re.I)


def _affirms(reply: Utterance | None, lexicon: GroundingLexicon) -> bool:
    """Whether the patient's reply starts by confirming ("Um, yeah", "Uh-huh", "That's right")."""
    if reply is None or reply.role != PATIENT:
        return False
    opening = _HESITATIONS.sub("", reply.text.lower().replace("’", "'"))
    return any(re.match(rf"{re.escape(word)}(?![\w-])", opening) for word in lexicon.affirmations)


def _check_reported_specifics(
    sentence: str,
    cited: Sequence[Utterance],
    utterances: Mapping[str, Utterance],
    lexicon: GroundingLexicon,
) -> list[str]:
    """ "The patient reports ... every evening": a time, number or finding given to the
    patient must be the patient's: said in their own line, asked by the clinician and
    answered, or said by the clinician and confirmed in the reply ("So every night?" /
    "Yeah"). The clinician's advice ("Keep practising every evening") or own observation
    ("a bit of redness at the back of your throat") is no report of the patient's."""
    if not _reports_for_patient(sentence, lexicon):
        return []
    theirs: set[str] = set()
    clinicians: set[str] = set()
    for line in cited:
        if line.role == PATIENT:
            theirs |= _specifics(line.text, lexicon)
            continue
        if line.role != CLINICIAN:
            continue
        reply = _next_line(line, utterances)
        answered = reply is not None and reply.role == PATIENT
        confirmed = _affirms(reply, lexicon)
        # "So no chest pain?" / "No." confirms a negative summary as much as "Yes" does.
        confirms_no = (
            reply is not None and reply.role == PATIENT and bool(_REPLY_NO.match(reply.text))
        )
        for part in _SENTENCE_END.split(line.text):
            said = _specifics(part, lexicon)
            opening = " ".join(_said_words(part, lexicon)[:2])
            asked = (
                part.rstrip().endswith("?")
                or opening.split(" ")[0] in lexicon.question_openers
                or opening in _ASKING
                or opening.split(" ")[0] in _ASKING
            )
            if confirmed or (asked and answered) or (confirms_no and has_negation(part, lexicon)):
                theirs |= said
            else:
                clinicians |= said
    only_clinician = (_specifics(sentence, lexicon) & clinicians) - theirs
    if only_clinician & set(lexicon.findings.values()):
        # A finding is the patient's wherever they said it: the model may cite only the
        # clinician's question about it ("You're feeling dizzy?") and not the answer.
        only_clinician -= patients_findings(utterances.values(), lexicon)
    return [
        f'gives the patient "{specific}", which only the clinician said (not as a question '
        "the patient answered)"
        for specific in sorted(only_clinician)
    ]


def _said_words(text: str, lexicon: GroundingLexicon) -> list[str]:
    """The words of `text` past fillers ("um", "OK") and punctuation."""
    return [w for w in tokens(text) if w[:1].isalnum() and w not in lexicon.question_fillers]


def _says_something(text: str, lexicon: GroundingLexicon) -> bool:
    return bool(_said_words(text, lexicon))


def _only_asks(text: str, lexicon: GroundingLexicon) -> bool:
    """Whether every sentence of a line that says anything asks ("OK. Are you safe?").

    A question ends with "?" and starts like one: "I would recommend ... ibuprofen?" is
    advice said with a rising voice, and so is "Why don't you try ...?". A line of fillers
    alone ("Okay.") says nothing either way.
    """
    said = [part for part in _SENTENCE_END.split(text) if _says_something(part, lexicon)]
    return bool(said) and all(_asks(part, lexicon) for part in said)


def _asks(sentence: str, lexicon: GroundingLexicon) -> bool:
    words = _said_words(sentence, lexicon)
    opening = " ".join(words[:4])
    if any(opening.startswith(phrase) for phrase in lexicon.advice_questions):
        return False
    return sentence.rstrip().endswith("?") and bool(words) and words[0] in lexicon.question_openers


def _check_actor_swap(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon, others_present: bool
) -> list[str]:
    """Who did what, and to whom: a word the sentence shares with its evidence must have the
    same doer, and the same receiver, on both sides.

    "Mum's boyfriend gets angry and my little brother hides" does not support "the boyfriend
    becomes angry and hides": every word is in the evidence, but the wrong person hides. The
    doer of a word is the nearest person named as a subject before it in its clause
    (`attributions`); a word is compared only where the sentence names its doer, and flagged
    only when every use of it in the evidence names a doer too and none is the same person
    ("Mum and her boyfriend argue" names both). The receiver is compared the same way, with
    the speaker's "me" and "you" read by who speaks: the clinician's "the morning shakes
    worry me" does not support "the morning shakes worry them", nor the clinician's "a home
    visit for her" (the patient's mother) "a home visit for the patient". Quoted words are
    the speaker's own: skipped.
    """
    rules = lexicon.actors
    said = [
        attribution
        for utterance in cited
        for attribution in attributions(
            utterance.text, lexicon, speaker_role=utterance.role, others_present=others_present
        )
    ]
    swapped: dict[tuple[str, str], list[str]] = {}  # (sentence's doer, evidence's) -> words
    misdirected: list[str] = []
    unclear: list[str] = []
    pronoun: dict[str, list[str]] = {}  # the evidence's doer -> words a "he"/"she" did
    said_by_pronoun: dict[str, list[str]] = {}  # the sentence's doer -> words a line's "she" did
    for written in attributions(_QUOTED.sub(" . ", sentence), lexicon):
        uses = [a for a in said if word_in(written.stem, {a.stem}, lexicon.word_similarity)]
        if not uses:
            continue
        if written.doers and all(
            a.doers and not may_be_the_same(a.doers, written.doers, rules) for a in uses
        ):
            doers = {doer for a in uses for doer in a.doers}
            if doers == {SOMEONE_ELSE}:
                # The lines' "he" or "she": in a two-person session most often a third
                # person, but a clinician summing up may say "she" of the patient.
                said_by_pronoun.setdefault(_persons(written.doers, "and"), []).append(written.word)
            elif written.doers == {SOMEONE_ELSE}:
                # A note's "he" or "she" may be a slip for the patient: flagged, not set aside.
                pronoun.setdefault(_persons(doers, "or"), []).append(written.word)
                continue
            else:
                key = (_persons(written.doers, "and"), _persons(doers, "or"))
                swapped.setdefault(key, []).append(written.word)
        linked = [a for a in uses if a.link == written.link]
        if (
            written.receivers
            and linked
            and all(
                a.receivers and not may_be_the_same(a.receivers, written.receivers, rules)
                for a in linked
            )
        ):
            misdirected.append(_receiver_reason(written, linked, cited))
        elif (
            written.receiver_text in _GENDERED
            and linked
            and all(a.receivers == {PATIENT} for a in linked)
        ):
            said_as = " or ".join(dict.fromkeys(f'"{_phrase(a)}"' for a in linked))
            unclear.append(
                f'says "{_phrase(written)}" where the patient said {said_as}: it is unclear '
                'who is meant; a note says "the patient"'
            )
        elif (
            written.receiver_text in _PLURAL
            and PATIENT in written.receivers
            and linked
            and all(a.receiver_text in _PLURAL and a.receivers == {SOMEONE_ELSE} for a in linked)
            and not _GROUP_NAMED.search(sentence)
        ):
            # A note says "they" for the patient, so the lines' "them" (other people) copied
            # into it reads as the patient: "the ex shouts at them", said of the children.
            said_as = " or ".join(dict.fromkeys(f'"{_phrase(a)}"' for a in linked))
            unclear.append(
                f'says "{_phrase(written)}" where the cited words say {said_as} of other '
                'people: a note\'s "them" reads as the patient; check who is meant'
            )
    reasons = []
    for (doer, other), words in swapped.items():
        first, *rest = dict.fromkeys(words)
        quoted = ", ".join(f'"{word}"' for word in rest)
        also = f" (also {quoted})" if rest else ""
        reasons.append(f'{MISSTATES}says {doer} "{first}"{also}; the cited words say {other} did')
    for doer, words in said_by_pronoun.items():
        first, *rest = dict.fromkeys(words)
        also = f" (also {', '.join(f'{w!r}' for w in rest)})".replace("'", '"') if rest else ""
        unclear.append(
            f'says {doer} "{first}"{also}, where the cited words say "he" or "she" did: '
            "check who is meant"
        )
    for other, words in pronoun.items():
        quoted = ", ".join(f'"{word}"' for word in dict.fromkeys(words))
        unclear.append(
            f'says "he" or "she" for {quoted}, where the cited words say {other} did: it is '
            'unclear who is meant; a note says "the patient"'
        )
    return reasons + list(dict.fromkeys(misdirected)) + list(dict.fromkeys(unclear))


# A pronoun that names a sex: a note calls the patient "the patient", so "him" is someone else.
_GENDERED = frozenset({"he", "him", "himself", "she", "her", "herself"})
# "Them" in a line is other people; in a note it may be the patient ("they" for the patient).
_PLURAL = frozenset({"them", "they", "themselves"})
# A sentence naming a group has a "them" of its own: "the children say their dad shouts at them".
_GROUP_NAMED = re.compile(
    r"\b(?:children|kids|sons|daughters|family|parents|friends|grandchildren|boys|girls|"
    r"siblings|brothers|sisters|carers|neighbours|neighbors|colleagues|staff|both|twins|"
    r"people|others|everyone|everybody)\b",
    re.IGNORECASE,
)


def _phrase(attribution: Attribution) -> str:
    """ "visit for her": a word with its link and receiver, as written."""
    parts = (attribution.word, attribution.link, attribution.receiver_text)
    return " ".join(part for part in parts if part)


def _receiver_reason(
    written: Attribution, uses: Sequence[Attribution], cited: Sequence[Utterance]
) -> str:
    """'says "worry them"; the cited words, said by the clinician, say "worry me"'."""
    said = " or ".join(dict.fromkeys(f'"{_phrase(a)}"' for a in uses))
    speakers = " and ".join(sorted({u.role for u in cited}))
    return (
        f'{MISSTATES}says "{_phrase(written)}"; the cited words, said by the {speakers}, say {said}'
    )


def _persons(groups: Iterable[str], joiner: str) -> str:
    """ "the brother", "the mother and the partner": person groups as a note would say them."""
    named = (group.upper() if len(group) <= 2 else group for group in sorted(groups))  # GP
    return f" {joiner} ".join(
        "someone else (he or she)" if name == SOMEONE_ELSE else f"the {name}" for name in named
    )


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def _check_reaction_as_finding(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[str]:
    """An allergy stated as a current finding: "Penicillin gives me a rash", said when asked
    about allergies, does not support "The rash from the antibiotic is also present".

    Only where the cited lines talk about allergies, and only for a finding every cited
    mention of which is in such a line or beside a drug name; a sentence that names an
    allergy word or the drug says what the finding was.
    """
    allergy = lexicon.allergy_pattern
    if allergy is None or allergy.search(sentence):
        return []
    if not any(allergy.search(u.text) for u in cited):
        return []
    written_drugs = {generic for _, generic in drug_names(sentence, lexicon)}
    said = [part for u in cited for part in _SENTENCE_END.split(u.text)]
    reasons = []
    for finding in sorted(findings_in(sentence, lexicon)):
        # Sentence by sentence: "No allergies at all. You just have diarrhoea" is no reaction.
        mentions = [part for part in said if finding in findings_in(part, lexicon)]
        reactions = [m for m in mentions if allergy.search(m) or drug_names(m, lexicon)]
        if not mentions or len(reactions) < len(mentions):
            continue
        drugs = {generic for m in reactions for _, generic in drug_names(m, lexicon)}
        if drugs & written_drugs:
            continue
        reasons.append(
            f'{MISSTATES}"{finding}" is said in the cited lines only as a reaction to a drug, '
            "where allergies are discussed; the sentence states it without the allergy or the drug"
        )
    return reasons


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalpha())


def _check_corrected(
    sentence: str, cited: Sequence[Utterance], lexicon: GroundingLexicon
) -> list[str]:
    """A drug name that recognition misheard and the vocabulary put back is the clinician's
    call: it might be the sibling drug ("omeprazole" for esomeprazole). Say so, every time."""
    written = {generic for _, generic in drug_names(sentence, lexicon)}
    words = set(tokens(sentence))
    reasons = []
    for utterance in cited:
        for word in utterance.words:
            if word.heard is None or _letters(word.heard) == _letters(word.text):
                continue  # only joined ("co codamol"): same letters, nothing to check
            term = " ".join(tokens(word.text))
            named = {generic for _, generic in drug_names(word.text, lexicon)}
            if (named & written) or (term and term in words):
                reasons.append(
                    f'"{term}" was heard as "{word.heard}" and corrected from the drug list: '
                    "check it against the recording"
                )
    return list(dict.fromkeys(reasons))


def check_sentence(
    text: str,
    evidence: Iterable[str],
    utterances: Mapping[str, Utterance],
    *,
    rules: Sequence[tuple[str, str]] = (),
    lexicon: GroundingLexicon | None = None,
) -> GroundingResult:
    """Verdict for one sentence against the utterances it cites.

    `utterances` maps id -> utterance for the whole transcript; `rules` are
    (regex, reason) pairs from the template section.
    """
    lexicon = lexicon or load_grounding_lexicon()
    cited_ids = list(dict.fromkeys(evidence))
    valid = [i for i in cited_ids if i in utterances]
    reasons: list[str] = []
    corrected: list[str] = []
    if not valid:
        unknown = [i for i in cited_ids if i not in utterances]
        reasons.append(
            f"cites only ids not in the transcript ({', '.join(unknown)})"
            if unknown
            else "cites no utterance"
        )
    else:
        cited = "\n".join(utterances[i].text for i in valid)
        for check in (
            _check_quantities,
            _check_number_bounds,
            _check_dates,
            _check_drugs,
            _check_names,
            _check_negation,
            _check_hedged_denial,
            _check_stopped,
            _check_novelty,
            _check_echo,
            _check_time_words,
            _check_judgements,
            _check_people,
        ):
            reasons += check(text, cited, lexicon)
        lines = [utterances[i] for i in valid]
        others_present = any(u.role not in (PATIENT, CLINICIAN) for u in utterances.values())
        reasons += _check_subject(text, lines, lexicon)
        reasons += _check_dropped_negation(text, lines, lexicon)
        reasons += _check_planned_as_done(text, lines, lexicon)
        reasons += _check_reported_specifics(text, lines, utterances, lexicon)
        reasons += [
            f'"{said}" was denied in the session ({line}) and never said to be present'
            for said, line in asserted_denied(text, list(utterances.values()), lexicon)
        ]
        reasons += [
            f'"{said}" was said of a relative in the session ({line}), never of the patient'
            for said, line in given_to_patient(text, list(utterances.values()), lexicon)
        ]
        reasons += _check_actor_swap(text, lines, lexicon, others_present)
        reasons += _check_identity(text, lines, utterances, lexicon)
        reasons += _check_findings(text, lines, lexicon)
        corrected = _check_corrected(text, lines, lexicon)
        reasons += corrected + _check_reaction_as_finding(text, lines, lexicon)
    for pattern, reason in rules:
        if re.search(pattern, text, re.IGNORECASE):
            reasons.append(reason)
    ordered = sorted(valid, key=lambda i: (utterances[i].start, i))
    status = "unsupported" if reasons else "supported"
    return GroundingResult(status, ordered, reasons, for_the_recording=corrected)


def assign_evidence(
    text: str, utterances: Sequence[Utterance], lexicon: GroundingLexicon | None = None
) -> list[str]:
    """Utterances that best cover the sentence's words, or [] if none covers enough."""
    lexicon = lexicon or load_grounding_lexicon()
    wanted = set(content_words(text)) | {str(q.value) for q in quantities(text, lexicon)}
    if not wanted:
        return []
    covers: list[tuple[Utterance, set[str]]] = []
    for utterance in utterances:
        vocabulary = set(content_words(utterance.text))
        vocabulary |= {str(v) for v in number_values(utterance.text, lexicon)}
        covered = {w for w in wanted if word_in(w, vocabulary, lexicon.word_similarity)}
        if covered:
            covers.append((utterance, covered))
    chosen: list[Utterance] = []
    covered_all: set[str] = set()
    for _ in range(lexicon.max_utterances):
        best = max(covers, key=lambda c: (len(c[1] - covered_all), -c[0].start), default=None)
        if best is None or not best[1] - covered_all:
            break
        chosen.append(best[0])
        covered_all |= best[1]
    if len(covered_all) / len(wanted) < lexicon.min_coverage:
        return []
    return [u.id for u in sorted(chosen, key=lambda u: u.start)]

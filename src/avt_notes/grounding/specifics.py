"""The concrete facts a text states: numbers with units, drugs, dates, names, people, findings.

Pure functions over text and the lexicon; `facts` gives comparable keys
("number 15", "drug sertraline") that coverage and redundancy compare, and
`attributions` says who the text says did what ("my brother hides": brother).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from rapidfuzz import fuzz, process

from avt_notes.grounding.lexicon import ActorRules, GroundingLexicon
from avt_notes.grounding.words import (
    DATE_WORDS,
    MONTHS,
    MULTIPLIERS,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    STOPWORDS,
    TIMES_WORDS,
    WEEKDAYS,
    stem,
    tokens,
)

_CAPITALISED = re.compile(r"(?<![\w'’-])([A-Z][a-z]+(?:['’-][A-Za-z]+)*|[A-Z]{2,}s?)(?![\w'’-])")


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str | None
    text: str


def quantities(text: str, lexicon: GroundingLexicon, *, cited: bool = False) -> list[Quantity]:
    """Numbers (digits or words) with the unit that follows them, if any.

    In cited text, ordinal words and 'a'/'an' before a unit ("a week") count too.
    """
    words = tokens(text)
    out: list[Quantity] = []
    i = 0
    while i < len(words):
        word = words[i]
        value: float | None = None
        start = i
        if re.fullmatch(r"\d+(?:[.,]\d+)*", word):
            value = _parse_digits(word)
            i += 1
        elif word in NUMBER_WORDS or (word in MULTIPLIERS and cited):
            total, current = 0.0, 0.0
            while i < len(words) and (
                words[i] in NUMBER_WORDS or words[i] in MULTIPLIERS or words[i] == "and"
            ):
                if words[i] == "and":
                    if i + 1 < len(words) and words[i + 1] in NUMBER_WORDS and (current or total):
                        i += 1
                        continue
                    break
                if words[i] in MULTIPLIERS:
                    current = max(current, 1.0) * MULTIPLIERS[words[i]]
                    if MULTIPLIERS[words[i]] >= 1000:
                        total, current = total + current, 0.0
                else:
                    number = NUMBER_WORDS[words[i]]
                    # "twenty five" and "hundred and five" combine; "six seven" does not.
                    if current and not (
                        (number < 10 and current % 10 == 0 and current % 100 >= 20)
                        or (number < 100 and current % 100 == 0)
                    ):
                        break
                    current += number
                i += 1
            value = total + current
        elif word in TIMES_WORDS:
            out.append(Quantity(TIMES_WORDS[word], "time", word))
            i += 1
            continue
        elif cited and word in ORDINAL_WORDS:
            value = ORDINAL_WORDS[word]
            i += 1
        elif word in {"a", "an"} and i + 1 < len(words) and words[i + 1] in lexicon.units:
            i += 1
            if not cited:
                continue  # "a day" in a sentence is a frequency, not a claimed number
            value = 1.0
        else:
            i += 1
            continue
        unit = None
        if i < len(words) and words[i] in lexicon.units:
            unit = lexicon.units[words[i]]
            i += 1
        elif i + 1 < len(words) and words[i] in {"st", "nd", "rd", "th"}:
            i += 1
        if word == "one" and i - start == 1 and not cited:
            continue  # "no one", "the one": a pronoun, not a count
        out.append(Quantity(value, unit, " ".join(words[start:i])))
    return out


def _parse_digits(word: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", word):
        return float(word.replace(",", ""))
    return float(word.replace(",", "."))


def number_values(text: str, lexicon: GroundingLexicon) -> set[float]:
    return {q.value for q in quantities(text, lexicon, cited=True)}


def drug_names(text: str, lexicon: GroundingLexicon) -> list[tuple[str, str]]:
    """(as written, generic name) for each drug named in `text`."""
    return [
        (m.group(0), lexicon.drugs[m.group(0).lower()]) for m in lexicon.drug_pattern.finditer(text)
    ]


def names(text: str, lexicon: GroundingLexicon) -> list[str]:
    """Capitalised words that look like names of people or places, and acronyms."""
    out = []
    for match in _CAPITALISED.finditer(text):
        word = match.group(1)
        before = text[: match.start()].rstrip()
        sentence_start = not before or before[-1] in ".!?:;\n\"'(-—•*"
        lowered = word.lower().replace("’", "'")
        if lowered in lexicon.not_names or lowered in MONTHS or lowered in WEEKDAYS:
            continue
        if lowered in lexicon.drugs or (sentence_start and not word.isupper()):
            continue
        out.append(word)
    return out


def has_negation(text: str, lexicon: GroundingLexicon) -> str:
    """The first negation cue in `text`, or ''. A bound ("no more than five") is none."""
    lowered = text.lower().replace("’", "'")
    for bound in lexicon.number_bounds:
        if " " in bound and bound.split()[0] in lexicon.negation_cues:
            lowered = re.sub(rf"\b{re.escape(bound)}\b", " ", lowered)
    for word in tokens(lowered):
        if word in lexicon.negation_cues or word.endswith("n't"):
            return word
    for cue in lexicon.negation_cues:
        if " " in cue and cue in lowered:
            return cue
    return ""


_QUOTED = re.compile(r"[“\"][^”\"]+[”\"]")
# How far back a negation reaches over function words: "don't really sleep", "not to stop".
_NEGATION_REACH = 3
# How far back a sentence may carry it in other words: "has difficulty getting to sleep".
_WORDING_REACH = 4


def _is_negation(token: str, lexicon: GroundingLexicon) -> bool:
    return token in lexicon.negation_cues or token.endswith("n't")


def _negated_at(tokens_: Sequence[str], index: int, lexicon: GroundingLexicon) -> str:
    """The negation ruling the word at `index` ("don't ... stop"), or '': one of the few
    words just before it in its clause, with only function words or linking verbs between
    ("I don't feel suicidal"). A bare "no" must stand right before it ("no pain"): "No I
    take it" is an answer, then a statement. "Never been so tired" intensifies."""
    for back in range(index - 1, max(-1, index - 1 - _NEGATION_REACH), -1):
        token = tokens_[back]
        if token in ",.;:!?" or token in _INTENSIFIERS:
            return ""
        if _is_negation(token, lexicon) and (token != "no" or back == index - 1):
            return " ".join(tokens_[back : index + 1])
        if token.isalpha() and token not in STOPWORDS and token not in _LINKING_VERBS:
            return ""
    return ""


def _worded_negatively(tokens_: Sequence[str], index: int, lexicon: GroundingLexicon) -> bool:
    """Whether the sentence word at `index` is negated, plainly or in other words, before
    it ("unable to sleep") or after it in its clause ("Suicidal thoughts were denied",
    "sleep has been poor")."""
    if _negated_at(tokens_, index, lexicon):
        return True
    before = range(index - 1, max(-1, index - 1 - _WORDING_REACH), -1)
    after = range(index + 1, min(len(tokens_), index + 1 + _WORDING_REACH))
    for positions in (before, after):
        for position in positions:
            token = tokens_[position]
            if token in ",.;:!?":
                break
            if _is_negation(token, lexicon) or stem(token) in lexicon.negative_wording:
                return True
    return False


# Verbs a negation passes over to what they link: "I don't feel safe", "I'm not getting any".
_LINKING_VERBS = frozenset(
    {"feel", "feels", "felt", "feeling", "seem", "seems", "seemed", "look", "looks", "getting"}
)
# "I've never been so tired", "not as bad": a degree, not a denial.
_INTENSIFIERS = frozenset({"so", "as", "this", "that"})


def _content(token: str) -> bool:
    return token.isalpha() and len(token) > 2 and token not in STOPWORDS


def dropped_negations(sentence: str, cited: Sequence[str], lexicon: GroundingLexicon) -> list[str]:
    """What the cited lines say only negated and the sentence says without a negation:
    "don't stop" for "advised the patient to stop drinking". Questions are left out
    ("You don't drink?" / "A little"): their words are not what was said of anyone. A
    sentence quoting the lines ("The patient said “No plans, ...”") keeps their words."""
    if _QUOTED.search(sentence):
        return []
    negated: dict[str, str] = {}
    plain: set[str] = set()
    for line in cited:
        if "?" in line:
            continue
        said = tokens(line)
        for index, token in enumerate(said):
            if not _content(token) or token in _LINKING_VERBS:
                continue
            cue = _negated_at(said, index, lexicon)
            if cue:
                negated.setdefault(stem(token), cue)
            else:
                plain.add(stem(token))
    # A word said plainly too, in any spelling close to it ("worried" / "Don't worry"), is
    # no reversal.
    only_negated = {
        word: cue
        for word, cue in negated.items()
        if not process.extractOne(word, plain, scorer=fuzz.ratio, score_cutoff=80)
    }
    if not only_negated:
        return []
    written = tokens(sentence)
    found = []
    for index, token in enumerate(written):
        if not _content(token) or token in _LINKING_VERBS:
            continue
        if _worded_negatively(written, index, lexicon):
            continue
        word = stem(token)
        match = next((w for w in only_negated if w == word or _same_word(w, word)), None)
        if match is not None:
            found.append(only_negated[match])
    return list(dict.fromkeys(found))


def _same_word(a: str, b: str) -> bool:
    """Inflections the crude stemmer misses ("stopp(ing)" / "stop"), not other words."""
    shorter, longer = sorted((a, b), key=len)
    return len(shorter) >= 4 and longer.startswith(shorter) and len(longer) - len(shorter) <= 2


def _groups_in(text: str, pattern: re.Pattern[str] | None, groups: Mapping[str, str]) -> set[str]:
    if pattern is None:
        return set()
    return {groups[m.group(0).lower()] for m in pattern.finditer(text)}


def time_words_in(text: str, lexicon: GroundingLexicon) -> set[str]:
    """Time word groups said in `text` ("today", "next week")."""
    return _groups_in(text, lexicon.time_pattern, lexicon.time_words)


def judgements_in(text: str, lexicon: GroundingLexicon) -> set[str]:
    """Verdicts said in `text` ("normal", "as prescribed"), by group."""
    return _groups_in(text, lexicon.judgement_pattern, lexicon.judgements)


def people_in(text: str, lexicon: GroundingLexicon) -> set[str]:
    """Third parties named in `text` (sister, partner, GP), by group."""
    return _groups_in(text, lexicon.people_pattern, lexicon.people)


def findings_in(text: str, lexicon: GroundingLexicon) -> set[str]:
    """Symptoms and findings named in `text`, by group."""
    return {lexicon.findings[m.group(0).lower()] for m in lexicon.finding_pattern.finditer(text)}


def facts(
    text: str, lexicon: GroundingLexicon, actions: Mapping[str, Sequence[str]] | None = None
) -> set[str]:
    """The concrete facts `text` states, as comparable keys ("number 15", "drug sertraline").

    Numbers, drugs, days and months, time words, third parties, names, findings,
    and, if given, actions (name -> spellings: "refer" -> referral, referred).
    """
    lowered = text.lower()
    found = {f"number {q.value:g}" for q in quantities(text, lexicon)}
    found |= {f"drug {generic}" for _, generic in drug_names(text, lexicon)}
    found |= {f"day {singular_day(w)}" for w in tokens(text) if singular_day(w) in DATE_WORDS}
    found |= {f"time {group}" for group in time_words_in(text, lexicon)}
    found |= {f"person {group}" for group in people_in(text, lexicon)}
    found |= {f"name {name.lower()}" for name in names(text, lexicon)}
    found |= {f"finding {group}" for group in findings_in(text, lexicon)}
    found |= {
        f"action {action}"
        for action, spellings in (actions or {}).items()
        if any(phrase_said(spelling, lowered) for spelling in [action, *spellings])
    }
    return found


def singular_day(word: str) -> str:
    """ "saturdays" -> "saturday" (days and months only)."""
    return word[:-1] if word.endswith("s") and word[:-1] in DATE_WORDS else word


def phrase_said(phrase: str, lowered: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(phrase.lower())}(?![\w-])", lowered) is not None


# --- who did what --------------------------------------------------------------------
PATIENT = "patient"
CLINICIAN = "clinician"
SOMEONE_ELSE = "someone else"  # "her", "them": a person the words do not name


@dataclass(frozen=True)
class Attribution:
    """A content word of a text, who the text says did it, and to or for whom."""

    word: str  # lower case, as written
    stem: str
    doers: frozenset[str]  # person groups ("brother", "patient"); empty: no named doer
    # Who it is done to or for, right after it ("worry me", "a visit for her"); empty:
    # none named. SOMEONE_ELSE stands for any person group but the patient and clinician.
    receivers: frozenset[str] = frozenset()
    link: str = ""  # the word between it and its receiver ("for"), or ""
    receiver_text: str = ""  # the receiver as written ("her", "the patient")


@dataclass(frozen=True)
class _Piece:
    """A word or punctuation mark; or a whole mention of a person ("the patient", "mum's")."""

    text: str  # lower case, "’" as "'"
    people: frozenset[str] = frozenset()  # the person group, for a mention of a person
    possessive: bool = False  # "mum's boyfriend": names an owner, not a doer


_PIECE = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|\d+(?:[.,]\d+)*|[^\w\s]")


def attributions(
    text: str,
    lexicon: GroundingLexicon,
    *,
    speaker_role: str | None = None,
    others_present: bool = False,
) -> list[Attribution]:
    """Each content word of `text` with its doer and its receiver, as far as the words say.

    The doer is the nearest person named before the word in the same clause, as a subject
    ("Mum drove me home": "drove" is the mother's), at most ``actors.window`` words back: a
    group from ``people:`` or the patient. A pronoun or a person named as an object there
    ("home": after "me"), a passive ("was hit") or no person leaves it unnamed (empty);
    "by dad" after a passive names it. Word order, not grammar: when unsure, unnamed.
    The receiver is the person right after the word, or after one of ``object_links``
    ("worry me", "a visit for her").
    `speaker_role` is the role of a transcript line's speaker, None for a note sentence:
    "I" and "me" are the patient in a patient's line and the clinician in the clinician's,
    where "you" is the patient and "her" someone else, unless `others_present` (a third
    speaker in the session, who may be the one addressed or spoken of).
    """
    rules = lexicon.actors
    if rules.window <= 0:
        return []
    pieces = _pieces(text, lexicon, speaker_role=speaker_role, others_present=others_present)
    line = speaker_role is not None
    attributed = []
    for index, piece in enumerate(pieces):
        if not _is_content(piece, rules) or _describes_person(pieces, index, rules):
            continue
        receivers, link, receiver_text = _receiver(
            pieces, index, rules, line=line, others_present=others_present
        )
        attributed.append(
            Attribution(
                piece.text,
                # "goes", "went": one word, "go" (`compared_too`).
                rules.compared_too.get(piece.text) or stem(piece.text),
                _doers(pieces, index, rules, line=line, others_present=others_present),
                receivers,
                link,
                receiver_text,
            )
        )
    return attributed


def _pieces(
    text: str, lexicon: GroundingLexicon, *, speaker_role: str | None, others_present: bool
) -> list[_Piece]:
    """`text` as words and punctuation, each mention of a person one piece."""
    text = text.replace("’", "'")
    rules = lexicon.actors
    sources = [(lexicon.people_pattern, ""), (rules.patient_pattern, PATIENT)]
    if speaker_role is None:
        sources.append((rules.clinician_pattern, CLINICIAN))
    elif speaker_role in (PATIENT, CLINICIAN):
        sources.append((rules.speaking_pattern, speaker_role))
        if speaker_role == CLINICIAN and not others_present:
            sources.append((rules.addressed_pattern, PATIENT))
    named = [
        (m.start(), m.end(), group or lexicon.people[m.group(0).lower()])
        for pattern, group in sources
        if pattern is not None
        for m in pattern.finditer(text)
    ]
    spans: list[tuple[int, int, str]] = []
    for start, end, group in sorted(named, key=lambda s: (s[0], s[0] - s[1])):
        if not spans or start >= spans[-1][1]:  # the longer of two overlapping mentions
            spans.append((start, end, group))
    pieces: list[_Piece] = []
    taken = 0  # text before this is in a piece already
    for match in _PIECE.finditer(text):
        if match.start() < taken:
            continue
        span = next((s for s in spans if s[0] < match.end() and match.start() < s[1]), None)
        if span is None:
            pieces.append(_Piece(match.group(0).lower()))
            continue
        start, end, group = span
        after = text[end : end + 2]
        possessive = text[start:end].lower().endswith("'s") or after.lower() == "'s"
        possessive |= after[:1] == "'" and not after[1:2].isalpha()  # "parents'"
        pieces.append(_Piece(text[start:end].lower(), frozenset({group}), possessive))
        taken = end
    return pieces


_GENDERED_SUBJECTS = frozenset({"he", "she"})
_NOT_ONE_PERSON = frozenset({"us", "itself"})  # the speaker and others; a thing
_FIRST_PERSON_OBJECTS = frozenset({"me", "myself"})


def _receiver(
    pieces: Sequence[_Piece], index: int, rules: ActorRules, *, line: bool, others_present: bool
) -> tuple[frozenset[str], str, str]:
    """Who the word at `index` is done to or for, the link word, and the receiver as written.

    A note sentence's "them" or "her" is the patient or someone else; in a transcript line
    "her", "him" and "them" are someone else (the patient is "I" in their own line and "you"
    in the clinician's), unless a third speaker is present. "her" before a word ("her
    tablets") may be an owner: no receiver.
    """
    if pieces[index].text in rules.mutual:
        return frozenset(), "", ""
    k = index + 1
    link = ""
    if k < len(pieces) and pieces[k].text in rules.object_links and not pieces[k].people:
        link = pieces[k].text
        k += 1
    first = k  # "their mother": the receiver as written starts here
    while k < len(pieces) and not pieces[k].people and pieces[k].text in rules.determiners:
        if pieces[k].text in rules.object_pronouns and not _followed_by_name(pieces, k, rules):
            break  # "for her this Friday": "her" is the receiver
        k += 1
    if k >= len(pieces):
        return frozenset(), "", ""
    piece = pieces[k]
    written = " ".join(p.text for p in pieces[first : k + 1])
    if piece.people:
        if piece.possessive or (piece.text == "i"):
            return frozenset(), "", ""  # "for mum's sake": the owner; "I" is no object
        following = pieces[k + 1] if k + 1 < len(pieces) else None
        if (
            piece.text in rules.object_pronouns
            and following is not None
            and (following.people or _is_content(following, rules))
        ):
            return frozenset(), "", ""  # "worried about me mum": "me" as "my"
        return piece.people, link, written
    if piece.text not in rules.object_pronouns or piece.text in _NOT_ONE_PERSON:
        return frozenset(), "", ""
    if piece.text in rules.determiners and k + 1 < len(pieces) and _is_plain(pieces[k + 1], rules):
        return frozenset(), "", ""  # "gave her tablets": her tablets, or tablets to her
    if not line:
        # "me" in a note sentence is a slip the person check flags; "them" is anyone.
        if piece.text in _FIRST_PERSON_OBJECTS:
            return frozenset(), "", ""
        return frozenset({PATIENT, SOMEONE_ELSE}), link, written
    if others_present:
        return frozenset({PATIENT, SOMEONE_ELSE}), link, written
    return frozenset({SOMEONE_ELSE}), link, written


def _followed_by_name(pieces: Sequence[_Piece], k: int, rules: ActorRules) -> bool:
    """ "her mum", "her little brother": a determiner in front of a person."""
    rest = pieces[k + 1 : k + 3]
    if not rest:
        return False
    return bool(rest[0].people) or (
        len(rest) == 2 and _is_plain(rest[0], rules) and bool(rest[1].people)
    )


def may_be_the_same(first: frozenset[str], second: frozenset[str], rules: ActorRules) -> bool:
    """Whether two sets of people may name the same person: "her" may be the sister."""

    def widened(people: frozenset[str]) -> frozenset[str]:
        return people | rules.clinician_may_be if CLINICIAN in people else people

    def named_other(people: frozenset[str]) -> bool:
        return any(p not in (PATIENT, CLINICIAN) for p in people)

    return bool(widened(first) & widened(second)) or (
        (SOMEONE_ELSE in first and named_other(second))
        or (SOMEONE_ELSE in second and named_other(first))
    )


def _base(word: str) -> str:
    """ "he's" -> "he", "they're" -> "they": a contraction's pronoun."""
    return word.split("'")[0]


def _is_break(piece: _Piece, rules: ActorRules) -> bool:
    return not piece.people and piece.text in rules.clause_breaks


def _is_pronoun(piece: _Piece, rules: ActorRules) -> bool:
    return not piece.people and (
        _base(piece.text) in rules.subject_pronouns or piece.text in rules.object_pronouns
    )


def _is_modifier(piece: _Piece, rules: ActorRules) -> bool:
    """ "my", "the", "mum's": what may stand before a person named as a subject."""
    return piece.possessive or (not piece.people and piece.text in rules.determiners)


def _is_plain(piece: _Piece, rules: ActorRules) -> bool:
    """An ordinary word: not a person, pronoun, determiner, link or clause break."""
    lists = (rules.clause_breaks, rules.coordinators, rules.determiners)
    return (
        not piece.people
        and piece.text[:1].isalpha()
        and not _is_pronoun(piece, rules)
        and not any(piece.text in words for words in lists)
    )


def _is_content(piece: _Piece, rules: ActorRules) -> bool:
    """A word that says what was done or had (numbers have their own check)."""
    text = piece.text
    if text in rules.compared_too and _is_plain(piece, rules):
        return True  # "go" in "I can go to her": who goes matters
    return (
        _is_plain(piece, rules)
        and text.isalpha()
        and len(text) > 2
        and text not in STOPWORDS
        and text not in NUMBER_WORDS
        and text not in ORDINAL_WORDS
        and text not in MULTIPLIERS
        and text not in TIMES_WORDS
        and not any(text in words for words in (rules.passive, rules.agent, rules.shared))
    )


def _describes_person(pieces: Sequence[_Piece], index: int, rules: ActorRules) -> bool:
    """ "little" in "my little brother": part of the name of a person, not something done."""
    return (
        0 < index < len(pieces) - 1
        and bool(pieces[index + 1].people)
        and _is_modifier(pieces[index - 1], rules)
    )


def _doers(
    pieces: Sequence[_Piece],
    index: int,
    rules: ActorRules,
    *,
    line: bool = True,
    others_present: bool = False,
) -> frozenset[str]:
    """Who did the word at `index`: person groups, or empty when the words do not say.

    In a note sentence (`line` False) "he" or "she" is someone else: a note calls the
    patient "the patient", so "He keeps their bank card and asks for money" gives the
    asking to the grandson where the patient said "I have to ask him for money". So it is
    in a line of a two-person session: the patient says "I", the clinician "you", and a
    "she" is always a third person ("She's had three falls" of the patient's mother). With
    a third speaker (`others_present`) the clinician may say "she" of the patient.
    """
    if _is_passive(pieces, index, rules):
        # "I was shouted at by my mum": "by" names the doer; "I was hurt" does not.
        return _agent(pieces, index, rules)
    if _shared_after(pieces, index, rules):
        return frozenset()  # "my sister uses that one too": not only her
    linked = False  # "gets angry and hides": what comes before "and" is another thing done
    for j in range(index - 1, max(-1, index - rules.window - 2), -1):
        piece = pieces[j]
        if CLINICIAN in piece.people:
            return frozenset()  # never compared as a doer (see ``actors.clinician``)
        if piece.people:
            if piece.possessive:
                continue  # "mum's boyfriend": an owner, not a doer
            subject = _as_subject(pieces, j, rules)
            return subject | _partners_after(pieces, index, rules) if subject else subject
        if piece.text in _GENDERED_SUBJECTS and not (line and others_present):
            return frozenset({SOMEONE_ELSE})
        if _is_break(piece, rules) or _base(piece.text) in rules.subject_pronouns:
            return frozenset()  # another clause, or someone the words do not name
        if piece.text in rules.shared:
            return frozenset()  # "my sister also uses it"
        if piece.text in rules.coordinators:
            linked = True
        elif piece.text in rules.passive and not linked:
            return frozenset()  # "Mum is not in good shape": said of her, not done by her
    return frozenset()


def _is_passive(pieces: Sequence[_Piece], index: int, rules: ActorRules) -> bool:
    """ "was hit", "got badly hurt": the subject may be the one it was done to.

    "is hiding" is not: the subject does it.
    """
    if pieces[index].text.endswith("ing"):
        return False
    before = [p.text for p in pieces[max(0, index - 2) : index]]
    return bool(before) and (
        before[-1] in rules.passive
        or (len(before) == 2 and before[0] in rules.passive and _is_plain(pieces[index - 1], rules))
    )


def _rest_of_clause(pieces: Sequence[_Piece], index: int, rules: ActorRules) -> list[_Piece]:
    """The pieces after `index` up to the next punctuation that ends a clause."""
    rest = []
    for piece in pieces[index + 1 :]:
        if not piece.text[:1].isalpha() and _is_break(piece, rules):
            break
        rest.append(piece)
    return rest


def _shared_after(pieces: Sequence[_Piece], index: int, rules: ActorRules) -> bool:
    """ "too", "as well" later in the clause: someone else did it as well."""
    rest = [piece.text for piece in _rest_of_clause(pieces, index, rules)]
    pairs = [f"{a} {b}" for a, b in pairwise(rest)]
    return any(text in rules.shared for text in [*rest, *pairs])


def _partners_after(pieces: Sequence[_Piece], index: int, rules: ActorRules) -> frozenset[str]:
    """Who the word was done together with: "I share a room with my brother" (brother)."""
    rest = _rest_of_clause(pieces, index, rules)[: rules.window + 1]
    partners: set[str] = set()
    for k, piece in enumerate(rest):
        if piece.text not in rules.together:
            continue
        following = [p for p in rest[k + 1 :] if not _is_modifier(p, rules)]
        if following and following[0].people:
            partners |= following[0].people
    return frozenset(partners)


def _modifiers_before(pieces: Sequence[_Piece], index: int, rules: ActorRules) -> int:
    """Index of the piece before "my", "the patient's", "my little" in front of `index`."""
    k = index - 1
    if k >= 1 and _is_plain(pieces[k], rules) and _is_modifier(pieces[k - 1], rules):
        k -= 1  # "my little brother"; in "hit my brother", "hit" is no adjective
    while k >= 0 and _is_modifier(pieces[k], rules):
        k -= 1
    return k


def _as_subject(pieces: Sequence[_Piece], index: int, rules: ActorRules) -> frozenset[str]:
    """The groups the person at `index` names if it starts a clause ("and my brother hides"),
    with its partner in "Mum and her boyfriend"; else empty.

    Empty for an object: in "Mum drove the patient home" the subject drove, in "feels their
    brother hides" the object hides, and the words alone do not tell which. Empty too for a
    pronoun partner ("she and her boyfriend": who she is, is not said).
    """
    person = pieces[index].people
    k = _modifiers_before(pieces, index, rules)
    if k < 0 or _is_break(pieces[k], rules):
        return person
    if pieces[k].text not in rules.coordinators:
        return frozenset()
    partner = pieces[k - 1] if k else None
    if partner is None or not (partner.people or _is_pronoun(partner, rules)):
        return person  # "angry and my little brother hides": a new clause
    if not partner.people or partner.possessive:
        return frozenset()
    shared = _as_subject(pieces, k - 1, rules)  # "Dad hit Mum and my brother": both objects
    return shared | person if shared else frozenset()


def _agent(pieces: Sequence[_Piece], index: int, rules: ActorRules) -> frozenset[str]:
    """The doer named by "by" just after a passive word ("shouted at by my mum"), if any."""
    for j in range(index + 1, min(len(pieces), index + 3)):
        if _is_break(pieces[j], rules):
            break
        if pieces[j].text not in rules.agent:
            continue
        k = j + 1
        while k < len(pieces) and _is_modifier(pieces[k], rules):
            k += 1
        if k + 1 < len(pieces) and _is_plain(pieces[k], rules) and pieces[k + 1].people:
            k += 1  # "by my older sister"
        if k >= len(pieces) or not pieces[k].people or pieces[k].possessive:
            break
        doers = pieces[k].people
        if k + 1 < len(pieces) and pieces[k + 1].text in rules.coordinators:
            k += 2  # "by Mum and her boyfriend"
            while k < len(pieces) and _is_modifier(pieces[k], rules):
                k += 1
            if k < len(pieces) and pieces[k].people:
                doers |= pieces[k].people
        return doers
    return frozenset()

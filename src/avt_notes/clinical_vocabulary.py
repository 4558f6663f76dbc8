"""Clinical vocabulary after recognition: misheard drug names put back, what was heard kept.

Whisper base writes drug names it does not know as English-looking guesses
("trimethoperin", "approxon", "cocoa down all"). Biasing the decoder with the
lexicon was measured harmful (config.py `asr_hotwords`), so this module
corrects afterwards: for each span of one to three recognised words it finds
the lexicon term (`prompts/drugs.yaml` generics and brands,
`prompts/asr_vocabulary.txt`) it sounds and looks most like, and rewrites the
span only when

- the similarity (mean of a letter ratio and a Metaphone-key ratio, both
  rapidfuzz `ratio`) reaches `min_similarity`, and beats the best term of any
  *other* drug by `min_margin` (a near tie between two drugs is not resolved by
  guessing: a wrong drug is a medication error);
- the span holds a word that is not common English (`prompts/english_words.txt`,
  from wordfreq) and whose recogniser probability is below `max_probability`;
  a span of common words only ("murder nap") needs two or more words, one of
  them below `common_max_probability`, and the stricter `common_min_similarity`.
  A single common word is never rewritten, nor is any word already in the lexicon.
- a span of two or three words that spells a one-word term exactly ("safe guarding",
  "co codamol") is always joined into it: the letters do not change.

The rewritten word keeps what was heard (`Word.heard`) and the recogniser's
lowest probability over the span, and the review page marks it. Everything
here is pure except `load_lexicon`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jellyfish
import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from avt_notes.config import Settings
from avt_notes.schemas import Word

DRUGS_FILE = "drugs.yaml"
VOCABULARY_FILE = "asr_vocabulary.txt"
COMMON_WORDS_FILE = "english_words.txt"
MIN_TERM_LETTERS = 5  # "hrt", "e45": too short to tell from ordinary speech by sound
MAX_SPAN = 3
_CORE = re.compile(r"^([^A-Za-z]*)([A-Za-z][A-Za-z'-]*?)([^A-Za-z]*)$")
_SENTENCE_END = (",", ".", "?", "!", ";", ":")


class Term(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str  # as written in the lexicon, e.g. "co-codamol"
    group: str  # the generic name: spellings and brands of one drug share it
    letters: str
    key: str


class Lexicon(BaseModel):
    model_config = ConfigDict(frozen=True)

    terms: tuple[Term, ...]
    common: frozenset[str]  # lower-case common English words

    @property
    def known(self) -> frozenset[str]:
        return frozenset(t.letters for t in self.terms)


class VocabularyRules(BaseModel):
    """Thresholds (calibrated with benchmarks/vocabulary.py on the calibration part)."""

    min_similarity: float = 0.8
    min_margin: float = 0.05
    max_probability: float = 1.0
    common_min_similarity: float = 1.01  # above 1: spans of common words are never rewritten
    common_max_probability: float = 0.5


def rules_from(settings: Settings) -> VocabularyRules:
    d = settings.decoding
    return VocabularyRules(
        min_similarity=d.asr_vocabulary_min_similarity,
        min_margin=d.asr_vocabulary_min_margin,
        max_probability=d.asr_vocabulary_max_probability,
        common_min_similarity=d.asr_vocabulary_common_min_similarity,
        common_max_probability=d.asr_low_probability,
    )


class Correction(BaseModel):
    start: int  # index of the first word of the span
    end: int  # one past the last word
    term: Term
    heard: str
    similarity: float
    runner_up: float  # best similarity among other drugs' terms


def letters(text: str) -> str:
    return "".join(c for c in text.lower() if "a" <= c <= "z")


def phonetic_key(text: str) -> str:
    return str(jellyfish.metaphone(letters(text))) if letters(text) else ""


def make_term(text: str, group: str) -> Term:
    return Term(text=text, group=group, letters=letters(text), key=phonetic_key(text))


def build_lexicon(
    drugs: dict[str, list[str]], vocabulary: Sequence[str], common: Sequence[str]
) -> Lexicon:
    """A lexicon from drug groups (generic -> brands), clinical terms and common words."""
    terms = [
        make_term(name, generic) for generic, brands in drugs.items() for name in [generic, *brands]
    ]
    terms += [make_term(term, term) for term in vocabulary]
    kept = tuple(t for t in terms if len(t.letters) >= MIN_TERM_LETTERS)
    return Lexicon(terms=kept, common=frozenset(w.lower() for w in common))


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@lru_cache(maxsize=4)
def load_lexicon(prompts_dir: Path) -> Lexicon:
    """The lexicon from `prompts_dir` (drugs.yaml, asr_vocabulary.txt, english_words.txt)."""
    drugs = yaml.safe_load((prompts_dir / DRUGS_FILE).read_text(encoding="utf-8"))["drugs"]
    return build_lexicon(
        {str(k): [str(b) for b in v or []] for k, v in drugs.items()},
        _lines(prompts_dir / VOCABULARY_FILE),
        _lines(prompts_dir / COMMON_WORDS_FILE),
    )


def _core(text: str) -> str | None:
    """The word without surrounding punctuation, or None if it is not a plain word."""
    match = _CORE.match(text)
    return match.group(2) if match else None


def _is_common(core: str, lexicon: Lexicon) -> bool:
    if "'" in core:
        return True  # contractions ("couldn't") are English, whatever the list splits them into
    parts = [p for p in re.split(r"[-']", core.lower()) if p]
    return bool(parts) and all(p in lexicon.common for p in parts)


def _spans(
    words: Sequence[Word], lexicon: Lexicon, rules: VocabularyRules
) -> list[tuple[int, int]]:
    """Spans of 1-3 plain words within a phrase that the rules allow to be rewritten."""
    cores = [_core(w.text) for w in words]
    known = lexicon.known
    spans = []
    for start in range(len(words)):
        for end in range(start + 1, min(start + MAX_SPAN, len(words)) + 1):
            span = range(start, end)
            if any(cores[i] is None for i in span):
                break
            plain = [cores[i] or "" for i in span]
            parts = [
                letters("".join(plain[a : b + 1]))
                for a in range(len(plain))
                for b in range(a, len(plain))
            ]
            if any(part in known for part in parts):
                break  # never overwrite a lexicon term ("ferrous fumarate") nor join one
            if end - start > 1 and words[end - 2].text.endswith(_SENTENCE_END):
                break  # a span does not cross a comma or a sentence end
            if words[start].text.startswith("-") or (
                end < len(words) and words[end].text.startswith("-")
            ):
                continue  # "eye -trites": a fragment is rewritten with its whole word or not at all
            probabilities = [words[i].probability for i in span]
            rare = [i for i in span if not _is_common(cores[i] or "", lexicon)]
            if rare:
                if min(words[i].probability for i in rare) < rules.max_probability:
                    spans.append((start, end))
            elif end - start > 1 and min(probabilities) < rules.common_max_probability:
                spans.append((start, end))
    return spans


def _split_terms(words: Sequence[Word], lexicon: Lexicon) -> list[Correction]:
    """Spans that spell a one-word term in pieces ("safe guarding", "co codamol").

    The letters are the term's exactly, so joining them changes no sound, only lets
    the grounding rules and the reader see the term.
    """
    whole: dict[str, Term] = {}
    for t in lexicon.terms:  # the generic's spelling first ("co-codamol", not "cocodamol")
        if " " not in t.text and (t.letters not in whole or t.text == t.group):
            whole[t.letters] = t
    cores = [_core(w.text) for w in words]
    found = []
    for start in range(len(words)):
        for end in range(start + 2, min(start + MAX_SPAN, len(words)) + 1):
            plain = cores[start:end]
            if any(c is None for c in plain) or words[end - 2].text.endswith(_SENTENCE_END):
                break
            term = whole.get(letters("".join(c or "" for c in plain)))
            if term is not None:
                heard = " ".join(w.text for w in words[start:end])
                found.append(
                    Correction(
                        start=start, end=end, term=term, heard=heard, similarity=1.0, runner_up=0.0
                    )
                )
    return found


def propose(words: Sequence[Word], lexicon: Lexicon, rules: VocabularyRules) -> list[Correction]:
    """Non-overlapping corrections for `words`, most similar first (see module docstring)."""
    spans = _spans(words, lexicon, rules)
    if not lexicon.terms:
        return []
    candidates: list[Correction] = _split_terms(words, lexicon)
    if not spans:
        return _non_overlapping(candidates)
    heard = [" ".join(_core(w.text) or "" for w in words[s:e]) for s, e in spans]
    letter_scores = cdist(
        [letters(h) for h in heard], [t.letters for t in lexicon.terms], scorer=fuzz.ratio
    )
    key_scores = cdist(
        [phonetic_key(h) for h in heard], [t.key for t in lexicon.terms], scorer=fuzz.ratio
    )
    scores = (np.asarray(letter_scores) + np.asarray(key_scores)) / 200.0
    groups = [t.group for t in lexicon.terms]
    for row, (start, end) in enumerate(spans):
        best = int(np.argmax(scores[row]))
        term = lexicon.terms[best]
        others = [s for s, g in zip(scores[row], groups, strict=True) if g != term.group]
        runner_up = float(max(others, default=0.0))
        similarity = float(scores[row][best])
        common_only = all(_is_common(_core(w.text) or "", lexicon) for w in words[start:end])
        needed = rules.common_min_similarity if common_only else rules.min_similarity
        if similarity >= needed and similarity - runner_up >= rules.min_margin:
            candidates.append(
                Correction(
                    start=start,
                    end=end,
                    term=term,
                    heard=" ".join(w.text for w in words[start:end]),
                    similarity=round(similarity, 4),
                    runner_up=round(runner_up, 4),
                )
            )
    return _non_overlapping(candidates)


def _non_overlapping(candidates: Sequence[Correction]) -> list[Correction]:
    """The most similar corrections that share no word, in word order."""
    chosen: list[Correction] = []
    taken: set[int] = set()
    for c in sorted(candidates, key=lambda c: (-c.similarity, c.end - c.start)):
        if not taken.intersection(range(c.start, c.end)):
            chosen.append(c)
            taken.update(range(c.start, c.end))
    return sorted(chosen, key=lambda c: c.start)


def apply(words: Sequence[Word], corrections: Sequence[Correction]) -> list[Word]:
    """`words` with each corrected span replaced by one word that keeps what was heard."""
    out: list[Word] = []
    position = 0
    for c in corrections:
        out += words[position : c.start]
        span = words[c.start : c.end]
        first, last = span[0], span[-1]
        match = _CORE.match(last.text)
        trailing = match.group(3) if match else ""
        text = c.term.text
        if first.text[:1].isupper():
            text = text[:1].upper() + text[1:]
        out.append(
            Word(
                text=text + trailing,
                start=first.start,
                end=last.end,
                probability=min(w.probability for w in span),
                heard=c.heard,
            )
        )
        position = c.end
    return out + list(words[position:])


def correct_words(words: Sequence[Word], lexicon: Lexicon, rules: VocabularyRules) -> list[Word]:
    """Recognised words with misheard clinical terms rewritten (and what was heard kept)."""
    return apply(words, propose(words, lexicon, rules))

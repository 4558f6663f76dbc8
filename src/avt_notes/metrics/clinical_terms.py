"""Word error rate restricted to clinical terms (drug names, symptoms, conditions).

Overall WER weighs "the" and "amoxicillin" alike, but a note drafted from a
transcript that heard "amlodipine" as "amitriptyline" is wrong where it matters.
So the benchmark scores the words of a versioned term list
(`bench/clinical_terms.txt`) separately.

Definition (version `clinical-terms-2` of the list, `avt-en-2` normaliser):
both texts are normalised with `metrics.asr.normalise`, spelling variants the
list declares (`diarrhoea | diarrhea`) are rewritten to the canonical form, and
the texts are aligned word by word with jiwer (the same alignment as WER). Term
occurrences are found in each text, longest match first, without overlap. Then

- a reference term word aligned to anything but the identical word is an error
  (substituted or deleted);
- a hypothesis term word that is inserted, or that replaces a reference word
  which is not a term word, is an error too (a drug name that was never said);
- clinical-term WER = errors / reference term words.

A term occurrence is *recognised* when every one of its words is aligned to the
identical word; `recall` is the share of reference occurrences recognised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jiwer

from avt_notes.errors import ConfigError
from avt_notes.metrics.asr import normalise

TERMS_FILE = Path(__file__).resolve().parents[1] / "bench" / "clinical_terms.txt"


@dataclass(frozen=True)
class TermList:
    """Normalised terms as word tuples (every spelling), each mapped to its canonical form."""

    version: str
    canonical: dict[tuple[str, ...], tuple[str, ...]]
    longest: int

    @property
    def terms(self) -> frozenset[tuple[str, ...]]:
        return frozenset(self.canonical)

    def __len__(self) -> int:
        return len(set(self.canonical.values()))


def parse_terms(text: str, default_version: str = "unversioned") -> TermList:
    """A term list from file text: one term per line (variants split by `|`), `#` comments,
    and a `# version: X` line."""
    version = default_version
    canonical: dict[tuple[str, ...], tuple[str, ...]] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            key, _, value = stripped.lstrip("#").strip().partition(":")
            if key.strip().lower() == "version" and value.strip():
                version = value.strip()
            continue
        variants = [tuple(normalise(v).split()) for v in stripped.split("|")]
        variants = [v for v in variants if v]
        for variant in variants:
            canonical[variant] = variants[0]
    if not canonical:
        raise ConfigError("the clinical term list holds no terms")
    return TermList(version, canonical, max(len(t) for t in canonical))


@lru_cache(maxsize=8)
def load_terms(path: Path | None = None) -> TermList:
    """The term list at `path` (default: the shipped `bench/clinical_terms.txt`)."""
    path = path or TERMS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read the clinical term list {path}: {error}") from error
    return parse_terms(text)


def find_terms(words: Sequence[str], terms: TermList) -> list[tuple[int, int, str]]:
    """Term occurrences in normalised `words` as (start, end, term), longest match first."""
    found: list[tuple[int, int, str]] = []
    index = 0
    while index < len(words):
        for length in range(min(terms.longest, len(words) - index), 0, -1):
            candidate = tuple(words[index : index + length])
            if candidate in terms.canonical:
                found.append((index, index + length, " ".join(candidate)))
                index += length
                break
        else:
            index += 1
    return found


def canonical_words(words: Sequence[str], terms: TermList) -> list[str]:
    """`words` with every spelling variant of a term rewritten to its canonical form."""
    out: list[str] = []
    position = 0
    for start, end, _term in find_terms(words, terms):
        out += words[position:start]
        out += terms.canonical[tuple(words[start:end])]
        position = end
    return out + list(words[position:])


@dataclass(frozen=True)
class TermErrors:
    """Clinical-term errors of one hypothesis against one reference (poolable by summing)."""

    reference_terms: int  # term occurrences in the reference
    recognised_terms: int  # of those, every word aligned to the identical word
    reference_words: int  # words inside reference term occurrences
    errors: int  # substituted/deleted term words + inserted/replacing hypothesis term words
    false_terms: int  # the hypothesis-side part of `errors`
    missed: tuple[str, ...] = field(default=())  # reference terms not recognised
    version: str = ""

    @property
    def wer(self) -> float | None:
        """Errors per reference term word; None when the reference has no term."""
        if self.reference_words == 0:
            return None
        return self.errors / self.reference_words

    @property
    def recall(self) -> float | None:
        if self.reference_terms == 0:
            return None
        return self.recognised_terms / self.reference_terms


def term_errors(reference: str, hypothesis: str, terms: TermList | None = None) -> TermErrors:
    """Clinical-term errors of `hypothesis` against `reference` (see module docstring)."""
    terms = terms or load_terms()
    ref_words = canonical_words(normalise(reference).split(), terms)
    hyp_words = canonical_words(normalise(hypothesis).split(), terms)
    ref_spans = find_terms(ref_words, terms)
    hyp_spans = find_terms(hyp_words, terms)
    ref_term = [False] * len(ref_words)
    for start, end, _ in ref_spans:
        ref_term[start:end] = [True] * (end - start)
    hyp_term = [False] * len(hyp_words)
    for start, end, _ in hyp_spans:
        hyp_term[start:end] = [True] * (end - start)

    ref_ok = [False] * len(ref_words)  # aligned to the identical word
    false_terms = 0
    if ref_words:
        chunks = jiwer.process_words(" ".join(ref_words), " ".join(hyp_words)).alignments[0]
    else:
        chunks = []
        false_terms = sum(hyp_term)
    for chunk in chunks:
        if chunk.type == "equal":
            ref_ok[chunk.ref_start_idx : chunk.ref_end_idx] = [True] * (
                chunk.ref_end_idx - chunk.ref_start_idx
            )
        elif chunk.type == "insert":
            false_terms += sum(hyp_term[chunk.hyp_start_idx : chunk.hyp_end_idx])
        elif chunk.type == "substitute":
            for offset in range(chunk.ref_end_idx - chunk.ref_start_idx):
                if (
                    hyp_term[chunk.hyp_start_idx + offset]
                    and not ref_term[chunk.ref_start_idx + offset]
                ):
                    false_terms += 1

    term_words = sum(ref_term)
    missed_words = sum(
        1 for is_term, ok in zip(ref_term, ref_ok, strict=True) if is_term and not ok
    )
    missed = tuple(term for start, end, term in ref_spans if not all(ref_ok[start:end]))
    return TermErrors(
        reference_terms=len(ref_spans),
        recognised_terms=len(ref_spans) - len(missed),
        reference_words=term_words,
        errors=missed_words + false_terms,
        false_terms=false_terms,
        missed=missed,
        version=terms.version,
    )

"""What the model sees and how its answer is read back.

Two drafting strategies share these helpers:

- **compose** (capable models): the model gets a chunk of numbered utterances
  (``u0012 Patient: ...``) and writes a section, ending each sentence with the
  ids it rests on; `parse_sentences` reads the sentences and their ids back.
- **extract** (small models such as the 135M default, which copy examples and
  loop when asked to compose): the utterances most likely to belong to each
  section are chosen deterministically from the template's focus hints
  (`select_units`), a question is kept with the answer it gets, and the model
  only restates each chosen exchange as one sentence. The evidence is then the
  exchange itself, so every sentence has ids by construction.

Reading is lenient (bullets, numbering, ``(u3)``, ``[u0003; u0007]``, ids at the
start of a line) because a weak model's format drifts; nothing the model wrote
is dropped except headings and the template's "nothing recorded" text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from avt_notes.drafting.templates import TemplateSection
from avt_notes.grounding import content_words, stem
from avt_notes.schemas import CLINICIAN, PATIENT, Utterance

_CITATION = re.compile(r"[\[(]\s*((?:u\s?\d+\s*[,;&/]?\s*(?:and\s*)?)+)[\])]", re.IGNORECASE)
_LEADING_IDS = re.compile(r"^((?:u\d+\s*[,;:]?\s*)+)(?=\S)", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•·]+|\d+[.)]|#+)\s*")
_ROLE_PREFIX = re.compile(r"^(?:clinician|patient|doctor|client|speaker[ _]?\w*)\s*:\s*", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'A-Z0-9])")
_ID = re.compile(r"u\s?(\d+)", re.IGNORECASE)
_ECHOED_LINE = re.compile(r"\bu\d{3,}\s*(?:(?:clinician|patient|client|doctor)\s*)?:?\s*", re.I)
MIN_UNIT_SCORE = 3.0


@dataclass
class ParsedSentence:
    text: str
    ids: list[str]


def role_label(utterance: Utterance) -> str:
    if utterance.role in (CLINICIAN, PATIENT):
        return utterance.role.capitalize()
    return utterance.role or utterance.speaker


_FILLER = re.compile(
    r"(?<![\w'’-])(?:um+|uh+|erm+|er|hmm+|mm+|uh-huh|y'know)(?![\w'’-])[,.]?\s*", re.I
)
_STUTTER = re.compile(r"\b(\w+)(?:[,\s]+\1\b)+", re.IGNORECASE)


def spoken_to_written(text: str) -> str:
    """Drop fillers (um, uh, er) and stutters ("I I") that make a small model ramble."""
    text = _STUTTER.sub(r"\1", _FILLER.sub("", text))
    text = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(text.split()))
    text = re.sub(r"^[,.;:\s]+|(?<=[,.;:!?])[,.;:]+", "", text)
    return text[:1].upper() + text[1:] if text else text


def utterance_line(utterance: Utterance) -> str:
    """``u0012 Patient: text`` — the form every prompt shows utterances in (fillers removed)."""
    text = spoken_to_written(utterance.text) or " ".join(utterance.text.split())
    return f"{utterance.id} {role_label(utterance)}: {text}"


def normalise_id(raw: str, known: set[str]) -> str:
    """``u3``/``U003`` -> ``u0003`` when that id exists; otherwise the raw id, lower-cased."""
    match = _ID.fullmatch(raw.strip())
    if not match:
        return raw.strip().lower()
    number = int(match.group(1))
    for width in (4, 3, 5, 6):
        candidate = f"u{number:0{width}d}"
        if candidate in known:
            return candidate
    return f"u{number:04d}"


def _ids_in(text: str, known: set[str]) -> list[str]:
    return list(dict.fromkeys(normalise_id(m.group(0), known) for m in _ID.finditer(text)))


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _is_empty_text(text: str, empty_text: str) -> bool:
    def simplify(value: str) -> str:
        return re.sub(r"[^a-z ]", "", value.lower()).strip()

    # "Not discussed in this session." is the empty text too; "Not discussed: X" is not.
    simple, empty = simplify(text), simplify(empty_text)
    return bool(empty) and (simple == empty or (simple.startswith(empty) and ":" not in text))


def _clean(text: str) -> str:
    text = text.strip().strip("*_`").strip()
    text = _ROLE_PREFIX.sub("", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    text = " ".join(text.split())
    if text and text[-1] not in ".!?…":
        text = text.rstrip(",;:") + "."
    return text


def parse_sentences(
    output: str, known_ids: set[str], *, empty_text: str = "", section_names: Sequence[str] = ()
) -> list[ParsedSentence]:
    """Sentences and their cited ids from a model's answer (compose strategy)."""
    headings = {n.casefold() for n in section_names}
    result: list[ParsedSentence] = []
    for raw_line in output.splitlines():
        line = _BULLET.sub("", raw_line).strip()
        bare = line.strip("*_#: ").casefold()
        if not line or bare in headings or _is_empty_text(line, empty_text):
            continue
        leading: list[str] = []
        lead = _LEADING_IDS.match(line)
        if lead:
            leading = _ids_in(lead.group(1), known_ids)
            line = line[lead.end() :].lstrip(":- ")
        pending = _cited_sentences(line, known_ids)
        for sentence in pending:
            if leading and not sentence.ids:
                sentence.ids = list(leading)
        result += [
            s
            for s in pending
            if re.search(r"[A-Za-z]", s.text) and not _is_empty_text(s.text, empty_text)
        ]
    return result


def _cited_sentences(line: str, known_ids: set[str]) -> list[ParsedSentence]:
    """The sentences of one line, each with the ids cited inside it or right after it.

    Citations are cut out before splitting: a model citing each item of a list
    ("loose stool [u0005], diarrhoea [u0006] and vomiting [u0017].") wrote one
    sentence, not three fragments starting with a comma. A citation followed by
    a capital letter still ends a sentence the model left without a full stop
    ("Has a cough [u0001] Denies fever [u0002]").
    """
    text = ""
    cited: list[tuple[int, list[str]]] = []  # (position in `text`, ids)
    forced: list[int] = []  # sentence ends marked only by a citation
    position = 0
    for citation in _CITATION.finditer(line):
        text += line[position : citation.start()]
        at = len(text.rstrip())
        cited.append((at, _ids_in(citation.group(1), known_ids)))
        before = text.rstrip()
        if re.match(r"\s*[\"'A-Z]", line[citation.end() :]) and not re.search(
            r"(?:[,;:(]|\b(?:and|or|with|of|to))$", before, re.IGNORECASE
        ):
            forced.append(at)
        position = citation.end()
    text += line[position:]
    bounds = sorted(
        [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
        + [(at, at) for at in forced if at < len(text.rstrip())]
    )
    sentences: list[tuple[int, int]] = []  # spans in `text`
    start = 0
    for begin, end in bounds:
        if begin >= start:
            sentences.append((start, begin))
            start = end
    sentences.append((start, len(text)))
    parsed: list[ParsedSentence] = []
    for index, (begin, end) in enumerate(sentences):
        # A citation belongs to the sentence it sits in or ends, or follows (before the next).
        until = sentences[index + 1][0] if index + 1 < len(sentences) else len(text) + 1
        ids = [i for at, found in cited if begin < at <= until or at == begin == 0 for i in found]
        if text[begin:end].strip():
            parsed.append(ParsedSentence(_clean(text[begin:end]), list(dict.fromkeys(ids))))
        elif ids and parsed:
            parsed[-1].ids = list(dict.fromkeys(parsed[-1].ids + ids))
    return parsed


def parse_rewrite(output: str, unit: Sequence[Utterance], empty_text: str = "") -> list[str]:
    """Sentences of a restatement (extract strategy); ids and role prefixes removed."""
    known = {u.id for u in unit}
    # A weak model may echo the prompt's line form ("u0040 Clinician: ..."); keep the words.
    output = _ECHOED_LINE.sub("", output)
    sentences = []
    for item in parse_sentences(output, known, empty_text=empty_text):
        text = _CITATION.sub("", item.text).strip()
        if text:
            sentences.append(text)
    return sentences


# --- extract strategy: choosing what each section restates --------------------------


def is_question(utterances: Sequence[Utterance], index: int) -> bool:
    """Whether line `index` asks something (its facts are context, not news).

    A patient's reply to a question is an answer even when it ends in "?":
    recognition writes a rising voice that way ("Once, three years ago?").
    """
    utterance = utterances[index]
    if "?" not in utterance.text:
        return False
    previous = utterances[index - 1] if index else None
    replies = (
        utterance.role == "patient"
        and previous is not None
        and previous.speaker != utterance.speaker
        and "?" in previous.text
    )
    return not replies


def exchange_units(utterances: Sequence[Utterance]) -> list[list[Utterance]]:
    """Answers joined to the question before them; bare questions and fillers left out."""
    units: list[list[Utterance]] = []
    for index, utterance in enumerate(utterances):
        if is_question(utterances, index):
            continue  # a question is only evidence together with its answer
        previous = utterances[index - 1] if index else None
        asked = (
            previous is not None
            and previous.speaker != utterance.speaker
            and is_question(utterances, index - 1)
        )
        unit = [previous, utterance] if asked and previous is not None else [utterance]
        # An answer to a question carries meaning even when short ("Any fever?" / "No.").
        needed = 1 if len(unit) == 2 else 3
        if len(content_words(" ".join(u.text for u in unit))) >= needed:
            units.append(unit)
    return units


def section_fit(unit: Sequence[Utterance], section: TemplateSection, position: float) -> float:
    """Keyword hits, speaker role and place in the session; `position` is 0..1 in time."""
    text = " ".join(u.text for u in unit).lower()
    words = set(content_words(text)) | {w for w in re.findall(r"[a-z']+", text)}
    hits = 0
    for keyword in section.focus.keywords:
        keyword = keyword.lower()
        if " " in keyword or "'" in keyword:
            hits += keyword in text
        else:
            hits += keyword in words or stem(keyword) in words
    role = 2.5 if unit[-1].role in section.focus.roles else 0.0
    where = section.focus.where
    place = (
        1.0
        if (where == "early" and position < 0.5) or (where == "late" and position >= 0.5)
        else 0.0
    )
    richness = min(len(content_words(text)), 12) / 12
    return 1.5 * min(hits, 3) + role + place + richness


def select_units(
    utterances: Sequence[Utterance], sections: Sequence[TemplateSection], per_section: int
) -> dict[str, list[list[Utterance]]]:
    """For each section, up to `per_section` exchanges (time order), each used once."""
    chosen: dict[str, list[tuple[float, list[Utterance]]]] = {s.name: [] for s in sections}
    if not utterances:
        return {s.name: [] for s in sections}
    first, last = utterances[0].start, max(u.end for u in utterances)
    span = max(last - first, 1e-6)
    for unit in exchange_units(utterances):
        position = (unit[-1].start - first) / span
        scores = [(section_fit(unit, s, position), -i, s.name) for i, s in enumerate(sections)]
        best, _, name = max(scores)
        if best >= MIN_UNIT_SCORE:
            chosen[name].append((best, unit))
    selected: dict[str, list[list[Utterance]]] = {}
    for name, scored in chosen.items():
        top = sorted(scored, key=lambda item: (-item[0], item[1][0].start))[:per_section]
        selected[name] = [unit for _, unit in sorted(top, key=lambda item: item[1][0].start)]
    return selected

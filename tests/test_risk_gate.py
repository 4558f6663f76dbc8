"""The pattern gate: the substring test before the regexes never drops a pattern that matches."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from avt_notes.risk.lexicon import literal_needs, load_lexicon
from avt_notes.risk.sounds import read_soundalikes

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "benchmarks" / "risk_data" / "labelled.jsonl"
SESSIONS = ROOT / "benchmarks" / "safety" / "sessions"
SAMPLE = Path(__file__).parent / "data" / "risk" / "sample.jsonl"


def _texts() -> list[str]:
    """Every text the benchmarks score: as recognised and as written, questions and sessions."""
    texts: list[str] = []
    for path in (LABELLED, SAMPLE):
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                texts += [row.get(k) or "" for k in ("text", "source", "question")]
                texts.append(row.get("question_source") or "")
    for path in sorted(SESSIONS.glob("*.yaml")):
        texts += [t["text"] for t in yaml.safe_load(path.read_text(encoding="utf-8"))["turns"]]
    return [t for t in dict.fromkeys(texts) if t]


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


def test_gate_keeps_every_pattern_that_matches(lexicon):
    texts = _texts()
    assert len(texts) > 300
    # The sound-alike reading is scanned too (`_soundalike_hits`).
    texts += [read_soundalikes(t, lexicon.soundalikes).text for t in texts]
    matched = 0
    for text in texts:
        possible = lexicon.patterns_for(text)
        for concept in lexicon.concepts:
            kept = {source for source, _ in possible[concept.key]}
            for source, pattern in concept.patterns:
                if pattern.search(text):
                    matched += 1
                    assert source in kept, (concept.key, source, text)
    assert matched > 200  # the check saw real matches, not only misses


def test_gate_rules_out_most_patterns(lexicon):
    # Why it exists: a text with no risk language leaves (almost) nothing to search.
    possible = lexicon.patterns_for("We talked about the garden and the weather this week.")
    assert sum(len(p) for p in possible.values()) <= 2


def test_needs_read_from_the_pattern():
    needs = literal_needs(re.compile(r"(?<!\w)(hit|hits) (\w+ )?me\b(?!\w)", re.IGNORECASE))
    assert needs == (("hit ", "hits "), ("me",))  # the longest strings first
    # A string holding another of its group adds nothing.
    assert literal_needs(re.compile(r"(kill|killing)\b")) == (("kill",),)
    # Optional parts need nothing; an alternation needs one string of each branch.
    assert literal_needs(re.compile(r"(kill)?")) == ()
    assert literal_needs(re.compile(r"Suicid\w*|overdose", re.IGNORECASE)) == (
        ("overdose", "suicid"),
    )
    assert literal_needs(re.compile(r"\w+ \d+")) == ((" ",),)


def test_text_beyond_ascii_is_searched_as_before(lexicon):
    # IGNORECASE reads the Kelvin sign as "k"; str.lower does not: no shortcut there.
    text = "I think about \u212aILLING MYSELF"
    concept = next(c for c in lexicon.concepts if c.key == "suicidal_ideation")
    assert any(p.search(text) for _, p in concept.patterns)
    assert lexicon.patterns_for(text)["suicidal_ideation"]

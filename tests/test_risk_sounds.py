"""Sound-alike risk keywords: misheard keywords are read back, ordinary words are left alone.

Patterns only (no model load): the sound-alike reading feeds the lexicon's patterns.
"""

from __future__ import annotations

import pytest

from avt_notes.risk import describe, detect_in_text, load_lexicon
from avt_notes.risk.sounds import sound_key


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


def test_voicing_and_vowels_are_merged_but_not_the_consonants():
    assert sound_key("bills") == sound_key("pills")
    assert sound_key("slid") == sound_key("slit")
    assert sound_key("binkiller") == sound_key("painkiller")
    assert sound_key("please") != sound_key("pills")
    assert sound_key("police") != sound_key("pills")


@pytest.mark.parametrize(
    "word",
    [
        # Everyday words of a consultation: none may turn into a risk keyword.
        "please", "police", "rest", "best", "raised", "open", "person", "night", "water",
        "letters", "ground", "brain", "morning", "heard", "bridges", "harming", "hurting",
        "tablets", "pills", "knife", "train", "bleeding", "walking", "talking", "sleep",
        "doctor", "husband", "daughter", "medicine", "coffee", "weekend", "football",
        # Sound-alike list 2: common words sharing a keyword's sound key.
        "getting", "stopped", "checked", "heading", "hating", "packing", "blood",
    ],
)  # fmt: skip
def test_ordinary_words_are_not_read_as_keywords(word, lexicon):
    assert lexicon.soundalikes.keyword_for(word) is None


@pytest.mark.parametrize(
    ("text", "concept", "heard"),
    [
        ("I've been stockpiling my bills.", "plan_preparation", "bills → pills"),
        ("I've been hoarding my dablets in a box.", "plan_preparation", "dablets → tablets"),
    ],
)
def test_a_misheard_keyword_is_read_back_and_shown(text, concept, heard, lexicon):
    items = [i for i in detect_in_text(text, lexicon, by_meaning=False) if i.category == concept]
    assert items and items[0].heard == heard and items[0].polarity == "reported"
    assert f"reading {heard}" in describe(items[0], with_reason=True)


@pytest.mark.parametrize(
    "text",
    [
        "I've been saving up for my bills.",
        "I've been paying my bills.",
        "I've been getting myself ready.",  # "getting myself" is never "cutting myself"
        "My partner and I have been getting along better.",
        "I cooked him dinner.",
        "I stopped him at the door.",
        "Could you please pass the salt?",
        "The police came round last night.",
        "We played cards until it was late.",
        "I've been slipping on the ice.",
        "I've been picking up the kids from school.",
        "The kitten has been scratching the sofa.",
    ],
)
def test_ordinary_sentences_raise_nothing(text, lexicon):
    assert detect_in_text(text, lexicon, by_meaning=False) == []


def test_a_sound_alike_never_fires_on_its_own(lexicon):
    # "trunk" sounds like "drunk" at most; a one-word pattern needs a word heard as it is.
    assert detect_in_text("It's in the trunk.", lexicon, by_meaning=False) == []

"""Build prompts/english_words.txt: English words common enough never to be "corrected".

The clinical-vocabulary correction (src/avt_notes/clinical_vocabulary.py) only
rewrites a recognised word into a drug name when the word is not ordinary
English. "Ordinary" comes from a corpus, not from a hand list: every word that
wordfreq (Speer, 2022; data CC BY-SA 4.0, see the file's header) puts at Zipf
frequency >= 3.0 (once per million words or more) in its `large` English list.
wordfreq is needed only here, not at run time (its wheel is 57 MB):

    pip install --target /tmp/wordfreq wordfreq==3.1.1
    PYTHONPATH=/tmp/wordfreq .venv/bin/python scripts/build_english_words.py
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """\
# English words with Zipf frequency >= {zipf} (at least {per_million} per million words), one
# a line, most frequent first: the common-word guard of the clinical-vocabulary correction
# (a word listed here is never rewritten into a drug name on its own).
# Built by scripts/build_english_words.py from wordfreq {version} ("large" English list).
# wordfreq: Robyn Speer, https://github.com/rspeer/wordfreq, doi:10.5281/zenodo.7199437.
# Its data (and so this derived list) is licensed CC BY-SA 4.0; sources include Wikipedia,
# OpenSubtitles, SUBTLEX, Google Books, Reddit, Twitter and news text.
"""


def main() -> None:
    from importlib.metadata import version

    import wordfreq

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zipf", type=float, default=3.0)
    parser.add_argument("--out", type=Path, default=ROOT / "prompts" / "english_words.txt")
    args = parser.parse_args()
    words = [
        word
        for word in wordfreq.iter_wordlist("en", "large")
        if word.isalpha() and word.isascii() and wordfreq.zipf_frequency(word, "en") >= args.zipf
    ]
    header = HEADER.format(
        zipf=args.zipf, per_million=round(10 ** (args.zipf - 3), 2), version=version("wordfreq")
    )
    args.out.write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words -> {args.out}")


if __name__ == "__main__":
    main()

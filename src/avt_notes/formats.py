"""Plain-text renderings of a transcript (pure; the CLI writes them)."""

from __future__ import annotations

from avt_notes.schemas import Transcript, Utterance


def format_timestamp(seconds: float) -> str:
    """`HH:MM:SS.s`, tenths rounded down so a span never starts later than it says."""
    tenths = int(max(seconds, 0.0) * 10 + 1e-6)
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    return f"{hours:02d}:{minutes:02d}:{rest // 10:02d}.{rest % 10}"


def shown_text(utterance: Utterance) -> str:
    """The utterance as a reader checks it: a corrected word says what was heard."""
    if not any(w.heard for w in utterance.words):
        return utterance.text
    return " ".join(f"{w.text} (heard: {w.heard})" if w.heard else w.text for w in utterance.words)


def transcript_text(transcript: Transcript) -> str:
    """One utterance per line: `[HH:MM:SS.s-HH:MM:SS.s] ROLE: text`."""
    return "".join(
        f"[{format_timestamp(u.start)}-{format_timestamp(u.end)}] {u.role.upper()}: "
        f"{shown_text(u)}\n"
        for u in transcript.utterances
    )

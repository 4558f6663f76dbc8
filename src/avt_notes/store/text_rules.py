"""Rules for short free text a user types (labels, names, reasons) and for new passwords.

Short fields end up in page headers, exports and audit details: one line of
printable text each, bounded in length, so none can smuggle a heading, a
second record or a control character into a document. Passwords follow the
NIST SP 800-63B advice: length over composition rules, and no common or
guessable password (zxcvbn's frequency lists and pattern matching).
"""

from __future__ import annotations

import unicodedata

from avt_notes.errors import InputError

MIN_PASSWORD = 12
MAX_PASSWORD = 256
# zxcvbn scores 0-4; 3 is "safely unguessable: moderate protection from offline attacks".
MIN_PASSWORD_SCORE = 3


def single_line(value: str, field: str, max_length: int) -> str:
    """`value` stripped; InputError if it has line breaks or control characters or is too long."""
    value = value.strip()
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in value):
        raise InputError(f"{field} must be one line of text (no line breaks or control characters)")
    if len(value) > max_length:
        raise InputError(f"{field} is too long: {len(value)} characters, at most {max_length}")
    return value


def check_new_password(password: str, *personal: str) -> None:
    """InputError unless `password` is long enough and not common or guessable."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"password must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"password must be at most {MAX_PASSWORD} characters")
    from zxcvbn import zxcvbn  # lazy: its word lists take ~0.3 s to load

    # Names count as words an attacker tries first, alone and run together ("bobsmith").
    names = [p.lower().split() for p in personal if p]
    inputs = [w for words in names for w in words] + ["".join(words) for words in names]
    result = zxcvbn(password, user_inputs=inputs)
    if result["score"] < MIN_PASSWORD_SCORE:
        warning = result["feedback"].get("warning") or "it is too easy to guess"
        raise InputError(
            f"choose a less guessable password: {warning.rstrip('.')}. "
            "A few unrelated words make a strong one."
        )

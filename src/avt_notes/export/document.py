"""The signed note as every export format sees it (plain data, built by the store)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

AI_STATEMENT = (
    "AI assistance: this note was drafted by an automated program from a recording of the "
    "session (speech recognition, speaker separation and a language model). The clinician "
    "named below reviewed it against the session, edited it and signed it, and is "
    "responsible for its content."
)


class SignedSection(BaseModel):
    name: str
    sentences: list[str]


class SignedDocument(BaseModel):
    note_id: int
    session_id: str
    session_label: str
    session_date: datetime
    template: str
    version: int
    is_latest: bool
    supersedes_version: int | None = None
    amendment_reason: str | None = None
    sections: list[SignedSection]
    text: str  # the signed text, exactly as hashed
    content_sha256: str
    signer_username: str
    signer_name: str
    signed_at: datetime
    attestation: str
    ai_statement: str = AI_STATEMENT

    @property
    def title(self) -> str:
        return f"Clinical note ({self.template.upper()})"

    def status_line(self) -> str:
        if self.supersedes_version is None:
            state = "Signed"
        else:
            state = f"Amendment of version {self.supersedes_version}"
        latest = "" if self.is_latest else " — superseded by a later version"
        return f"Version {self.version} · {state}{latest}"

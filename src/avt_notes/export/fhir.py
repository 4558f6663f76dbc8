"""A signed note as a FHIR R4 DocumentReference, and a check of what R4 requires of it.

The resource points at the note rather than restating it: one attachment holds
the signed text exactly as hashed (``text/plain``, base64, with R4's SHA-1
``hash`` and ``size``), so a receiver can check it byte for byte against the
SHA-256 this system recorded (an ``identifier`` with system
``urn:avt-notes:sha256``). The signer is both ``author`` and
``authenticator``; the AI-assistance statement is the ``description`` and an
extension. An amendment ``replaces`` the version before it, and an older
version exports as ``superseded``.

There is no patient identity in this service (sessions are labelled by the
clinician), so ``subject`` is a logical reference to the recorded session.

`validate_document_reference` checks the R4 rules that matter for exchange:
the required elements (``status``, ``content`` with an ``attachment``), the
code sets of ``status``, ``docStatus`` and ``relatesTo.code``, the instant
format of ``date``, the shape of references and codeable concepts, no unknown
top-level elements, and that an attachment's ``size`` and ``hash`` match its
data.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from typing import Any

from avt_notes.errors import AvtError
from avt_notes.export.document import SignedDocument
from avt_notes.export.text import plain_display

LOINC = "http://loinc.org"
AI_EXTENSION = "urn:avt-notes:fhir:ai-assistance-statement"
SESSION_SYSTEM = "urn:avt-notes:session"
NOTE_SYSTEM = "urn:avt-notes:note"
SHA256_SYSTEM = "urn:avt-notes:sha256"
USER_SYSTEM = "urn:avt-notes:user"

# R4 DocumentReference elements (http://hl7.org/fhir/R4/documentreference.html).
ELEMENTS = frozenset(
    {
        "resourceType", "id", "meta", "implicitRules", "language", "text", "contained",
        "extension", "modifierExtension", "masterIdentifier", "identifier", "status",
        "docStatus", "type", "category", "subject", "date", "author", "authenticator",
        "custodian", "relatesTo", "description", "securityLabel", "content", "context",
    }
)  # fmt: skip
STATUS = frozenset({"current", "superseded", "entered-in-error"})
DOC_STATUS = frozenset({"preliminary", "final", "amended", "entered-in-error"})
RELATES = frozenset({"replaces", "transforms", "signs", "appends"})
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_INSTANT = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d{1,9})?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$"
)


class FhirValidationError(AvtError):
    """The resource breaks a rule of FHIR R4 DocumentReference."""

    http_status = 500


def resource_id(session_id: str, version: int) -> str:
    return f"avt-{session_id}-v{version}"


def _instant(document: SignedDocument) -> str:
    return document.signed_at.isoformat(timespec="seconds").replace("+00:00", "Z")


def to_document_reference(document: SignedDocument) -> dict[str, Any]:
    """The DocumentReference for one signed version (see the module docstring)."""
    data = document.text.encode()
    signer = {
        "identifier": {"system": USER_SYSTEM, "value": document.signer_username},
        "display": plain_display(document.signer_name),
    }
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": resource_id(document.session_id, document.version),
        "extension": [{"url": AI_EXTENSION, "valueString": document.ai_statement}],
        "masterIdentifier": {
            "system": NOTE_SYSTEM,
            "value": f"{document.session_id}/v{document.version}",
        },
        "identifier": [{"system": SHA256_SYSTEM, "value": document.content_sha256}],
        "status": "current" if document.is_latest else "superseded",
        "docStatus": "final" if document.supersedes_version is None else "amended",
        "type": {
            "coding": [{"system": LOINC, "code": "11506-3", "display": "Progress note"}],
            "text": document.title,
        },
        "subject": {
            "type": "Patient",
            "identifier": {"system": SESSION_SYSTEM, "value": document.session_id},
            "display": "Patient of session "
            f"“{plain_display(document.session_label or document.session_id)}”",
        },
        "date": _instant(document),
        "author": [{"type": "Practitioner", **signer}],
        "authenticator": {"type": "Practitioner", **signer},
        "description": document.ai_statement,
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain; charset=utf-8",
                    "language": "en",
                    "data": base64.b64encode(data).decode(),
                    "size": len(data),
                    "hash": base64.b64encode(hashlib.sha1(data).digest()).decode(),
                    "title": f"{document.title}, version {document.version}",
                    "creation": _instant(document),
                }
            }
        ],
        "context": {
            "related": [{"identifier": {"system": SESSION_SYSTEM, "value": document.session_id}}]
        },
    }
    if document.supersedes_version is not None:
        target = resource_id(document.session_id, document.supersedes_version)
        resource["relatesTo"] = [
            {"code": "replaces", "target": {"reference": f"DocumentReference/{target}"}}
        ]
    return resource


def _reference(value: Any, where: str, problems: list[str]) -> None:
    if not isinstance(value, dict) or not any(
        value.get(k) for k in ("reference", "identifier", "display")
    ):
        problems.append(f"{where}: a Reference needs reference, identifier or display")


def _concept(value: Any, where: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(f"{where}: must be a CodeableConcept object")
        return
    codings = value.get("coding", [])
    if not isinstance(codings, list) or not (codings or value.get("text")):
        problems.append(f"{where}: a CodeableConcept needs coding or text")
        return
    for i, coding in enumerate(codings):
        if not isinstance(coding, dict) or not coding.get("code") or not coding.get("system"):
            problems.append(f"{where}.coding[{i}]: needs system and code")


def _attachment(value: Any, where: str, problems: list[str]) -> None:
    if not isinstance(value, dict) or not value:
        problems.append(f"{where}: attachment is required (1..1)")
        return
    if not value.get("contentType"):
        problems.append(f"{where}.contentType: required when data is given")
    if "data" not in value and "url" not in value:
        problems.append(f"{where}: needs data or url")
    if "data" in value:
        try:
            data = base64.b64decode(value["data"], validate=True)
        except (binascii.Error, TypeError, ValueError):
            problems.append(f"{where}.data: not base64")
            return
        if "size" in value and value["size"] != len(data):
            problems.append(f"{where}.size: {value['size']} but data has {len(data)} bytes")
        if (
            "hash" in value
            and value["hash"] != base64.b64encode(hashlib.sha1(data).digest()).decode()
        ):
            problems.append(f"{where}.hash: is not the base64 SHA-1 of data")
    for key in ("creation",):
        if key in value and not _INSTANT.match(str(value[key])):
            problems.append(f"{where}.{key}: not a FHIR dateTime with a time zone")


def problems_in(resource: Any) -> list[str]:
    """Every R4 rule the resource breaks (empty when it is valid)."""
    if not isinstance(resource, dict):
        return ["a resource must be a JSON object"]
    problems: list[str] = []
    if resource.get("resourceType") != "DocumentReference":
        problems.append("resourceType: must be DocumentReference")
    unknown = sorted(set(resource) - ELEMENTS)
    if unknown:
        problems.append(f"unknown element(s): {', '.join(unknown)}")
    if "id" in resource and not _ID.match(str(resource["id"])):
        problems.append("id: 1-64 of A-Z a-z 0-9 - .")
    if resource.get("status") not in STATUS:
        problems.append(f"status: required (1..1), one of {', '.join(sorted(STATUS))}")
    if "docStatus" in resource and resource["docStatus"] not in DOC_STATUS:
        problems.append(f"docStatus: one of {', '.join(sorted(DOC_STATUS))}")
    content = resource.get("content")
    if not isinstance(content, list) or not content:
        problems.append("content: required (1..*)")
    else:
        for i, item in enumerate(content):
            _attachment(item.get("attachment") if isinstance(item, dict) else None,
                        f"content[{i}].attachment", problems)  # fmt: skip
    if "date" in resource and not _INSTANT.match(str(resource["date"])):
        problems.append("date: must be a FHIR instant (with seconds and a time zone)")
    for key in ("subject", "authenticator", "custodian"):
        if key in resource:
            _reference(resource[key], key, problems)
    for i, author in enumerate(resource.get("author", [])):
        _reference(author, f"author[{i}]", problems)
    if "type" in resource:
        _concept(resource["type"], "type", problems)
    for i, concept in enumerate(resource.get("category", [])):
        _concept(concept, f"category[{i}]", problems)
    for i, relation in enumerate(resource.get("relatesTo", [])):
        if not isinstance(relation, dict) or relation.get("code") not in RELATES:
            problems.append(f"relatesTo[{i}].code: one of {', '.join(sorted(RELATES))}")
        else:
            _reference(relation.get("target"), f"relatesTo[{i}].target", problems)
    for i, extension in enumerate(resource.get("extension", [])):
        if not isinstance(extension, dict) or not extension.get("url"):
            problems.append(f"extension[{i}].url: required")
    return problems


def validate_document_reference(resource: Any) -> None:
    """Raise `FhirValidationError` naming every broken rule, if any."""
    problems = problems_in(resource)
    if problems:
        raise FhirValidationError("invalid DocumentReference: " + "; ".join(problems))

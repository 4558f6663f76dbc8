"""The clinician web service: FastAPI app, thin routes, pages and static JS.

`create_app` builds it; `avt-notes serve` (or ``python -m avt_notes.web``) runs it.
"""

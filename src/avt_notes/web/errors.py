"""The one place where errors become HTTP responses.

Every `AvtError` carries its status (`http_status`); here it becomes
``{"detail": "<readable message>", "error": "<class>"}`` plus any structured
extras (e.g. the list of missing chunk numbers), which the pages show as-is.
Request validation errors are rewritten from FastAPI's list into one
sentence, malformed JSON becomes a 400.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from avt_notes.errors import AvtError
from avt_notes.store.errors import AuthenticationError, ConflictError, TooManyAttemptsError

logger = logging.getLogger("avt_notes.web")

COOKIE_NAME = "avt_session"


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    message = error.get("msg", "invalid value")
    return f"{location}: {message}" if location else message


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AvtError)
    async def _avt_error(request: Request, error: AvtError) -> JSONResponse:
        status = error.http_status
        if status >= 500:
            logger.error(
                "%s on %s %s: %s", type(error).__name__, request.method, request.url.path, error
            )
        content: dict[str, Any] = {"detail": str(error), "error": type(error).__name__}
        if isinstance(error, ConflictError):
            content.update(error.extra)
        response = JSONResponse(content, status_code=status)
        if isinstance(error, AuthenticationError):
            response.delete_cookie(COOKIE_NAME, path="/")
        if isinstance(error, TooManyAttemptsError):
            content["retry_after"] = error.retry_after
            response = JSONResponse(
                content, status_code=status, headers={"Retry-After": str(error.retry_after)}
            )
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = list(error.errors())
        if any(p.get("type") == "json_invalid" for p in problems):
            ctx = next(p for p in problems if p.get("type") == "json_invalid").get("ctx", {})
            detail = f"malformed JSON: {ctx.get('error', 'cannot parse the body')}"
            return JSONResponse({"detail": detail, "error": "InputError"}, status_code=400)
        detail = "; ".join(_describe(p) for p in problems[:5])
        return JSONResponse({"detail": detail, "error": "InputError"}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        detail = error.detail if isinstance(error.detail, str) else "request failed"
        if error.status_code == 404 and detail == "Not Found":
            detail = "not found"
        return JSONResponse(
            {"detail": detail, "error": "HTTPError"},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

"""The FastAPI application factory and the server entry point.

`create_app` opens the store (migrating the database, creating the audio key
on first run), wires the routes, and starts the in-process workers with the
app's lifespan. With the real pipeline, the models load in a background
thread from startup (`jobs.warmup`), so the service answers at once and
`/api/health` says when they are ready.
"""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from avt_notes.config import Settings, get_settings
from avt_notes.store import open_store
from avt_notes.store.recordings import Limits, Notice
from avt_notes.store.throttle import PasswordThrottle, make_storage
from avt_notes.web.deps import CurrentAuth, Services
from avt_notes.web.errors import install_error_handlers
from avt_notes.web.routes.queue_admin import router as queue_admin_router

if TYPE_CHECKING:
    from avt_notes.audio import DurationCheck
    from avt_notes.jobs import Worker
    from avt_notes.tasks.dispatch import TaskDispatcher

logger = logging.getLogger("avt_notes.web")

STATIC_DIR = Path(__file__).parent / "static"

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"microphone=(self), camera=(), geolocation=()"),
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
        b"base-uri 'none'; form-action 'self'",
    ),
]


class SecurityHeaders:
    """Adds strict browser security headers; API responses are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_api = scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_SECURITY_HEADERS)
                if is_api:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def default_probe(settings: Settings) -> Callable[[Path], DurationCheck]:
    """Measure a recording by decoding it frame by frame (bounded memory, stops at the limit);
    raises AudioError. The message calls it "the recording", never by its scratch-file name."""

    def probe(path: Path) -> DurationCheck:
        from avt_notes.audio import check_duration  # lazy: PyAV only when needed

        return check_duration(path, settings.audio.max_audio_seconds)

    return probe


def longest_recording_chunks(settings: Settings) -> int:
    """Chunk numbers the longest allowed recording can use: twice what the page's timeslice
    gives (browsers may slice more often), so a stray number far beyond is refused at upload
    instead of leaving a gap no recording can fill."""
    web = settings.web
    return min(web.max_chunks, math.ceil(2 * settings.audio.max_audio_seconds / web.chunk_seconds))


FALLBACK_TEMPLATES = ["soap", "dap", "birp", "girp", "mental-health-progress"]


def available_templates() -> list[str]:
    """Template ids from the prompts folder (data files only; no model is loaded)."""
    try:
        from avt_notes.drafting.templates import list_templates

        return [template.id for template in list_templates()] or FALLBACK_TEMPLATES
    except Exception as error:
        logger.warning("cannot list note templates (%s); offering the defaults", error)
        return list(FALLBACK_TEMPLATES)


def _ignore(_session_id: str, _seq: int) -> None:
    """No processing while recording unless something asks to hear about chunks."""


def _waker(worker: Worker) -> Callable[[str, int], None]:
    """Wake the live worker when a chunk arrives (the live job may be waiting for audio)."""
    return lambda _session_id, _seq: worker.wake()


def _chunk_hook(
    dispatcher: TaskDispatcher | None, live_worker: Worker | None
) -> Callable[[str, int], None]:
    if dispatcher is not None:
        return dispatcher.on_chunk  # publishes the live job the first chunk queued
    return _waker(live_worker) if live_worker is not None else _ignore


def create_app(
    settings: Settings | None = None,
    *,
    pipeline: object | None = None,
    probe: Callable[[Path], DurationCheck] | None = None,
    start_worker: bool | None = None,
    on_chunk: Callable[[str, int], None] | None = None,
) -> FastAPI:
    """Build the app. `pipeline` replaces the real model pipeline (tests, benchmarks);
    `on_chunk(session_id, seq)` is told about every newly stored chunk; with a broker
    (`settings.queue.broker_url`) jobs go to queue workers and no worker runs in this process."""
    from avt_notes.jobs import LiveSessions, live_worker, process_worker
    from avt_notes.jobs.warmup import ModelWarmup
    from avt_notes.web.routes import (
        auth,
        confidence,
        pages,
        review,
        review_page,
        sessions,
        uploads,
        users,
    )

    settings = settings or get_settings()
    web = settings.web
    store = open_store(settings.store)
    store.audio.sweep_scratch()
    poll, stale = web.worker_poll_seconds, timedelta(seconds=web.job_stale_seconds)
    live_sessions = LiveSessions()
    worker = process_worker(
        store,
        settings,
        pipeline,  # type: ignore[arg-type]
        live_sessions=live_sessions,
        poll_seconds=poll,
        stale_after=stale,
    )
    # Processing while recording needs the real models: an injected pipeline gets none.
    follower = None
    if web.live_jobs and pipeline is None:
        follower = live_worker(store, settings, live_sessions, poll_seconds=poll, stale_after=stale)
    run_worker = web.worker if start_worker is None else start_worker
    dispatcher = None
    if settings.queue.broker_url:
        from avt_notes.tasks.dispatch import TaskDispatcher

        dispatcher, run_worker = TaskDispatcher(store, settings.queue.broker_url), False
    warmup = ModelWarmup(settings)
    templates = list(web.templates) or available_templates()
    if web.default_template not in templates:
        templates.append(web.default_template)
    web = web.model_copy(update={"templates": templates})

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        running = [w for w in (worker, follower) if w is not None and run_worker]
        if running and pipeline is None and web.preload_models:
            warmup.start()  # the real models, loaded while the server already answers
        for each in running:
            each.start()
        if dispatcher is not None:
            dispatcher.publish_queued()  # rows queued while no web app was publishing
            dispatcher.watch()
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.close()
            for each in running:
                each.stop()
            store.close()

    app = FastAPI(
        title="avt-notes",
        summary="Clinician recording service: consent, durable upload, encrypted storage.",
        lifespan=lifespan,
        # No anonymous API map: the schema is served to logged-in users only, when enabled.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.worker = worker
    app.state.live_worker = follower
    app.state.warmup = warmup
    app.state.dispatcher = dispatcher
    app.state.services = Services(
        store=store,
        settings=settings,
        web=web,
        limits=Limits(
            max_chunk_bytes=web.max_chunk_bytes,
            max_session_bytes=settings.audio.max_upload_bytes,
            max_chunks=longest_recording_chunks(settings),
            templates=tuple(web.templates),
            live_jobs=web.live_jobs,
        ),
        notice=Notice(text=web.consent_notice, version=web.consent_notice_version),
        probe=probe or default_probe(settings),
        wake_worker=dispatcher.wake if dispatcher is not None else worker.wake,
        on_chunk=on_chunk or _chunk_hook(dispatcher, follower),
        throttle=PasswordThrottle(
            make_storage(store.sessions, web.throttle_storage_url),
            web.throttle_account_limits,
            web.throttle_address_limits,
        ),
    )
    install_error_handlers(app)
    for module in (auth, sessions, uploads, users, review, pages, review_page, confidence):
        app.include_router(module.router)
    app.include_router(queue_admin_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(SecurityHeaders)

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, str]:
        return {"status": "ok", **warmup.status()}

    if web.api_docs:

        @app.get("/api/openapi.json", tags=["meta"], include_in_schema=False)
        def openapi_schema(_auth: CurrentAuth) -> dict[str, Any]:
            return app.openapi()

    return app


def run_server(
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    *,
    start_worker: bool | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> None:
    """Serve with uvicorn (one process; the worker runs inside it unless AVT_WORKER=0,
    `start_worker=False` or a broker is configured); HTTPS when a certificate and key are given."""
    import uvicorn

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    app = create_app(start_worker=start_worker)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=log_level,
        proxy_headers=True,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
    )

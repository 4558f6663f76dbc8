"""One settings object in sections; the environment names deployments already use still work."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from avt_notes.config import Settings, StoreSettings
from avt_notes.errors import InputError
from avt_notes.store import open_store
from avt_notes.store.db import DATABASE_FILE, open_database

# Every variable a deployment may have set before settings had sections, with a
# non-default value, and where it lands now.
ENVIRONMENT = {
    "AVT_MAX_AUDIO_SECONDS": ("audio", "max_audio_seconds", 60.0),
    "AVT_MAX_UPLOAD_BYTES": ("audio", "max_upload_bytes", 1000),
    "AVT_MODEL_CACHE": ("models", "model_cache", Path("/models/cache")),
    "AVT_ASR_MODEL": ("models", "asr_model", "tiny.en"),
    "AVT_ASR_COMPUTE_TYPE": ("models", "asr_compute_type", "float32"),
    "AVT_ASR_BEAM_SIZE": ("decoding", "asr_beam_size", 1),
    "AVT_ASR_PATIENCE": ("decoding", "asr_patience", 2.0),
    "AVT_ASR_TEMPERATURES": ("decoding", "asr_temperatures", [0.0]),
    "AVT_ASR_COMPRESSION_RATIO_THRESHOLD": ("decoding", "asr_compression_ratio_threshold", 2.0),
    "AVT_ASR_LOG_PROB_THRESHOLD": ("decoding", "asr_log_prob_threshold", -2.0),
    "AVT_ASR_NO_SPEECH_THRESHOLD": ("decoding", "asr_no_speech_threshold", 0.5),
    "AVT_ASR_CONDITION_ON_PREVIOUS_TEXT": ("decoding", "asr_condition_on_previous_text", True),
    "AVT_ASR_VAD_FILTER": ("decoding", "asr_vad_filter", False),
    "AVT_ASR_VAD_MIN_SILENCE_MS": ("decoding", "asr_vad_min_silence_ms", 500),
    "AVT_ASR_VAD_SPEECH_PAD_MS": ("decoding", "asr_vad_speech_pad_ms", 100),
    "AVT_ASR_MIN_WINDOW_SECONDS": ("decoding", "asr_min_window_seconds", 30),
    "AVT_ASR_DROP_HALLUCINATIONS": ("decoding", "asr_drop_hallucinations", False),
    "AVT_ASR_HOTWORDS": ("decoding", "asr_hotwords", True),
    "AVT_ASR_VOCABULARY_CORRECTION": ("decoding", "asr_vocabulary_correction", False),
    "AVT_ASR_VOCABULARY_MIN_SIMILARITY": ("decoding", "asr_vocabulary_min_similarity", 0.9),
    "AVT_ASR_VOCABULARY_MIN_MARGIN": ("decoding", "asr_vocabulary_min_margin", 0.1),
    "AVT_ASR_VOCABULARY_MAX_PROBABILITY": ("decoding", "asr_vocabulary_max_probability", 0.6),
    "AVT_ASR_VOCABULARY_COMMON_MIN_SIMILARITY": (
        "decoding",
        "asr_vocabulary_common_min_similarity",
        0.95,
    ),
    "AVT_ASR_LOW_PROBABILITY": ("decoding", "asr_low_probability", 0.4),
    "AVT_ASR_LOW_CONFIDENCE_SHARE": ("decoding", "asr_low_confidence_share", 0.3),
    "AVT_LANGUAGE": ("models", "language", "de"),
    "AVT_CPU_THREADS": ("models", "cpu_threads", 7),
    "AVT_DIARIZATION_MODEL": ("models", "diarization_model", "/models/pyannote"),
    "AVT_EMBEDDING_MODEL": ("models", "embedding_model", "/models/minilm"),
    "AVT_EMBEDDING_PRECISION": ("models", "embedding_precision", "float32"),
    "AVT_EMBEDDING_CACHE_SIZE": ("models", "embedding_cache_size", 0),
    "AVT_MALLOC_ARENAS": ("models", "malloc_arenas", 0),
    "AVT_EXTRA_MODELS": ("models", "extra_models", {"large-v3": Path("/models/large")}),
    "AVT_DRAFTER": ("drafting", "drafter", "http://127.0.0.1:8000/v1"),
    "AVT_DRAFTER_HTTP_MODEL": ("drafting", "drafter_http_model", "qwen"),
    "AVT_DRAFTER_MAX_NEW_TOKENS": ("drafting", "drafter_max_new_tokens", 99),
    "AVT_DRAFTER_BACKEND": ("drafting", "drafter_backend", "transformers"),
    "AVT_DRAFTER_CONTEXT_TOKENS": ("drafting", "drafter_context_tokens", 8192),
    "AVT_DRAFTER_REPEAT_PENALTY": ("drafting", "drafter_repeat_penalty", 1.2),
    "AVT_LIVE_DRAFT_WINDOW_SECONDS": ("drafting", "live_draft_window_seconds", 60.0),
    "AVT_LIVE_READ_AHEAD_SECONDS": ("drafting", "live_read_ahead_seconds", 0.0),
    "AVT_LIVE_FINISH_CHECKS_SECONDS": ("drafting", "live_finish_checks_seconds", 0.0),
    "AVT_PROMPTS_DIR": ("drafting", "prompts_dir", Path("/srv/prompts")),
    "AVT_DATA_DIR": ("store", "data_dir", Path("/srv/avt")),
    "DATABASE_URL": ("store", "database_url", "postgresql+psycopg://u@h/avt"),
    "AVT_AUDIO_KEY_FILE": ("store", "audio_key_file", Path("/srv/key")),
    "AVT_SCRATCH_DIR": ("store", "scratch_dir", Path("/var/tmp/avt")),
    "AVT_ENVIRONMENT": ("web", "environment", "production"),
    "AVT_SESSION_IDLE_MINUTES": ("web", "session_idle_minutes", 5),
    "AVT_WORKER": ("web", "worker", False),
    "AVT_PRELOAD_MODELS": ("web", "preload_models", False),
    "AVT_WORKER_POLL_SECONDS": ("web", "worker_poll_seconds", 0.5),
    "AVT_JOB_STALE_SECONDS": ("web", "job_stale_seconds", 9.0),
    "AVT_MAX_CHUNK_BYTES": ("web", "max_chunk_bytes", 1024),
    "AVT_MAX_CHUNKS": ("web", "max_chunks", 10),
    "AVT_CHUNK_SECONDS": ("web", "chunk_seconds", 2.0),
    "AVT_LIVE_JOBS": ("web", "live_jobs", False),
    "AVT_SESSION_MAX_HOURS": ("web", "session_max_hours", 1.0),
    "AVT_COOKIE_SECURE": ("web", "cookie_secure", True),
    "AVT_CONSENT_NOTICE": ("web", "consent_notice", "Recorded."),
    "AVT_CONSENT_NOTICE_VERSION": ("web", "consent_notice_version", "2"),
    "AVT_TEMPLATES": ("web", "templates", ["soap", "dap"]),
    "AVT_DEFAULT_TEMPLATE": ("web", "default_template", "dap"),
    "AVT_THROTTLE_ACCOUNT_LIMITS": ("web", "throttle_account_limits", "3/minute"),
    "AVT_THROTTLE_ADDRESS_LIMITS": ("web", "throttle_address_limits", "9/minute"),
    "AVT_THROTTLE_STORAGE_URL": ("web", "throttle_storage_url", "redis://127.0.0.1:6379"),
    "AVT_API_DOCS": ("web", "api_docs", True),
    "AVT_PATIENT_LANGUAGE_GROUPS": ("web", "patient_language_groups", ["n/a", "Welsh"]),
    "AVT_AUDIO_RETENTION_DAYS": ("retention", "audio_retention_days", 1.0),
    "AVT_TRANSCRIPT_RETENTION_DAYS": ("retention", "transcript_retention_days", 2.0),
    "AVT_DRAFT_RETENTION_DAYS": ("retention", "draft_retention_days", 3.0),
    "AVT_BROKER_URL": ("queue", "broker_url", "amqp://u:p@mq:5672//"),
    "AVT_WORKER_HEALTH_HOST": ("queue", "worker_health_host", "0.0.0.0"),
    "AVT_WORKER_HEALTH_PORT": ("queue", "worker_health_port", 8001),
    "AVT_MAX_ATTEMPTS": ("queue", "max_attempts", 2),
    "AVT_LOCK_RETRY_SECONDS": ("queue", "lock_retry_seconds", 1.5),
    "AVT_REDIS_VISIBILITY_SECONDS": ("queue", "redis_visibility_seconds", 60),
}
RAW = {
    "AVT_EXTRA_MODELS": '{"large-v3": "/models/large"}',
    "AVT_TEMPLATES": '["soap", "dap"]',
    "AVT_ASR_TEMPERATURES": "[0.0]",
    "AVT_PATIENT_LANGUAGE_GROUPS": '["n/a", "Welsh"]',
    "AVT_ASR_CONDITION_ON_PREVIOUS_TEXT": "true",
    "AVT_ASR_VAD_FILTER": "false",
    "AVT_ASR_DROP_HALLUCINATIONS": "false",
    "AVT_ASR_HOTWORDS": "true",
    "AVT_ASR_VOCABULARY_CORRECTION": "false",
    "AVT_WORKER": "0",
    "AVT_PRELOAD_MODELS": "0",
    "AVT_LIVE_JOBS": "false",
    "AVT_COOKIE_SECURE": "1",
}


def test_every_existing_environment_name_reaches_its_section(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the checkout
    for name, (_, _, value) in ENVIRONMENT.items():
        monkeypatch.setenv(name, RAW.get(name, str(value)))
    settings = Settings()
    for name, (section, field, value) in ENVIRONMENT.items():
        assert getattr(getattr(settings, section), field) == value, name


def test_every_field_is_covered_and_defaults_need_no_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    fields = {
        (section, field)
        for section in Settings.model_fields
        for field in type(getattr(settings, section)).model_fields
    }
    assert fields == {(section, field) for section, field, _ in ENVIRONMENT.values()}
    assert settings.store.data_dir == Path("data") and settings.store.database_url is None
    assert (settings.drafting.prompts_dir / "templates" / "soap.yaml").is_file()


def test_a_flat_keyword_is_refused_not_ignored() -> None:
    with pytest.raises(ValidationError, match="data_dir"):
        Settings(data_dir=Path("x"))  # type: ignore[call-arg]


def test_updated_changes_one_field_and_keeps_the_rest() -> None:
    settings = Settings()
    changed = settings.updated(web={"live_jobs": False}, models={"language": "fr"})
    assert changed.web.live_jobs is False and changed.models.language == "fr"
    assert changed.web.chunk_seconds == settings.web.chunk_seconds
    assert changed.store == settings.store


def test_read_only_opening_creates_nothing_and_refuses_writes(tmp_path: Path) -> None:
    store_settings = StoreSettings(data_dir=tmp_path / "data")
    with pytest.raises(InputError, match="no database"):
        open_database(store_settings, read_only=True)
    assert not (tmp_path / "data").exists()

    open_store(store_settings).close()  # the service creates and migrates it
    engine = open_database(store_settings, read_only=True)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0
            with pytest.raises(OperationalError, match="readonly"):
                connection.execute(text("DELETE FROM audit_log"))
    finally:
        engine.dispose()
    assert (tmp_path / "data" / DATABASE_FILE).is_file()

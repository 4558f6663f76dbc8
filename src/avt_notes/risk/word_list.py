"""A word list in ``prompts/risk/`` built once per file version, its errors as TemplateError.

The sound-alike keywords and the dialect readings are both small YAML files turned
into lookup structures; this is the one place that reads, caches and reports them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

import yaml

from avt_notes.errors import TemplateError

Built = TypeVar("Built")


def load_word_list(path: Path, what: str, build: Callable[[Any], Built]) -> Built:
    """`build` applied to the YAML at `path`; rebuilt only when the file changes.

    `what` names the list in error messages ("dialect list not readable at ...").
    """
    try:
        return _built(path.resolve(), path.stat().st_mtime_ns, what, build)
    except OSError as error:
        raise TemplateError(f"{what} not readable at {path}: {error}") from error


@lru_cache(maxsize=8)
def _built(path: Path, _mtime: int, what: str, build: Callable[[Any], Built]) -> Built:
    try:
        return build(yaml.safe_load(path.read_bytes()))
    except (KeyError, TypeError, ValueError, AttributeError, re.error, yaml.YAMLError) as error:
        raise TemplateError(f"{what} {path} is malformed: {error!r}") from error

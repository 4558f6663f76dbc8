"""avt-notes: local-first ambient voice technology for clinical sessions."""

import os as _os

# The one place the process environment is set for the libraries we load. Set before
# torch or pyannote are imported (importing this package comes first):
# - OpenMP threads that spin while waiting made diarisation 10x slower whenever
#   another process shared the 2 cores; passive waiting costs nothing when idle.
# - oneDNN keeps a compiled kernel per input shape (1024 by default); CAM++ embeds
#   cut-out speech of a new length each time, so the cache grew diarisation's memory
#   by ~0.5 GB for a 2.5-minute file. 16 bounds it at no measured cost in speed.
# - pyannote.audio 4 sends usage telemetry by default; clinical audio stays local.
# - No code path may ask a model hub for weights.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
_os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")
_os.environ.setdefault("PYANNOTE_METRICS_ENABLED", "false")
_os.environ.setdefault("HF_HUB_OFFLINE", "1")
_os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

__version__ = "0.1.0"

"""Evaluation metrics: thin, documented wrappers over kept libraries (jiwer, pyannote.metrics, rapidfuzz)."""

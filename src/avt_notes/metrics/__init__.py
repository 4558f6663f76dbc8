"""Evaluation metrics: thin, documented wrappers over kept libraries.

jiwer (WER/CER), pyannote.metrics (DER/JER), rapidfuzz (edit distances).
"""

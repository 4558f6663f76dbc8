"""Benchmark material: synthetic PriMock57 recordings with exact references.

`textgrid` reads the transcripts, `tts` speaks them with offline voices and
`primock` lays out recordings and writes the corpus and its manifest.
"""

"""avt-notes: local-first ambient voice technology for clinical sessions."""

__version__ = "0.1.0"

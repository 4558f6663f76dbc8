"""`avt-notes` draft commands."""

"""`avt-notes` corpus commands."""

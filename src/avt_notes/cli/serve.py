"""`avt-notes` serve commands."""

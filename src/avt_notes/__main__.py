"""`python -m avt_notes` runs the CLI."""

from avt_notes.cli import main

main()

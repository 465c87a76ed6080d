"""``python -m basin`` runs the command line."""

from basin.cli import main

main()

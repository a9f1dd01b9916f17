"""``python -m inspectx`` runs the command line."""

from inspectx.cli import main

main()

"""`python -m kg` runs the command-line interface."""

from .cli import main

main()

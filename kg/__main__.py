"""`python -m kg` runs the command-line interface."""

from .cli.common import main

main()

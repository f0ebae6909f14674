"""The command-line interface: a thin shell that parses options, calls the library, and prints.

Only this package imports click. `common` holds the `kg` group and what its commands share;
each other module registers its commands on the group when imported below.
"""

from __future__ import annotations

from . import build, network, query, serve  # noqa: F401  (each registers its commands on main)
from .common import main

__all__ = ["main"]

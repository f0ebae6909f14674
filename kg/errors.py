"""Named exceptions: the library raises these, the CLI turns them into messages."""

from __future__ import annotations


class KgError(Exception):
    """Base class of every error kg reports to a user."""


class SourceError(KgError):
    """A source given on the command line cannot be read (missing, empty, unsupported)."""


class PageError(KgError):
    """One page cannot be built; the rest of the corpus still builds."""


class JsonBlockError(PageError):
    """A JSON block does not parse, even after the usual repairs."""


class JsonLdError(PageError):
    """A block is valid JSON but not valid JSON-LD."""


class RemoteContextRefused(JsonLdError):
    """A block names a remote @context that kg may not fetch."""


class StoreError(KgError):
    """The build folder holds no store, or a store kg cannot open."""


class ExportError(KgError):
    """An export cannot be written (unknown format, unknown graph)."""

"""Named exceptions: the library raises these, the CLI turns them into messages."""

from __future__ import annotations

import errno


class KgError(Exception):
    """Base class of every error kg reports to a user."""

    # The command's exit code: 2 where nothing was done (see README, exit codes).
    exit_code = 1


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


class BuildError(KgError):
    """The build could not go on (a worker process died); nothing it made was committed."""


class StoreError(KgError):
    """The build folder holds no store, or a store kg cannot open."""


class FolderBusy(StoreError):
    """Another kg process is writing to the build folder; nothing was done."""

    exit_code = 2


class ExportError(KgError):
    """An export cannot be written (unknown format, unknown graph)."""


class QueryError(KgError):
    """A query cannot be found, bound or run (unknown name, missing parameter, wrong format)."""


class QuerySyntaxError(QueryError):
    """A query does not parse; the message gives the line and column."""


class QueryTimeout(QueryError):
    """A query ran past its time limit and was stopped."""


class RuleError(QueryError):
    """A concept-layer rule cannot be loaded or run."""


class ConceptError(KgError):
    """A label names no concept of the network, or more than one."""


class UnknownConcept(ConceptError):
    def __init__(self, label: str, closest: list[str]) -> None:
        self.label, self.closest = label, closest
        hint = f"; closest: {', '.join(closest)}" if closest else ""
        super().__init__(f"no concept is labelled {label!r}{hint}")


class AmbiguousConcept(ConceptError):
    def __init__(self, label: str, candidates: list[str]) -> None:
        self.label, self.candidates = label, candidates
        shown = ", ".join(candidates[:10]) + (f", ... {len(candidates) - 10} more" if len(candidates) > 10 else "")
        super().__init__(
            f"{label!r} names {len(candidates)} concepts: {shown}; "
            "type more of the label, or add the kind in parentheses, e.g. 'State Channels (area)', "
            "and the site where sites share a label, e.g. 'Brownies (definition, crumbs.example)', "
            "or give the concept's IRI"
        )


class NoPath(KgError):
    """Two concepts lie in parts of the network that no relation connects."""


class EmptyNetwork(KgError):
    """The store holds no concept layer to draw or walk."""


class ViewError(KgError):
    """The interactive page cannot be made (vis-network's files are missing or unusable)."""


class DiskFull(KgError):
    """The disk filled up while kg wrote; what was there before is as it was."""

    exit_code = 2


_FULL = {errno.ENOSPC: "No space left on device", errno.EDQUOT: "Disk quota exceeded", errno.EFBIG: "File too large"}


def disk_full(exc: OSError) -> DiskFull | None:
    """A DiskFull for an OSError that says the disk (or quota, or file size limit) is full,
    from Python or from RocksDB (whose errors carry the reason only in their text)."""
    reason = _FULL.get(exc.errno) or next((text for text in _FULL.values() if text in str(exc)), None)
    if reason is None:
        return None
    where = f" writing {exc.filename}" if getattr(exc, "filename", None) else ""
    return DiskFull(f"{reason}{where}; nothing was changed (the build folder and files are as they were)")

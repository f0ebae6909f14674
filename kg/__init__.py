"""kg: build a queryable, visual knowledge graph from web pages that carry schema.org JSON-LD."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.2.0"

# Each public name and the module that defines it. They load on first use, so `import kg`
# and `kg --help` open no store (pyoxigraph) and start no JSON-LD processor.
_EXPORTS = {
    "build": "build",
    "BuildConfig": "config",
    "BuildReport": "report",
    "EXPORTERS": "export",
    "export": "export",
    "KnowledgeGraph": "query",
    "open_graph": "query",
    "open_store": "store",
    "ExportError": "errors",
    "JsonBlockError": "errors",
    "JsonLdError": "errors",
    "KgError": "errors",
    "PageError": "errors",
    "QueryError": "errors",
    "QuerySyntaxError": "errors",
    "QueryTimeout": "errors",
    "RemoteContextRefused": "errors",
    "RuleError": "errors",
    "SourceError": "errors",
    "StoreError": "errors",
}

__all__ = [
    "BuildConfig",
    "BuildReport",
    "EXPORTERS",
    "ExportError",
    "JsonBlockError",
    "JsonLdError",
    "KgError",
    "KnowledgeGraph",
    "PageError",
    "QueryError",
    "QuerySyntaxError",
    "QueryTimeout",
    "RemoteContextRefused",
    "RuleError",
    "SourceError",
    "StoreError",
    "build",
    "export",
    "open_graph",
    "open_store",
]


def __getattr__(name: str):
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'kg' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module_name}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # what type checkers and editors see
    from .build import build
    from .config import BuildConfig
    from .errors import (
        ExportError,
        JsonBlockError,
        JsonLdError,
        KgError,
        PageError,
        QueryError,
        QuerySyntaxError,
        QueryTimeout,
        RemoteContextRefused,
        RuleError,
        SourceError,
        StoreError,
    )
    from .export import EXPORTERS, export
    from .query import KnowledgeGraph, open_graph
    from .report import BuildReport
    from .store import open_store

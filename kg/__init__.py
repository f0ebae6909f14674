"""kg: build a queryable, visual knowledge graph from web pages that carry schema.org JSON-LD."""

from __future__ import annotations

__version__ = "0.1.0"

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

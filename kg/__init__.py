"""kg: build a queryable, visual knowledge graph from web pages that carry schema.org JSON-LD."""

from __future__ import annotations

from .build import build
from .config import BuildConfig
from .errors import ExportError, JsonBlockError, JsonLdError, KgError, PageError, RemoteContextRefused, SourceError, StoreError
from .export import EXPORTERS, export
from .report import BuildReport
from .store import open_store

__version__ = "0.1.0"

__all__ = [
    "BuildConfig",
    "BuildReport",
    "EXPORTERS",
    "ExportError",
    "JsonBlockError",
    "JsonLdError",
    "KgError",
    "PageError",
    "RemoteContextRefused",
    "SourceError",
    "StoreError",
    "build",
    "export",
    "open_store",
]

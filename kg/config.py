"""The one configuration object that travels through every stage of a build."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class BuildConfig:
    """What a build reads, where it writes, and what it may fetch.

    `context_files` maps a context URL to a local file; a URL ending in "/" maps
    every URL under it to the same relative path under a local folder.
    """

    output: Path = Path("output")
    context_files: dict[str, Path] = field(default_factory=dict)
    allow_remote_contexts: bool = False
    # Hosts a remote context may come from though they are not public (127.0.0.1, a LAN host).
    context_hosts: frozenset[str] = frozenset()
    remote_timeout: float = 10.0
    remote_max_bytes: int = 2_000_000
    base_url: str | None = None
    # Pages larger than this are refused rather than risk a runaway parse.
    max_page_bytes: int = 50_000_000
    # A page whose conversion runs longer than this is stopped and reported (0: no limit).
    page_seconds: float = 30.0

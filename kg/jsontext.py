"""JSON block parsing: strict first, then the repairs pages in the wild need, each with a warning."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from .errors import JsonBlockError

_HTML_COMMENT_EDGES = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f]")


@dataclass
class ParsedBlock:
    """One JSON block as parsed, with the repairs it needed."""

    data: Any
    warnings: list[str] = field(default_factory=list)


def _escape_controls(match: re.Match[str]) -> str:
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", match.group())


def _position(exc: json.JSONDecodeError) -> str:
    return f"line {exc.lineno} column {exc.colno}"


def parse_block(text: str) -> ParsedBlock:
    """Parse one JSON-LD block; raise JsonBlockError when no repair makes it JSON."""
    try:
        return ParsedBlock(orjson.loads(text))
    except orjson.JSONDecodeError:
        pass
    except RecursionError:
        raise JsonBlockError("JSON is nested too deeply to parse") from None

    warnings: list[str] = []
    repaired = text
    stripped = _HTML_COMMENT_EDGES.sub("", repaired)
    if stripped != repaired:
        warnings.append("repaired: removed HTML comment or CDATA markers around the block")
        repaired = stripped
    escaped = _JSON_STRING.sub(_escape_controls, repaired)
    if escaped != repaired:
        warnings.append("repaired: escaped control characters inside strings")
        repaired = escaped

    try:
        strict_error: json.JSONDecodeError | None = None
        data = json.loads(repaired)
        if warnings:
            return ParsedBlock(data, warnings)
    except json.JSONDecodeError as exc:
        strict_error = exc
    except RecursionError:
        raise JsonBlockError("JSON is nested too deeply to parse") from None
    else:
        # orjson refused but the standard parser accepted: NaN/Infinity or a
        # lone surrogate. Accept the standard reading, and say so.
        return ParsedBlock(data, ["repaired: accepted non-standard JSON numbers or escapes"])

    import json5  # only broken blocks pay for the slower, lenient parser

    try:
        data = json5.loads(repaired)
    except (ValueError, RecursionError):
        raise JsonBlockError(f"JSON does not parse: {strict_error.msg} at {_position(strict_error)}") from None
    warnings.append(f"repaired: trailing commas or comments ({strict_error.msg} at {_position(strict_error)})")
    return ParsedBlock(data, warnings)

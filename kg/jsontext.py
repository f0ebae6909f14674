"""JSON block parsing: strict first, then the repairs pages in the wild need, each with a warning."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import JsonBlockError, JsonLdError

# A comment with a note in it before or after the JSON ("<!-- Schema by a plugin --> {...}").
_LEADING_COMMENTS = re.compile(r"^\s*(?:<!--.*?-->\s*)+", re.DOTALL)
_TRAILING_COMMENTS = re.compile(r"(?:\s*<!--(?:(?!<!--).)*?-->)+\s*$", re.DOTALL)
# A statement's end after the JSON, as in JavaScript ("{...};"): never part of JSON.
_TRAILING_SEMICOLONS = re.compile(r"\s*;[\s;]*$")
_SEMICOLON_NOTE = "repaired: removed ';' after the JSON"
_HTML_COMMENT_EDGES = re.compile(r"^\s*(?:<!--|//\s*<!\[CDATA\[|<!\[CDATA\[)|(?:-->|//\s*\]\]>|\]\]>)\s*$")
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_CONTROL = re.compile(r"[\x00-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


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
    """Parse one JSON-LD block; JsonBlockError when no repair makes it JSON, JsonLdError when
    the JSON is not an object or array (JSON-LD documents are nothing else)."""
    parsed = _parse_json(text)
    if not isinstance(parsed.data, (dict, list)):
        # pyld would take a string for a document URL and try to load it.
        raise JsonLdError(f"invalid JSON-LD: the block is a JSON {_json_kind(parsed.data)}, not an object or array")
    return parsed


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, str):
        return "string"
    return "number"


class _NonStandard(Exception):
    """NaN or Infinity: the standard library accepts them, JSON does not."""


def _reject_constant(name: str) -> Any:
    raise _NonStandard(name)


def _strict(text: str) -> ParsedBlock:
    """Strict JSON, noting keys that an object repeats (JSON-LD keeps the last value)."""
    repeated: set[str] = set()

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            seen: set[str] = set()
            repeated.update(key for key, _ in items if key in seen or seen.add(key))
        return result

    data = json.loads(text, object_pairs_hook=pairs, parse_constant=_reject_constant)
    warnings = [f"duplicate key {key!r} in an object: the last value is kept" for key in sorted(repeated)]
    if _SURROGATE_ESCAPE.search(text):  # pairs decode to characters; a lone half stays a surrogate
        return _scrubbed(data, warnings)
    return ParsedBlock(data, warnings)


def _parse_json(text: str) -> ParsedBlock:
    if not text.strip():
        raise JsonBlockError("the block is empty")
    try:
        return _strict(text)
    except (ValueError, _NonStandard):
        pass
    except RecursionError:
        raise JsonBlockError("JSON is nested too deeply to parse") from None

    warnings: list[str] = []
    repaired = _without_comments(text)
    if repaired != text:
        warnings.append("repaired: removed HTML comments before or after the block")
    stripped = _HTML_COMMENT_EDGES.sub("", repaired)
    if stripped != repaired:
        warnings.append("repaired: removed HTML comment or CDATA markers around the block")
        repaired = stripped
    trimmed = _TRAILING_SEMICOLONS.sub("", repaired)
    if trimmed != repaired:
        warnings.append(_SEMICOLON_NOTE)
        repaired = trimmed
    escaped = _JSON_STRING.sub(_escape_controls, repaired)
    if escaped != repaired:
        warnings.append("repaired: escaped control characters inside strings")
        repaired = escaped

    try:
        strict_error: json.JSONDecodeError | None = None
        data = json.loads(repaired)
    except json.JSONDecodeError as exc:
        strict_error = exc
        extra = repaired[exc.pos :] if exc.msg == "Extra data" else ""
        if extra.strip() and not extra.strip("} \t\r\n"):
            # A closing brace too many after a complete value ("{...}};").
            try:
                data = json.loads(repaired[: exc.pos])
            except (ValueError, RecursionError):
                pass
            else:
                removed = extra.strip() + (";" if _SEMICOLON_NOTE in warnings else "")
                warnings = [w for w in warnings if w != _SEMICOLON_NOTE]
                warnings.append(f"repaired: removed {removed!r} after the JSON")
                return _scrubbed(data, warnings)
    except RecursionError:
        raise JsonBlockError("JSON is nested too deeply to parse") from None
    else:
        # The strict reading refused NaN/Infinity, or a repair above was needed.
        return _scrubbed(data, warnings, generic="repaired: accepted non-standard JSON numbers or escapes")

    import json5  # only broken blocks pay for the slower, lenient parser

    try:
        data = json5.loads(repaired)
    except (ValueError, RecursionError):
        raise JsonBlockError(f"JSON does not parse: {strict_error.msg} at {_position(strict_error)}") from None
    warnings.append(f"repaired: trailing commas or comments ({strict_error.msg} at {_position(strict_error)})")
    return _scrubbed(data, warnings)


def _without_comments(text: str) -> str:
    """`text` without whole HTML comments before or after the JSON: only where what is left
    then starts (or ends) as JSON does, so that a comment wrapped around the whole block
    ("<!-- {...} -->") is left to the edge markers' repair."""
    leading = _LEADING_COMMENTS.match(text)
    if leading and text[leading.end() :].lstrip()[:1] in ("{", "["):
        text = text[leading.end() :]
    trailing = _TRAILING_COMMENTS.search(text)
    if trailing and text[: trailing.start()].rstrip()[-1:] in ("}", "]", ";"):
        text = text[: trailing.start()]
    return text


def _scrubbed(data: Any, warnings: list[str], generic: str | None = None) -> ParsedBlock:
    """Data from a lenient parser, made storable: a lone surrogate (an unpaired \\ud800-\\udfff
    escape) is not Unicode and cannot be written as RDF, so it becomes U+FFFD."""
    found: set[str] = set()

    def scalar(value: Any) -> Any:
        if isinstance(value, str) and _SURROGATE.search(value):
            found.add("surrogate")
            return _SURROGATE.sub("\ufffd", value)
        if isinstance(value, float) and not math.isfinite(value):
            found.add("number")
        return value

    # An explicit stack, not recursion: the standard parser accepts deeper nesting than a
    # recursive walk would survive.
    holder = [data]
    stack: list[tuple[Any, Any]] = [(holder, 0)]
    while stack:
        parent, key = stack.pop()
        value = parent[key]
        if isinstance(value, dict):
            value = parent[key] = {scalar(name): item for name, item in value.items()}
            stack.extend((value, name) for name in value)
        elif isinstance(value, list):
            stack.extend((value, index) for index in range(len(value)))
        else:
            parent[key] = scalar(value)
    if "number" in found:
        warnings.append("repaired: accepted NaN or Infinity, which JSON does not allow")
    if "surrogate" in found:
        warnings.append("repaired: replaced unpaired surrogate escapes (not Unicode) with U+FFFD")
    if not warnings and generic:
        warnings.append(generic)
    return ParsedBlock(holder[0], warnings)

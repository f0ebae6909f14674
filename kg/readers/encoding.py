"""Which encoding an HTML page is in, as the HTML standard's encoding sniffing decides it.

The order: a byte order mark; the transport's charset when there is one (a WARC record's
HTTP Content-Type); a `<meta charset>` or `http-equiv` found by the standard's prescan of the
first 1,024 bytes; else UTF-8 when the bytes are UTF-8 and windows-1252 when not.

The prescan is written out here: w3lib's `html_body_declared_encoding` finds the first
`encoding=` of an XML declaration anywhere in the head of the body, so an inline SVG's
`<?xml ... encoding="iso-8859-1"?>` before `<meta charset="utf-8">` decided a whole page
(the standard skips `<?...>` like any other markup that is not a meta tag). w3lib still
maps encoding labels and reads the BOM and the HTTP header.
"""

from __future__ import annotations

import re

from w3lib.encoding import http_content_type_encoding, read_bom, resolve_encoding

PRESCAN_BYTES = 1024
# What browsers assume for an undeclared page that is not UTF-8 (the WHATWG legacy default).
LEGACY_ENCODING = "cp1252"
_SPACE = b"\t\n\x0c\r "
_XML_DECLARATION = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CONTENT_CHARSET = re.compile(rb"""charset\s*=\s*(?:"([^"]*)"?|'([^']*)'?|([^\s;"']+))""", re.IGNORECASE)


def decode_html(data: bytes, content_type: str | None = None, warnings: list[str] | None = None) -> str:
    """The page's text, decoded as the HTML standard sniffs its encoding; what needed saying goes to `warnings`."""
    warnings = warnings if warnings is not None else []
    bom_encoding, bom = read_bom(data)
    if bom_encoding:
        return data[len(bom) :].decode(bom_encoding, errors="replace")
    declared, where = None, ""
    if content_type:
        declared, where = http_content_type_encoding(content_type), "its HTTP header"
    if not declared:
        declared, where = declared_encoding(data), "the page"
    if not declared:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            warnings.append("no declared encoding and not UTF-8; read as windows-1252")
            return data.decode(LEGACY_ENCODING, errors="replace")
    try:
        return data.decode(declared)
    except UnicodeDecodeError:
        pass
    if declared != "utf-8":
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(
                f"the bytes are not {_named(declared)}, as {where} declares, but they are UTF-8; read as UTF-8"
            )
            return text
    warnings.append(f"bytes that are not {_named(declared)}, its declared encoding, were replaced by U+FFFD")
    return data.decode(declared, errors="replace")


def _named(encoding: str) -> str:
    """An encoding as the web names it (Python's cp1252 is the HTML standard's windows-1252)."""
    return {"cp1252": "windows-1252"}.get(encoding, encoding)


def declared_encoding(data: bytes) -> str | None:
    """The encoding the page declares: an XML declaration at its very start, else the standard's
    prescan of its first 1,024 bytes for a meta tag. A Python codec name, or None."""
    head = data[:PRESCAN_BYTES]
    if head.startswith(b"<?xml"):
        found = _XML_DECLARATION.match(head)
        if found:
            return _usable(found.group(1))
    return prescan(head)


def _usable(label: bytes) -> str | None:
    """The codec for an encoding label from a page; a page in bytes cannot declare UTF-16 of itself."""
    encoding = resolve_encoding(label.decode("ascii", "replace").strip())
    if encoding and encoding.startswith("utf-16"):
        return "utf-8"
    return encoding


def prescan(head: bytes) -> str | None:
    """The HTML standard's "prescan a byte stream to determine its encoding", over `head`."""
    position, end = 0, len(head)
    lower = head.lower()
    while position < end:
        if lower.startswith(b"<!--", position):
            close = head.find(b"-->", position + 2)
            if close < 0:
                return None
            position = close + 3
        elif lower.startswith(b"<meta", position) and position + 5 < end and head[position + 5] in _SPACE + b"/":
            position, encoding = _meta(head, position + 6)
            if encoding:
                return encoding
        elif (
            head.startswith(b"<", position)
            and position + 1 < end
            and (
                _letter(head[position + 1])
                or (head[position + 1] == 0x2F and position + 2 < end and _letter(head[position + 2]))
            )
        ):
            # Another tag: skip its name, then its attributes (a ">" inside a quoted value does not end it).
            while position < end and head[position] not in _SPACE + b">":
                position += 1
            while True:
                position, attribute = _attribute(head, position)
                if attribute is None:
                    break
        elif lower.startswith((b"<!", b"</", b"<?"), position):
            close = head.find(b">", position + 2)
            if close < 0:
                return None
            position = close + 1
        else:
            position += 1
    return None


def _letter(byte: int) -> bool:
    return 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def _meta(head: bytes, position: int) -> tuple[int, str | None]:
    """The attributes of one meta tag: the encoding it declares, if it declares one the standard accepts."""
    seen: set[bytes] = set()
    got_pragma, need_pragma, charset = False, None, None
    while True:
        position, attribute = _attribute(head, position)
        if attribute is None:
            break
        name, value = attribute
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv" and value.lower() == b"content-type":
            got_pragma = True
        elif name == b"content" and charset is None:
            found = _CONTENT_CHARSET.search(value)
            if found:
                charset = _usable(next(group for group in found.groups() if group is not None))
                need_pragma = True
        elif name == b"charset":
            charset, need_pragma = _usable(value), False
    if need_pragma is None or (need_pragma and not got_pragma) or charset is None:
        return position, None
    return position, (LEGACY_ENCODING if charset == "x-user-defined" else charset)


def _attribute(head: bytes, position: int) -> tuple[int, tuple[bytes, bytes] | None]:
    """The standard's "get an attribute": (where the scan goes on, (name, value) or None at the tag's end)."""
    end = len(head)
    while position < end and head[position] in _SPACE + b"/":
        position += 1
    if position >= end or head[position] == 0x3E:  # ">"
        return position + 1, None
    name = bytearray()
    while position < end:
        byte = head[position]
        if byte == 0x3D and name:  # "=" after a name
            position += 1
            break
        if byte in _SPACE:
            while position < end and head[position] in _SPACE:
                position += 1
            if position < end and head[position] == 0x3D:
                position += 1
                break
            return position, (bytes(name).lower(), b"")
        if byte in b"/>":
            return position, (bytes(name).lower(), b"")
        name.append(byte)
        position += 1
    while position < end and head[position] in _SPACE:
        position += 1
    if position >= end:
        return position, (bytes(name).lower(), b"")
    if head[position] in b"\"'":
        quote = head[position]
        close = head.find(bytes([quote]), position + 1)
        if close < 0:
            return end, (bytes(name).lower(), head[position + 1 :])
        return close + 1, (bytes(name).lower(), head[position + 1 : close])
    if head[position] == 0x3E:
        return position, (bytes(name).lower(), b"")
    start = position
    while position < end and head[position] not in _SPACE + b">":
        position += 1
    return position, (bytes(name).lower(), head[start:position])

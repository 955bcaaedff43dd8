"""Byte-level edits of FCS files."""

from __future__ import annotations

import re


def replace_keyword(content: bytes, key: str, value: str) -> bytes:
    """Replace the value of `key` in the first TEXT (delimiter taken from its first byte)."""
    start = content[10:18].strip()
    if not start.isdigit() or int(start) >= len(content):
        return content
    delimiter = re.escape(content[int(start) : int(start) + 1])
    pattern = delimiter + re.escape(key.encode()) + delimiter + b"([^" + delimiter + b"]*)"
    match = re.search(pattern, content, flags=re.IGNORECASE)
    if match is None:
        return content
    return content[: match.start(1)] + value.encode() + content[match.end(1) :]

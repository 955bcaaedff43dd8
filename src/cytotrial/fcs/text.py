"""TEXT segment: delimiter-separated keyword/value pairs.

FCS rule: the first byte is the delimiter; a doubled delimiter inside a keyword or value is
an escaped literal, so values are never empty. Real files break this in three known ways,
all tolerated here and reported as notes:

* padding (spaces, NULs, or one extra delimiter as in Accuri C6) after the final
  delimiter, inside the TEXT end offset;
* empty values written as a doubled delimiter (Attune "$COM//$SMNO//", CellQuest
  "Analysis Doc.\\\\"): the file is then read with every delimiter as a separator, but only
  when the FCS reading gives broken pairs and this reading gives clean ones;
* a missing final delimiter (a TEXT cut off, as in sample_header.fcs): the pairs before
  it are kept and the last value is flagged as possibly cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "parse_text",
    "ParsedText",
]

_PADDING = " \x00\r\n\t"
_STANDARD_KEYWORD = re.compile(r"\$[A-Z0-9]{1,24}")


@dataclass(frozen=True)
class ParsedText:
    """Keywords (upper-cased keys, '$' kept) and what the parser had to decide."""

    keywords: dict[str, str]
    notes: tuple[str, ...]


@dataclass(frozen=True)
class _Tokens:
    items: list[str]
    terminated: bool  # the text ended with a separator

    def clean(self, delimiter: str) -> bool:
        keys = self.items[0::2]
        return (
            self.terminated
            and len(self.items) % 2 == 0
            and all(key.strip() and delimiter not in key for key in keys)
        )


def _decode_text(raw: bytes) -> str:
    """UTF-8 (FCS 3.1), else Latin-1, which never fails (older files use 8-bit code pages)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def parse_text(raw: bytes, segment: str = "TEXT") -> ParsedText:
    """Parse a TEXT (or supplemental TEXT) segment into keywords.

    Returns an empty keyword dict when the segment holds no key/value pair; the caller
    decides whether that is an error.
    """
    text = _decode_text(raw)
    if len(text) < 2:
        return ParsedText({}, (f"{segment} segment is empty",))
    delimiter, body = text[0], text[1:]
    notes: list[str] = []
    stripped = body.rstrip(_PADDING.replace(delimiter, ""))
    if len(stripped) < len(body) and stripped.endswith(delimiter):
        body = stripped  # padding after the final delimiter, inside the TEXT end offset
    tokens, note = _best_reading(body, delimiter, segment)
    if note:
        notes.append(note)
    keywords = _pairs(tokens, segment, notes)
    return ParsedText(keywords, tuple(notes))


def _best_reading(body: str, delimiter: str, segment: str) -> tuple[_Tokens, str]:
    """The FCS reading if it gives clean pairs, else the first non-standard one that does."""
    standard = _split_escaped(body, delimiter)
    if standard.clean(delimiter) or delimiter * 2 not in body:
        return standard, ""
    readings = []
    if body.endswith(delimiter * 2):  # Accuri C6: "/lastvalue//"
        readings.append(
            (
                _split_escaped(body[:-1], delimiter),
                f"{segment} ends with a doubled delimiter; read the extra one as padding",
            )
        )
    readings.append(
        (
            _split_every(body, delimiter),
            f"{segment} holds empty values written as a doubled delimiter "
            "(not allowed by FCS 3.1); read them as empty values",
        )
    )
    for tokens, note in readings:
        if tokens.clean(delimiter):
            return tokens, note
    return standard, ""


def _split_escaped(body: str, delimiter: str) -> _Tokens:
    """FCS reading: a run of 2k delimiters is k literals; an odd run also separates."""
    items: list[str] = []
    current = ""
    terminated = False
    for index, part in enumerate(re.split(f"({re.escape(delimiter)}+)", body)):
        if index % 2 == 0:
            current += part
            terminated = terminated and not part
            continue
        current += delimiter * (len(part) // 2)
        terminated = len(part) % 2 == 1
        if terminated:
            items.append(current)
            current = ""
    if current:
        items.append(current)
    return _Tokens(items, terminated)


def _split_every(body: str, delimiter: str) -> _Tokens:
    """Non-standard reading: every delimiter separates (a doubled one is an empty value)."""
    items = body.split(delimiter)
    terminated = body.endswith(delimiter)
    if terminated:
        items.pop()
    return _Tokens(items, terminated)


def _pairs(tokens: _Tokens, segment: str, notes: list[str]) -> dict[str, str]:
    items = list(tokens.items)
    if len(items) % 2 == 1:
        dangling = items.pop().strip()
        notes.append(f"{segment} ends with {_named(dangling)} without a value; ignored it")
    elif not tokens.terminated and items:
        notes.append(
            f"{segment} segment does not end with its delimiter (cut off?); the value of "
            f"{_named(items[-2].strip().upper())} may be incomplete"
        )
    keywords: dict[str, str] = {}
    repeated: set[str] = set()
    for key, value in zip(items[0::2], items[1::2], strict=True):
        name = key.strip().upper()
        if name in keywords:
            repeated.add(name)
        keywords[name] = value  # the last one wins, as in flowio and fcsparser
    if repeated:
        listed = sorted(_named(name) for name in repeated)
        notes.append(f"{segment} repeats {', '.join(listed[:10])}; kept the last value")
    return keywords


def _named(token: str) -> str:
    """Quote standard ($) keyword names only: in a misaligned TEXT a 'keyword' may really
    be a value such as a patient name ($SRC), which a note must never repeat."""
    if _STANDARD_KEYWORD.fullmatch(token):
        return f"keyword {token}"
    return "a non-standard keyword"

"""How a table cell's text may wrap, so that no table is wider than the page.

A table's narrowest width is set by its longest unbreakable piece of text. Code tokens
(flag lists such as 'cohort_outlier(cut leukocytes CD45 vs batch ...)', column values such
as cd38_mfi_median_compensated_untransformed) may wrap after _ ; , / and |, and any run
longer than MAX_RUN characters (a SHA-256) every MAX_RUN characters; words never break
elsewhere, so numbers stay whole.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

MAX_RUN = 24
_SPACES = re.compile(r"(\s+)")
_AFTER_SEPARATOR = re.compile(r"(?<=[_;,/|])")


def _pieces(word: str) -> list[str]:
    pieces = []
    for part in _AFTER_SEPARATOR.split(word):
        pieces += [part[i : i + MAX_RUN] for i in range(0, len(part), MAX_RUN)] or [""]
    return pieces


def breakable(text: object) -> Markup:
    """`text` escaped, with a line-break opportunity (<wbr>) after _ ; , / | and every
    MAX_RUN characters of an unbroken run; the visible text is unchanged."""
    out = []
    for chunk in _SPACES.split(str(text)):
        if not chunk or chunk.isspace():
            out.append(str(escape(chunk)))
        else:
            out.append("<wbr>".join(str(escape(piece)) for piece in _pieces(chunk)))
    return Markup("".join(out))

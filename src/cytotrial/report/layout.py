"""How a table cell's text may wrap, so that no table is wider than the page.

A table's narrowest width is set by its longest unbreakable piece of text. A word longer
than MAX_RUN characters (flag lists such as 'cohort_outlier(cut leukocytes CD45 vs batch
...)', cd38_mfi_median_compensated_untransformed, a SHA-256) may wrap after _ ; , / and |,
and every MAX_RUN characters of a longer run; shorter words (sample IDs, numbers) never
break, and stay searchable as written in the HTML.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = [
    "MAX_RUN",
    "breakable",
    "column_groups",
    "fills_page",
    "prints_short",
    "is_number_text",
    "is_token_text",
    "pick",
    "print_widths",
    "squeeze_widths",
]

MAX_RUN = 16
# Pixels a table may take at 1,400 px beside the contents, and what a character (of the
# smallest table font, 0.64rem: a digit is 0.64em wide) and a cell's padding take.
PAGE_PX, CHAR_PX, CELL_PX = 1100, 6.6, 8
# A heading's letter (bold, capitals and wide letters such as 'm' and 'w'): 0.7 em.
HEAD_CHAR_PX = 7.2
_SPACES = re.compile(r"(\s+)")
_AFTER_SEPARATOR = re.compile(r"(?<=[_;,/|])")


def _pieces(word: str) -> list[str]:
    if len(word) <= MAX_RUN:  # short words stay whole (sample IDs, numbers, subsets)
        return [word]
    pieces = []
    for part in _AFTER_SEPARATOR.split(word):
        pieces += [part[i : i + MAX_RUN] for i in range(0, len(part), MAX_RUN)] or [""]
    return pieces


def breakable(text: object) -> Markup:
    """`text` escaped; in a word longer than MAX_RUN characters, a line-break opportunity
    (<wbr>) after _ ; , / | and every MAX_RUN characters; the visible text is unchanged."""
    out = []
    for chunk in _SPACES.split(str(text)):
        if not chunk or chunk.isspace():
            out.append(str(escape(chunk)))
        else:
            out.append("<wbr>".join(str(escape(piece)) for piece in _pieces(chunk)))
    return Markup("".join(out))


def _narrowest_columns(rows: Sequence[Sequence[str]], headings: Sequence[str] = ()) -> list[float]:
    """Pixels each column needs at its narrowest: its longest unbreakable piece (at most
    MAX_RUN characters) of a cell, or of its heading (bold: wider letters), and the cell's
    padding. A heading wraps only between words, so its longest word sets a floor."""
    width = len(rows[0]) if rows else len(headings)
    widest = [3 * CHAR_PX] * width
    for row in rows:
        for index, cell in enumerate(row):
            widest[index] = max(widest[index], _longest_piece(cell) * CHAR_PX)
    for index, heading in enumerate(list(headings)[:width]):
        widest[index] = max(widest[index], _longest_piece(heading) * HEAD_CHAR_PX)
    return [pixels + CELL_PX for pixels in widest]


def _longest_piece(text: object) -> int:
    return max((len(p) for w in str(text).split() for p in _pieces(w)), default=0)


# A whole number written with thousands separators (report.model shows 20,000 events).
_THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+$")


def _is_number(text: str) -> bool:
    if _THOUSANDS.match(text):
        return True
    try:
        float(text)
    except ValueError:
        return text == ""
    return True


def is_number_text(text: object) -> bool:
    """True for a cell that is a number written out ('5.684e-14', '-1035'; not '')."""
    return bool(str(text).strip()) and _is_number(str(text).strip())


def is_token_text(text: object) -> bool:
    """True for a cell that is one short unbreakable piece: an ID, a P value ('<.001'), a
    single word ('Hematologic'), at most MAX_RUN characters; print never breaks it."""
    value = str(text).strip()
    return bool(value) and len(value) <= MAX_RUN and not any(c.isspace() for c in value)


def squeeze_widths(rows: Sequence[Sequence[str]], headings: Sequence[str] = ()) -> list[str]:
    """[] when the table fits the page by itself; else each column's CSS width: a column
    of numbers keeps the pixels it needs (and its heading's longest word), the text
    columns share the rest (the table is laid out fixed at the page's width, and their
    cells' words may break anywhere). The last resort, for tables of many columns:
    numbers are never broken."""
    needs = _narrowest_columns(rows, headings)
    if sum(needs) <= PAGE_PX:
        return []
    numeric = [all(_is_number(row[i]) for row in rows) for i in range(len(needs))]
    if sum(n for n, number in zip(needs, numeric, strict=True) if number) > 0.8 * PAGE_PX:
        # Even the numbers do not fit: every column its share (a number may then wrap).
        return [f"{100 * need / sum(needs):.2f}%" for need in needs]
    return [f"{need:.0f}px" if number else "" for need, number in zip(needs, numeric, strict=True)]


def column_groups(
    rows: Sequence[Sequence[str]], headings: Sequence[str], key_columns: int = 1
) -> list[list[int]]:
    """The column indexes of each part a table is shown in: one part (every column) when
    it fits the page at its narrowest; else parts that each fit, in column order, each
    starting with the `key_columns` leading columns that name a row. Squeezing 25 columns
    into one page broke headings inside their words ('Signi-ficance'); a heading's words
    are whole in a part."""
    needs = _narrowest_columns(rows, headings)
    if sum(needs) <= PAGE_PX:
        return [list(range(len(needs)))]
    keys = list(range(min(max(key_columns, 0), len(needs) - 1)))
    groups: list[list[int]] = []
    current: list[int] = []
    width = sum(needs[i] for i in keys)
    for index in range(len(keys), len(needs)):
        if current and width + needs[index] > PAGE_PX:
            groups.append(keys + current)
            current, width = [], sum(needs[i] for i in keys)
        current.append(index)
        width += needs[index]
    groups.append(keys + current)
    return groups


def pick(items: Sequence, indexes: Sequence[int]) -> list:
    """The items at `indexes`, in that order (a row's cells of one part of a table)."""
    return [items[i] for i in indexes]


# A printed portrait page's table width in characters of the 8-pt table font (186 mm at
# about 1.55 mm an average character; digits are wider, so a column of numbers may wrap
# where the model says it fits: 100 gave the demo's paper check a page more and Table 1
# no fewer wrapped cells), and a cell's padding and border.
PRINT_CHARS, PRINT_PAD_CHARS = 120, 1.7
MAX_TARGETS = 24  # widths tried per column and step (time grows with rows x tries)


def print_widths(rows: Sequence[Sequence[str]], headings: Sequence[str] = ()) -> list[str]:
    """Each column's share of a printed long table's width (CSS percentages), chosen to
    print the fewest lines: every column starts at its longest unbreakable piece (and its
    heading's longest word); the rest of the width goes, step by step, to the widening
    that saves the most lines per character (a row is as tall as its tallest cell).
    A browser's own layout gives each column room for its longest cell, so a notes
    column empty on most rows took the width a name column needed on every row (the
    paper check printed 3-line rows)."""
    import numpy as np

    if not rows:
        return []
    lengths = np.array([[len(str(cell)) for cell in row] for row in rows], dtype=float)
    widths = np.array([need / CHAR_PX for need in _narrowest_columns(rows, headings)])
    # text characters, padding apart; +10%: IDs and capitals are wider than the average
    widths = np.maximum(widths - CELL_PX / CHAR_PX, 1.0) * 1.1

    def lines(w: np.ndarray) -> float:
        return float(np.maximum(np.ceil(lengths / w), 1).max(axis=1).sum())

    room = PRINT_CHARS - len(widths) * PRINT_PAD_CHARS
    while True:
        now, free = lines(widths), room - widths.sum()
        best, best_rate = None, 0.0
        for index in range(len(widths)):
            # Widths at which one of the column's cells needs a line fewer.
            targets = sorted({math.ceil(n / k) for n in lengths[:, index] for k in (1, 2, 3, 4)})
            if len(targets) > MAX_TARGETS:  # a long table: evenly spaced candidates
                targets = [targets[i * len(targets) // MAX_TARGETS] for i in range(MAX_TARGETS)]
            for target in targets:
                extra = target - widths[index]
                if 0 < extra <= free:
                    wider = widths.copy()
                    wider[index] = target
                    rate = (now - lines(wider)) / extra  # lines saved per character
                    if rate > best_rate:
                        best, best_rate = (index, target), rate
        if best is None:
            break  # no widening saves a line: the rest is shared in proportion below
        widths[best[0]] = best[1]
    # A column's share holds its padding too: shares of the text widths alone left the
    # narrowest columns too little room for their longest word ('flagge|d').
    padded = widths + PRINT_PAD_CHARS
    return [f"{100 * w / padded.sum():.1f}%" for w in padded]


# A printed table fills the page's width (shared by print_widths) when it is long, or when
# one of its cells is a paragraph: a browser's own layout would squeeze the other columns
# (sample IDs broken in two beside a flag list).
PARAGRAPH_CHARS = 60


def prints_short(rows: Sequence[Sequence[str]], short_lines: int, long_cell: int) -> bool:
    """True for a table short enough in print to keep whole on one page: its rows take at
    most `short_lines` lines, a row as many as its longest cell at PARAGRAPH_CHARS a line
    (a cell longer than `long_cell` prints only its start). Why lines, not rows: 25 rows of
    flag lists run over a page and, kept whole, leave the page before them blank."""
    lines = 0
    for row in rows:
        longest = min(max((len(str(cell)) for cell in row), default=0), long_cell)
        lines += max(1, math.ceil(longest / PARAGRAPH_CHARS))
    return lines <= short_lines


def fills_page(rows: Sequence[Sequence[str]], long_rows: int) -> bool:
    """True for a table to print at the page's width: more than `long_rows` rows, or a
    cell longer than PARAGRAPH_CHARS characters."""
    return len(rows) > long_rows or any(
        len(str(cell)) > PARAGRAPH_CHARS for row in rows for cell in row
    )

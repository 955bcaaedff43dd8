"""A printed long table's column widths: the fewest printed lines, every word whole."""

from __future__ import annotations

import math

from cytotrial.report.layout import PRINT_CHARS, print_widths


def printed_lines(rows, shares):
    chars = [PRINT_CHARS * float(s.rstrip("%")) / 100 for s in shares]
    return sum(
        max(math.ceil(len(c) / w) or 1 for c, w in zip(row, chars, strict=True)) for row in rows
    )


def test_a_column_long_on_every_row_gets_more_than_one_long_on_a_few():
    item = "Thalidomide, refractory [Prior IMiD, n (%)], Part A (n=63)"
    rows = [[item, "count", "11", ""] for _ in range(95)]
    rows += [[item, "count", "11", "the results text: Figure 1's legend differs " * 3]] * 5
    shares = print_widths(rows, ["Item", "Kind", "Paper", "Note"])
    item_share, note_share = float(shares[0][:-1]), float(shares[3][:-1])
    assert item_share > note_share
    assert abs(sum(float(s[:-1]) for s in shares) - 100) < 0.5
    # Fewer lines than widths in proportion to each column's longest cell (the browser's).
    longest = [max(len(r[i]) for r in rows) for i in range(4)]
    by_longest = [f"{100 * n / sum(longest):.1f}%" for n in longest]
    assert printed_lines(rows, shares) < printed_lines(rows, by_longest)
    assert item_share * PRINT_CHARS / 100 >= len(item)  # the item prints on one line


def test_no_column_is_narrower_than_its_longest_word():
    rows = [["a", "cd38_mfi_median_compensated"]] * 30
    shares = print_widths(rows, ["Name", "Value"])
    assert float(shares[1][:-1]) * PRINT_CHARS / 100 >= 16  # MAX_RUN characters


def test_a_narrow_column_keeps_its_word_and_its_padding_beside_a_paragraph():
    """A 7-letter status beside a flag list: its share holds the word and the cell's
    padding (shares of the text widths alone printed 'flagge|d')."""
    from cytotrial.report.layout import PRINT_PAD_CHARS

    rows = [["PT030_A_C1D1", "flagged", "too few events (CD14: 0; gate left empty) " * 4]] * 30
    shares = print_widths(rows, ["Sample", "Status", "Status reason"])
    for share, word in zip(shares, ("PT030_A_C1D1", "flagged"), strict=False):
        assert float(share[:-1]) * PRINT_CHARS / 100 >= len(word) + PRINT_PAD_CHARS


def test_long_tables_and_tables_with_a_paragraph_cell_fill_the_printed_page():
    from cytotrial.report.layout import fills_page

    assert fills_page([["a", "b"]] * 26, long_rows=25)
    assert not fills_page([["a", "b"]] * 25, long_rows=25)
    assert fills_page([["PT011_B_EOT", "cohort outlier (% of parent lymphocytes) " * 3]], 25)


def test_a_table_prints_short_by_its_lines_not_its_rows():
    from cytotrial.report.layout import PARAGRAPH_CHARS, prints_short

    one_line = ["PT011_B_EOT", "x" * PARAGRAPH_CHARS]
    assert prints_short([one_line] * 25, short_lines=25, long_cell=300)
    assert not prints_short([one_line] * 26, short_lines=25, long_cell=300)
    # 25 rows of 290-character flag lists print some 125 lines: not kept whole
    assert not prints_short([["PT011_B_EOT", "x" * 290]] * 25, short_lines=25, long_cell=300)
    assert prints_short([["PT011_B_EOT", "x" * 290]] * 5, short_lines=25, long_cell=300)
    # a cell over long_cell prints only its start: it counts as long_cell characters
    assert prints_short([["x" * 5000]] * 5, short_lines=25, long_cell=300)
    assert prints_short([], short_lines=25, long_cell=300)

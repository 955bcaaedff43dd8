"""How wide a figure prints (report.print_layout): never below 8-pt text; which two
figures print side by side on a landscape page."""

from __future__ import annotations

import pytest

from cytotrial.io.figure_text import MIN_TEXT_KEY
from cytotrial.report.print_layout import (
    LANDSCAPE_HEIGHT_IN,
    LANDSCAPE_WIDTH_IN,
    PORTRAIT_HEIGHT_IN,
    PORTRAIT_WIDTH_IN,
    PrintBox,
    css_string,
    needs_landscape,
    print_rows,
    print_width_in,
    side_by_side,
)


def _png(path, width_px: int, min_text_px: str | None):
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if min_text_px is not None:
        info.add_text(MIN_TEXT_KEY, min_text_px)
    Image.new("RGB", (width_px, 100), "white").save(path, pnginfo=info)
    return path


def test_a_figure_with_8_pt_text_prints_at_its_own_size(tmp_path):
    # 8 pt at 150 dpi is 16.6667 px: 1,080 px print 7.2 in, never shrunk.
    assert print_width_in(_png(tmp_path / "a.png", 1080, "16.6667")) == pytest.approx(7.2, abs=1e-3)


def test_larger_text_may_shrink_to_8_pt_and_no_further(tmp_path):
    # 12-pt text (25 px): 1,500 px (10 in) may print at 10 x 8/12 = 6.67 in.
    assert print_width_in(_png(tmp_path / "b.png", 1500, "25")) == pytest.approx(6.667, abs=1e-3)


def test_small_or_unrecorded_text_is_never_enlarged(tmp_path):
    # 6-pt text stays as drawn (the screen test reports it), as does a PNG without the
    # record or without text.
    assert print_width_in(_png(tmp_path / "c.png", 900, "12.5")) == pytest.approx(6.0)
    assert print_width_in(_png(tmp_path / "d.png", 900, None)) == pytest.approx(6.0)
    assert print_width_in(_png(tmp_path / "e.png", 900, "nan")) == pytest.approx(6.0)


def test_too_wide_for_portrait_goes_landscape():
    assert pytest.approx(7.323, abs=1e-3) == PORTRAIT_WIDTH_IN
    assert pytest.approx(10.748, abs=1e-3) == LANDSCAPE_WIDTH_IN
    assert not needs_landscape(7.25)
    assert needs_landscape(7.4)


def test_css_string_cannot_end_the_string_or_the_style_element():
    assert css_string("NCT02751255") == '"NCT02751255"'
    quoted = str(css_string('a"b</style>\\'))
    assert quoted.count('"') == 2 and "<" not in quoted and "\\00005c" in quoted


# A by-group Kaplan-Meier figure as the demo prints it (5.25 x 5.66 in, a 330-character
# caption) and a single-curve one (6.56 x 4.44 in, 250 characters).
BY_GROUP = PrintBox(5.25, 5.66, 330)
SINGLE = PrintBox(6.56, 4.44, 250)


def test_two_tall_narrow_figures_print_side_by_side_on_a_landscape_page():
    # One above the other they overflow a portrait page: each printed alone on one.
    assert BY_GROUP.height_with_caption(PORTRAIT_WIDTH_IN) * 2 > PORTRAIT_HEIGHT_IN
    assert side_by_side(BY_GROUP, BY_GROUP)
    assert BY_GROUP.height_with_caption(BY_GROUP.width_in) <= LANDSCAPE_HEIGHT_IN


def test_figures_that_share_a_portrait_page_or_do_not_fit_beside_each_other_stay_apart():
    assert not side_by_side(SINGLE, SINGLE)  # too wide to stand side by side
    narrow = PrintBox(5.0, 3.5, 200)  # narrow enough, but two share a portrait page
    assert not side_by_side(narrow, narrow)
    assert not side_by_side(PrintBox(6.56, 6.11, 330), BY_GROUP)  # too wide together
    assert not side_by_side(PrintBox(5.0, 6.9, 330), BY_GROUP)  # too tall for landscape
    assert not side_by_side(PrintBox(7.4, 6.0, 100), PrintBox(2.0, 6.0, 100))  # landscape


class _Figure:
    def __init__(self, name: str, box: PrintBox) -> None:
        self.name, self.print_box = name, box


def test_print_rows_pair_consecutive_figures_first_come_first():
    figures = [_Figure(n, b) for n, b in
               (("2E", SINGLE), ("3A", BY_GROUP), ("S5", BY_GROUP), ("3B", BY_GROUP))]  # fmt: skip
    rows = print_rows(figures)
    assert [[f.name for f in row] for row in rows] == [["2E"], ["3A", "S5"], ["3B"]]
    assert print_rows([]) == []

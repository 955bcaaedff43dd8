"""Figure text as a reader sees it: no figure's smallest text below 8 pt as displayed.

Each PNG records its smallest text height in image pixels (cytotrial.io.figure_text); the
report writes it on the <img> (data-min-text-px); headless Chromium, 1,400 px wide, gives
each image's displayed and natural widths, and the displayed size in pt follows.
"""

from __future__ import annotations

import pytest
from helpers.browser import open_report

from cytotrial.io.figure_text import MIN_READABLE_PT, read_min_text_px, smallest_text_pt
from cytotrial.io.results import save_figure
from cytotrial.report.model import ReportFigure, ReportSection
from cytotrial.report.render import render_report

# Per image: its alt text, the recorded px ("unknown" / "no-text" / a number), and the
# smallest text in pt as displayed (null where nothing is recorded).
DISPLAYED_TEXT_JS = """
return [...document.images].map(img => {
  const px = img.dataset.minTextPx;
  const shown = img.clientWidth;  // content width, without the border
  const pt = isNaN(parseFloat(px)) ? null : parseFloat(px) * shown / img.naturalWidth * 0.75;
  return [img.alt, px === undefined ? 'unknown' : px, pt];
});
"""


def unreadable_figures(browser) -> list[str]:  # noqa: F811
    """Every image whose smallest text is below 8 pt as displayed, or not recorded."""
    problems = []
    for alt, px, pt in browser.execute_script(DISPLAYED_TEXT_JS):
        if px == "no-text":
            continue
        if pt is None:
            problems.append(f"{alt}: smallest text size not recorded ({px})")
        elif pt < MIN_READABLE_PT:
            problems.append(f"{alt}: smallest text {pt:.1f} pt as displayed")
    return problems


def _figure(path, width_in: float, font_pt: float):
    from cytotrial.clinical.figures.common import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(width_in, 3.6))
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=font_pt)
    ax.set_title("title", fontsize=font_pt + 3)
    save_figure(fig, path.with_suffix(".png"), path.with_suffix(".svg"))
    return path.with_suffix(".png")


def test_smallest_text_is_recorded_in_the_png(tmp_path):
    from cytotrial.clinical.figures.common import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title("t", fontsize=12)
    ax.tick_params(labelsize=9)
    ax.text(0.5, 0.5, "small", fontsize=6.5)
    ax.text(0.5, 0.2, "", fontsize=2)  # empty: not text a reader sees
    ax.text(0.5, 0.1, "hidden", fontsize=3, visible=False)
    assert smallest_text_pt(fig) == 6.5
    png = _figure(tmp_path / "f", 4, 9)
    assert read_min_text_px(png) == pytest.approx(9 * 150 / 72, abs=0.01)


def test_figure4_like_panels_fail_and_a_page_wide_figure_passes(browser, tmp_path):  # noqa: F811
    """Today's Figure 4: 13 in at 150 dpi (1,950 px) with 6-pt medians, shown at most
    ~1,150 px wide, is below 8 pt; a 7.5-in figure with 8-pt text is not. A PNG without
    the record fails too: every figure must be checked."""
    from PIL import Image

    wide = _figure(tmp_path / "wide", 13.0, 6.0)
    page = _figure(tmp_path / "page", 7.5, 8.0)
    bare = tmp_path / "bare.png"
    Image.new("RGB", (300, 200), "white").save(bare)
    section = ReportSection(
        "Figures",
        "figures",
        figures=[
            ReportFigure("wide", wide),
            ReportFigure("page", page),
            ReportFigure("bare", bare),
        ],
    )
    out = tmp_path / "report.html"
    render_report([section], {}, out)
    open_report(browser, out)
    problems = unreadable_figures(browser)
    assert [p.split(":")[0] for p in problems] == ["wide", "bare"], problems
    shown = {alt: pt for alt, _, pt in browser.execute_script(DISPLAYED_TEXT_JS)}
    assert shown["wide"] < 6.0  # 6 pt x 1.5625 px/pt-per-CSS-px x < 0.6 scale
    assert shown["page"] >= MIN_READABLE_PT


@pytest.mark.slow
def test_demo_report_figures_are_readable(browser, demo):  # noqa: F811
    from cytotrial.report.pages import gating_page_path

    report = demo / "results/report/cytotrial_report.html"
    open_report(browser, report)
    assert browser.execute_script("return document.images.length") >= 15
    assert unreadable_figures(browser) == []
    open_report(browser, gating_page_path(report))  # the audit plots' own page
    assert browser.execute_script("return document.images.length") >= 1
    assert unreadable_figures(browser) == []

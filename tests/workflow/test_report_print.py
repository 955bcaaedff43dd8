"""The printed report (PDF): figure text >= 8 pt as printed, a running header and footer.

Printed size is measured as a reader gets it: pdfimages -list gives each image's placed
resolution (ppi); the PNG records its smallest text height in px (figure_text), written
on the <img> as data-min-text-px, so the smallest text prints at px / ppi x 72 pt. The
images are matched to the <img>s in document order; an image split over two pages (or
left out) breaks that match and fails the test too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from helpers.browser import CHROMIUM
from helpers.report_layout_checks import pdf_raw_pages

from cytotrial.io.figure_text import MIN_READABLE_PT
from cytotrial.io.results import save_figure
from cytotrial.report.header import ReportHeader
from cytotrial.report.model import ReportFigure, ReportSection
from cytotrial.report.render import render_report

pytestmark = pytest.mark.skipif(
    not (CHROMIUM and shutil.which("pdfimages") and shutil.which("pdftotext")),
    reason="chromium and poppler-utils (pdfimages, pdftotext) are needed",
)

BANNER = "SIMULATED DATA - demo"


def printed_figures(html: Path, pdf: Path) -> list[tuple[str, int, float | None]]:
    """Per <img> of `html` in order: its alt text, the PDF page it prints on and its
    smallest text in pt as printed (None: the figure has no text)."""
    img = r'<img src="[^"]*" alt="([^"]*)" data-min-text-px="([^"]*)"'
    images = re.findall(img, html.read_text())
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    placed = [(int(f[0]), float(f[12])) for f in (line.split() for line in listing)]
    # pdfimages also lists soft masks (smask): not a placed image of their own.
    placed = [p for p, line in zip(placed, listing, strict=True) if line.split()[2] == "image"]
    assert len(placed) == len(images), (
        f"{len(images)} figures in the HTML, {len(placed)} images in the PDF "
        "(a figure split over pages, or missing)"
    )
    out = []
    for (alt, px), (page, ppi) in zip(images, placed, strict=True):
        assert px not in ("unknown", ""), f"{alt}: smallest text size not recorded"
        out.append((alt, page, None if px == "no-text" else float(px) / ppi * 72))
    return out


def small_print(html: Path, pdf: Path) -> list[str]:
    """Every figure whose smallest text prints below 8 pt."""
    return [
        f"{alt}: {pt:.1f} pt on page {page}"
        for alt, page, pt in printed_figures(html, pdf)
        if pt is not None and pt < MIN_READABLE_PT - 0.05
    ]


def _figure(path: Path, width_in: float, height_in: float, font_pt: float) -> Path:
    from cytotrial.clinical.figures.common import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(width_in, height_in))
    ax.plot([0, 1], [0, 1])
    ax.tick_params(labelsize=font_pt)
    ax.set_title("title", fontsize=font_pt + 2)
    save_figure(fig, path.with_suffix(".png"), path.with_suffix(".svg"))
    return path.with_suffix(".png")


def _figures_report(
    tmp_path: Path, sizes_in: dict[str, tuple[float, float]], caption: str
) -> tuple[Path, Path]:
    """A report of one section with a figure per name (width, height in inches; 8-pt text);
    returns the rendered HTML's path and where its PDF goes."""
    figures = [
        ReportFigure(name, _figure(tmp_path / name.replace(" ", "_"), w, h, 8), caption)
        for name, (w, h) in sizes_in.items()
    ]
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    section = ReportSection("Figures", "figures", figures=figures)
    render_report([section], {}, html, header=ReportHeader(trial_id="NCT0000", simulated=True))
    return html, pdf


def page_sizes(pdf: Path) -> list[tuple[float, float]]:
    out = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+)", out)
    return [(float(w), float(h)) for w, h in sizes]


def test_figures_print_at_8_pt_wide_ones_on_landscape_pages(tmp_path):
    """A page-wide figure (7.2 in) prints at its own size, a 9-in one on a landscape page:
    both keep 8-pt text. A 12-in figure is wider than even a landscape page and prints
    shrunk: the check must see it (the old layout shrank 9-in figures to 4.4 pt)."""
    from cytotrial.report.pdf import html_to_pdf

    sizes_in = {"page": (7.2, 4.0), "wide": (9.0, 4.0), "too wide": (12.0, 4.0)}
    html, pdf = _figures_report(tmp_path, sizes_in, caption="")
    html_to_pdf(html, pdf)
    shown = {alt: (page_no, pt) for alt, page_no, pt in printed_figures(html, pdf)}
    assert shown["page"][1] == pytest.approx(8.0, abs=0.05)
    assert shown["wide"][1] == pytest.approx(8.0, abs=0.05)
    assert shown["too wide"][1] < 7.5
    assert [p.split(":")[0] for p in small_print(html, pdf)] == ["too wide"]
    sizes = page_sizes(pdf)
    assert sizes[shown["page"][0] - 1][0] < sizes[shown["page"][0] - 1][1]  # portrait
    assert sizes[shown["wide"][0] - 1][0] > sizes[shown["wide"][0] - 1][1]  # landscape


def test_two_tall_narrow_figures_print_side_by_side_on_a_landscape_page(tmp_path):
    """Two figures too tall to share a portrait page (5.2 x 5.5 in at 8-pt text) print
    side by side on one landscape page, whole, at their own size; a page-wide one after
    them gets a portrait page of its own."""
    from cytotrial.report.pdf import html_to_pdf

    sizes_in = {"left": (5.25, 5.5), "right": (5.25, 5.5), "after": (7.2, 4.0)}
    html, pdf = _figures_report(tmp_path, sizes_in, caption="A caption. " * 25)
    assert html.read_text().count('<div class="figure-pair">') == 1
    html_to_pdf(html, pdf)
    shown = {alt: (page_no, pt) for alt, page_no, pt in printed_figures(html, pdf)}
    assert shown["left"][0] == shown["right"][0] != shown["after"][0]
    assert small_print(html, pdf) == []
    sizes = page_sizes(pdf)
    width, height = sizes[shown["left"][0] - 1]
    assert width > height  # landscape
    width, height = sizes[shown["after"][0] - 1]
    assert width < height  # portrait


def running_lines_missing(pdf: Path, trial: str, simulated: bool) -> list[str]:
    """Pages whose first line lacks the trial (and the banner when simulated) or whose
    last line lacks 'page N of M' (N its number, M the page count)."""
    pages = pdf_raw_pages(pdf)
    problems = []
    for number, lines in enumerate(pages, start=1):
        top, bottom = (lines[0], lines[-1]) if lines else ("", "")
        if f"Trial {trial}" not in top or (BANNER in top) != simulated:
            problems.append(f"page {number} header: {top.strip()!r}")
        if not bottom.rstrip().endswith(f"page {number} of {len(pages)}"):
            problems.append(f"page {number} footer: {bottom.strip()!r}")
        if (BANNER in bottom) != simulated:
            problems.append(f"page {number} footer banner: {bottom.strip()!r}")
    return problems


@pytest.mark.parametrize("simulated", [True, False])
def test_every_page_has_the_running_header_and_footer(tmp_path, simulated):
    from cytotrial.report.model import ReportTable
    from cytotrial.report.pdf import html_to_pdf

    # Sections follow each other on the page: tables long enough for several pages.
    long = pd.DataFrame({"a": range(120)})
    sections = [
        ReportSection(f"Section {k}", f"s{k}", tables=[ReportTable("T", long, "t.csv")])
        for k in range(3)
    ]
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    # A trial ID with a quote and '<': printed as written, the style sheet intact.
    trial = 'NCT"1<2'
    render_report(sections, {}, html, header=ReportHeader(trial_id=trial, simulated=simulated))
    html_to_pdf(html, pdf)
    assert len(pdf_raw_pages(pdf)) >= 4  # the contents, three long tables, the provenance
    assert running_lines_missing(pdf, trial, simulated) == []


@pytest.mark.slow
def test_demo_pdf_figures_and_running_lines(demo, tmp_path):
    """The demo report printed: no figure's text below 8 pt, the simulated-data banner,
    the trial and the page number on every page."""
    from cytotrial.report.pdf import html_to_pdf

    html = demo / "results/report/cytotrial_report.html"
    pdf = tmp_path / "report.pdf"
    html_to_pdf(html, pdf)
    figures = printed_figures(html, pdf)
    assert len(figures) >= 15
    assert small_print(html, pdf) == []
    # The Kaplan-Meier figures by part A response print two to a landscape page (one to
    # a portrait page left a third of each blank).
    page = {alt.split(".")[0]: number for alt, number, _ in figures}
    sizes = page_sizes(pdf)
    for left, right in (("Figure 3A", "Figure S5"), ("Figure 3B", "Figure S6")):
        assert page[left] == page[right], (left, right, page)
        width, height = sizes[page[left] - 1]
        assert width > height, f"{left}: page {page[left]} is not landscape"
    assert running_lines_missing(pdf, "NCT02751255", simulated=True) == []


def test_input_checksums_print_as_one_digest_of_the_download(tmp_path):
    """Hundreds of per-file hashes would fill pages of a printout: the PDF names the
    download holding them and prints the SHA-256 of that download; the screen keeps the
    table (folded) and its download."""
    import hashlib

    from cytotrial.report.model import Provenance, ReportTable
    from cytotrial.report.pdf import html_to_pdf

    hashes = [hashlib.sha256(str(k).encode()).hexdigest() for k in range(120)]
    frame = pd.DataFrame(
        {"input": [f"FCS of sample S{k}" for k in range(120)], "file": "", "sha256": hashes}
    )
    checksums = ReportTable("Input files", frame, "input_checksums.csv", n="n = 120 input files")
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    render_report([], {}, html, provenance=Provenance(checksums=checksums))
    html_to_pdf(html, pdf)
    text = "".join("".join(lines) for lines in pdf_raw_pages(pdf))
    flat = re.sub(r"\s+", "", text)
    assert not [h for h in hashes if h[:16] in flat]  # no per-file hash printed
    assert hashlib.sha256(checksums.csv_bytes).hexdigest() in flat
    assert "input_checksums.csv" in text and "report.html" in text
    # On screen the table and its download are still there, every hash in it.
    page = html.read_text().replace("<wbr>", "")
    assert all(h in page for h in hashes)


def test_sections_follow_each_other_after_the_printed_contents(tmp_path):
    """Page 1 holds the printed contents (every section, in order) and the sections after
    them as far as they fit (a page break after the contents left page 1 half blank);
    a short section takes no page of its own (a page per section left pages 85% blank
    after a short one)."""
    from cytotrial.report.model import ReportTable
    from cytotrial.report.pdf import html_to_pdf

    table = ReportTable("T", pd.DataFrame({"a": [1]}), "t.csv")
    sections = [
        ReportSection("Tables one", "one", tables=[table]),
        ReportSection("Text only", "text", paragraphs=["A paragraph."]),
        ReportSection("Tables two", "two", tables=[table]),
    ]
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    render_report(sections, {}, html, show_provenance=False)
    html_to_pdf(html, pdf)
    pages = ["\n".join(lines) for lines in pdf_raw_pages(pdf)]
    assert len(pages) == 1
    contents, end = pages[0].index("Contents"), pages[0].index("Tables two")
    assert contents < pages[0].index("Tables one") < pages[0].index("Text only") < end
    body = pages[0][end + len("Tables two") :]  # the sections, after the contents' list
    assert body.index("Tables one") < body.index("Text only") < body.index("Tables two")


def _page_of(pages: list[str], text: str) -> int:
    return next(number for number, page in enumerate(pages, start=1) if text in page)


def test_a_section_of_text_starts_below_what_comes_before(tmp_path):
    """A section opening on more than a page of paragraphs (the methods) starts where
    the page before ends, its lines breaking across pages; kept whole it moved to the
    next page and left a third of the page before blank."""
    from cytotrial.report.model import ReportTable
    from cytotrial.report.pdf import html_to_pdf

    rows = pd.DataFrame({"sample": [f"ROW{k:02d}" for k in range(15)]})
    paragraph = "Words of the methods section, one after another. " * 25
    sections = [
        ReportSection("Samples", "one", tables=[ReportTable("T", rows, "t.csv")]),
        ReportSection("Methods", "methods", paragraphs=[paragraph] * 8),
    ]
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    render_report(sections, {}, html, show_provenance=False)
    html_to_pdf(html, pdf)
    pages = ["\n".join(lines) for lines in pdf_raw_pages(pdf)]
    assert _page_of(pages, "ROW14") == _page_of(pages, "Words of the methods")


def test_a_few_rows_of_paragraph_cells_break_between_rows(tmp_path):
    """A table of a few rows whose cells are paragraphs (flag lists) can be taller than a
    page: it starts below the table before it, breaking between rows, instead of moving
    whole to the next page (which left 61% of the page before blank)."""
    from cytotrial.report.model import ReportTable
    from cytotrial.report.pdf import html_to_pdf

    first = ReportTable(
        "First table", pd.DataFrame({"a": [f"A{k:02d}" for k in range(15)]}), "a.csv"
    )
    flags = [
        f"FLAG{k} " + "a flag of the sample, with its numbers 1.23 and 4.56; " * 12
        for k in range(12)
    ]
    second = ReportTable(
        "Flagged samples", pd.DataFrame({"sample": range(12), "flags": flags}), "f.csv"
    )
    section = ReportSection("Gating QC", "qc", tables=[first, second])
    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    render_report([section], {}, html, show_provenance=False)
    html_to_pdf(html, pdf)
    pages = ["\n".join(lines) for lines in pdf_raw_pages(pdf)]
    assert _page_of(pages, "A14") == _page_of(pages, "Flagged samples") == _page_of(pages, "FLAG0")
    assert all(f"FLAG{k}" in "".join(pages) for k in range(12))

"""The report's layout as a reader meets it in headless Chromium and in print (issue 18).

A synthetic report holds what broke the old layout: a table of 200 rows, Table 1's 65
rows, a 30-column table of code names and SHA-256 sums, and a cell holding a long list of
flags. Each check was seen to fail on the previous template (fixed-height scroll boxes,
no print styles): rows hidden without a control, a page 2,000+ px wide at 1,400 px, and a
PDF missing the rows the scroll box hid.
"""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from helpers.browser import CHROMIUM, open_report
from helpers.report_layout_checks import (
    captions_without_n,
    header_word_breaks,
    hidden_after_opening_all,
    hidden_without_control,
    pdf_pages,
    pdf_text,
    section_titles,
    sideways,
    visible_ascii_symbols,
)

from cytotrial.report.header import ReportHeader
from cytotrial.report.labels import flag_text
from cytotrial.report.model import ReportFigure, ReportSection, ReportTable
from cytotrial.report.render import render_report

LONG_FLAGS = "; ".join(
    f"cohort_outlier(% of parent monocytes_scatter vs cohort part A C1D1: {i}.92, median "
    f"15.29, range 7.341-99.92, z 26.{i})"
    for i in range(40)
)
# As the table shows it: the flag and population codes in words (report.labels).
SHOWN_FLAGS = flag_text(LONG_FLAGS)


def synthetic_sections() -> list[ReportSection]:
    long = pd.DataFrame(
        {"sample_id": [f"ROW{i:03d}_B_C1D1" for i in range(200)], "events": range(200)}
    )
    table1 = pd.DataFrame({"characteristic": [f"T1ROW{i:02d}" for i in range(65)], "n": 1})
    wide = pd.DataFrame(
        {
            **{f"pct_of_parent_gate_number_{i}": [99.123456, 1.5] for i in range(28)},
            # a long code name in a column without a value mapping: shown as written
            "note": ["cd38_mfi_median_compensated_untransformed"] * 2,
            "significance_changes": ["False", "True"],
            "sha256": ["ab" * 32] * 2,
        }
    )
    flags = pd.DataFrame({"sample_id": ["S1", "S2"], "left_out": [LONG_FLAGS, "none"]})
    return [
        ReportSection("Long table", "long", tables=[ReportTable("Every row", long, "l.csv")]),
        ReportSection("Table one", "t1", tables=[ReportTable("Table 1", table1, "t1.csv")]),
        ReportSection("Wide table", "wide", tables=[ReportTable("Wide", wide, "w.csv")]),
        ReportSection("Flag lists", "flags", tables=[ReportTable("Flags", flags, "f.csv")]),
    ]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    out = tmp_path_factory.mktemp("layout") / "report.html"
    render_report(synthetic_sections(), {}, out)
    return out


def test_no_table_hides_rows_or_text_without_a_control(browser, synthetic):  # noqa: F811
    open_report(browser, synthetic)
    assert hidden_without_control(browser) == []
    # A 65-row table (the paper's Table 1) is shown whole, not folded.
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#t1 tbody tr')].filter(r => r.offsetParent).length"
    )
    assert rows == 65
    # Every control opens what it hides.
    assert hidden_after_opening_all(browser) == []


def test_the_control_states_how_many_rows_it_shows(browser, synthetic):  # noqa: F811
    open_report(browser, synthetic)
    text = browser.execute_script("return document.querySelector('#long').innerText")
    assert "Show all 200 rows" in text
    assert "ROW000_B_C1D1" in text and "ROW199_B_C1D1" not in text  # folded on screen


def test_print_shows_every_row_and_says_where_cut_text_is(browser, synthetic):  # noqa: F811
    open_report(browser, synthetic)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        script = (
            "return [...document.querySelectorAll('tbody tr')].filter(r => !r.offsetParent).length"
        )
        assert browser.execute_script(script) == 0  # every row, without touching a control
        assert hidden_without_control(browser) == []  # a cut cell says where its text is
        notes = browser.execute_script(
            "return [...document.querySelectorAll('#flags td')].map(td => td.innerText)"
        )
        expected = f"Shown in part ({len(SHOWN_FLAGS)} characters)"
        assert any(expected in note and "f.csv" in note for note in notes), notes
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_nothing_is_wider_than_the_page_at_1400_px(browser, synthetic):  # noqa: F811
    assert browser.get_window_size()["width"] == 1400
    open_report(browser, synthetic)
    assert sideways(browser) == []
    # The SHA-256 and code names are whole in the text (wrapping adds no characters).
    cells = browser.execute_script(
        "return [...document.querySelectorAll('#wide td')].map(td => td.textContent)"
    )
    assert "ab" * 32 in cells and "cd38_mfi_median_compensated_untransformed" in cells


def test_headings_break_only_between_words(browser, synthetic):  # noqa: F811
    """A 31-column table squeezed into the page broke its headings inside words
    ('Signi-ficance', 'num-ber'); shown in parts, each heading's words are whole."""
    open_report(browser, synthetic)
    assert header_word_breaks(browser) == []
    parts = browser.execute_script(
        "return [...document.querySelectorAll('#wide table')].map(t => "
        "[...t.querySelectorAll('th')].map(th => th.textContent))"
    )
    assert len(parts) > 1  # too wide for one: parts, each naming its rows
    assert all(part[0] == "% of parent gate number 0" for part in parts)
    shown = [h for part in parts for h in part[1:]] + parts[0][:1]
    assert sorted(shown) == sorted(browser.execute_script(
        "return [...new Set([...document.querySelectorAll('#wide th')].map(th => th.textContent))]"
    ))  # fmt: skip
    # Every row of every part is there, and the checker sees a broken heading.
    assert browser.execute_script("return document.querySelectorAll('#wide tbody tr').length") == (
        2 * len(parts)
    )
    browser.execute_script(
        "const th = document.querySelector('#wide th');"
        "th.style.width = '20px'; th.style.overflowWrap = 'anywhere';"
        "th.closest('table').style.tableLayout = 'fixed';"
    )
    assert header_word_breaks(browser)


def test_pdf_first_page_holds_the_header_and_the_contents_then_the_first_section(tmp_path):
    """Page 1: the header and the printed contents (every section, in order); page 2 opens
    with the first section, its heading with its tall figure (the patient flow, 1,087 x
    1,115 px at 150 dpi, 7.2 x 7.4 in), not a heading left behind on page 1."""
    from PIL import Image

    from cytotrial.report.pdf import html_to_pdf

    if not (CHROMIUM and shutil.which("pdftotext")):
        pytest.skip("chromium and pdftotext are needed")
    png = tmp_path / "flow.png"
    Image.new("RGB", (1087, 1115), "white").save(png)
    figure = ReportFigure("Figure 1. Patient flow", png, "Boxes.", n="n = 63 patients")
    first = ReportSection("Patient flow", "flow", figures=[figure])
    second = ReportSection("Baseline", "baseline", notes=["A note."])
    html = tmp_path / "report.html"
    header = ReportHeader(
        trial_id="NCT02751255",
        populations=["Part A, n = 63", "Part B at RP2D, n = 44"],
        simulated=True,
    )
    render_report([first, second], {}, html, header=header)
    pdf = tmp_path / "report.pdf"
    html_to_pdf(html, pdf)
    pages = pdf_pages(pdf)
    assert "NCT02751255" in pages[0] and "Contents" in pages[0]
    assert pages[0].index("1. Patient flow") < pages[0].index("2. Baseline"), pages[0]
    assert "Figure 1. Patient flow. n = 63" not in pages[0]  # the contents list it by number
    assert pages[1].startswith("Patient flow") and "Figure 1. Patient flow" in pages[1], pages[:2]


def test_headings_are_labels_and_csv_keeps_code_names(browser, synthetic):  # noqa: F811
    open_report(browser, synthetic)
    headings = browser.execute_script(
        "return [...document.querySelectorAll('#long th')].map(th => [th.textContent, th.title])"
    )
    assert headings == [["Sample", "CSV column: sample_id"], ["Events", "CSV column: events"]]
    html = synthetic.read_text()
    assert ">sample_id<" not in html  # no code name as a heading


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
def test_pdf_has_every_section_every_row_and_whole_cells(browser, synthetic, tmp_path):  # noqa: F811
    from cytotrial.report.pdf import html_to_pdf

    if not CHROMIUM:
        pytest.skip("chromium (Debian package) is not installed")
    open_report(browser, synthetic)
    titles = section_titles(browser)
    pdf = tmp_path / "report.pdf"
    html_to_pdf(synthetic, pdf)
    text = pdf_text(pdf)
    assert [t for t in titles if t not in text] == []
    assert [f"ROW{i:03d}_B_C1D1" for i in range(200) if f"ROW{i:03d}_B_C1D1" not in text] == []
    assert "T1ROW64" in text
    # The long cell prints its first lines and where its full text is.
    assert "z 26.0)" in text and f"Shown in part ({len(SHOWN_FLAGS)} characters)" in text
    pages = pdf_pages(pdf)
    # Page 1 lists every section in order (the printed contents); the sections follow
    # each other on the page, none ends a page with its heading alone; the long table's
    # header repeats on each of its pages.
    contents = pages[0]
    at = [contents.find(title) for title in titles]
    assert -1 not in at and at == sorted(at), (titles, contents)
    assert [p for p in pages[1:] if any(p.endswith(title) for title in titles)] == []
    long_pages = [p for p in pages if "_B_C1D1" in p]
    assert len(long_pages) >= 2 and all("Sample Events" in p for p in long_pages)


def cross_page_links(driver) -> dict[str, list[str]]:
    """Anchors the open page links to on other pages of the report, by target file."""
    hrefs = driver.execute_script(
        "return [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))"
        ".filter(h => !h.startsWith('#') && !h.startsWith('data:'))"
    )
    links: dict[str, list[str]] = {}
    for href in hrefs:
        target, _, anchor = href.partition("#")
        links.setdefault(target, []).append(anchor)
    return links


def page_ids(driver) -> set[str]:
    return set(
        driver.execute_script("return [...document.querySelectorAll('[id]')].map(e => e.id)")
    )


def check_demo_report(driver, report_dir, tmp_path) -> dict:
    """The demo's two pages as a reader meets them; returns what it measured."""
    from cytotrial.report.pdf import html_to_pdf

    main = report_dir / "cytotrial_report.html"
    gating = report_dir / "cytotrial_report_gating.html"
    measured = {"main_mb": round(main.stat().st_size / 1e6, 2)}
    assert measured["main_mb"] < 5, measured
    links, ids = {}, {}
    for page in (main, gating):
        open_report(driver, page)
        assert sideways(driver) == [], page.name
        assert header_word_breaks(driver) == [], page.name
        assert hidden_without_control(driver) == [], page.name
        links[page.name], ids[page.name] = cross_page_links(driver), page_ids(driver)
        measured[f"{page.stem}_height_px"] = driver.execute_script(
            "return document.documentElement.scrollHeight"
        )
        if page == main:
            header = driver.execute_script("return document.querySelector('header').innerText")
            assert "NCT02751255" in header and "2020-10-01" in header and "n = 44" in header
            assert driver.execute_script("return !!document.getElementById('simulated-data')")
            # Every table and figure states its n; >=, <=, uL, m2 read as ≥, ≤, µL, m².
            assert captions_without_n(main.read_text()) == []
            assert visible_ascii_symbols(main.read_text()) == []
            titles = section_titles(driver)
    # Linked both ways, to nothing else, and every anchor linked exists on its page.
    assert set(links[main.name]) == {gating.name} and set(links[gating.name]) == {main.name}
    for page, other in ((main, gating), (gating, main)):
        missing = [a for a in links[page.name][other.name] if a and a not in ids[other.name]]
        assert missing == [], (page.name, missing)
    pdf = tmp_path / "demo.pdf"
    html_to_pdf(main, pdf, timeout_s=900)
    pages = pdf_pages(pdf)
    assert [t for t in titles if t not in " ".join(pages)] == []
    assert "NCT02751255" in pages[0] and titles[0] in pages[0]  # not the header alone
    measured["pdf_pages"] = len([p for p in pages if p])
    return measured


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) missing")
def test_demo_report_pages_read_and_print_whole(browser, demo, tmp_path):  # noqa: F811
    if not CHROMIUM:
        pytest.skip("chromium (Debian package) is not installed")
    check_demo_report(browser, demo / "results/report", tmp_path)

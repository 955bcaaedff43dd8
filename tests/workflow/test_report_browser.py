"""The report as a person sees it: rendered by headless Chromium.

Debian's `chromium` and `chromium-driver` (installed by .ci/run) are driven through
Selenium with the driver given explicitly, so nothing is downloaded. Checks: every
image decoded, the key headings in the paper's order, numbers present, no request
leaves the file (Chromium's network log), every in-page link has its target, and
hostile strings in IDs show as text, never as markup.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from helpers.browser import CHROMIUM, open_report

from cytotrial.report.model import ReportFigure, ReportSection, ReportTable
from cytotrial.report.render import render_report

# The sections of the merged report, in the paper's order (issue: patient flow ...
# provenance).
SECTION_ORDER = [
    "Patient flow",
    "Baseline characteristics and dose escalation",
    "Efficacy",
    "Survival",
    "Safety",
    "Subsequent therapy",
    "Flow cytometry",
    "Gating QC",
    "Methods",
    "Provenance",
]
HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><script>document.title='pwned'</script>"


def broken_images(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
        ".map(i => i.alt)"
    )


def dangling_links(browser) -> list[str]:
    """In-page links whose target id does not exist."""
    return browser.execute_script(
        "return [...document.querySelectorAll('a[href^=\"#\"]')]"
        ".map(a => decodeURIComponent(a.getAttribute('href').slice(1)))"
        ".filter(id => !document.getElementById(id))"
    )


def outside_requests(urls: list[str], report: Path) -> list[str]:
    own = report.resolve().as_uri()
    return [u for u in urls if not (u.startswith("data:") or u.split("#")[0] == own)]


def screenshot_is_not_blank(browser, out: Path) -> bool:
    from PIL import Image

    browser.save_screenshot(str(out))
    with Image.open(io.BytesIO(out.read_bytes())) as image:
        colours = image.convert("L").getextrema()
    return colours[1] - colours[0] > 100


def test_hostile_strings_render_as_text(browser, tmp_path):
    """IDs, channel names and keywords can never become markup or script."""
    from PIL import Image

    png = tmp_path / "plot.png"
    Image.new("RGB", (40, 30), "navy").save(png)
    frame = pd.DataFrame({"sample_id": [HOSTILE, "S2"], "channel": ["FITC-A", HOSTILE]})
    section = ReportSection(
        f"Samples {HOSTILE}",
        "samples",
        tables=[ReportTable(HOSTILE, frame, "t.csv", HOSTILE, "sample_id", "plot-")],
        notes=[HOSTILE],
        figures=[
            ReportFigure(HOSTILE, png, HOSTILE, anchor=f"plot-{HOSTILE}"),
            ReportFigure("S2", png, anchor="plot-S2", compact=True),
        ],
    )
    out = tmp_path / "report.html"
    render_report([section], {"sample_sheet": HOSTILE}, out, title=HOSTILE)
    requests = open_report(browser, out)
    assert browser.title == HOSTILE  # the literal text, not the injected 'pwned'
    assert browser.execute_script("return document.scripts.length") == 0
    assert browser.execute_script("return document.images.length") == 2
    cells = browser.execute_script(
        "return [...document.querySelectorAll('td')].map(td => td.textContent)"
    )
    assert cells.count(HOSTILE) == 2
    assert broken_images(browser) == []
    assert dangling_links(browser) == []
    assert outside_requests(requests, out) == []


@pytest.mark.slow
def test_demo_report_in_chromium(browser, demo, tmp_path):
    report = demo / "results/report/cytotrial_report.html"
    requests = open_report(browser, report)

    assert broken_images(browser) == []
    assert browser.execute_script("return document.images.length") >= 15
    assert outside_requests(requests, report) == []
    assert dangling_links(browser) == []
    headings = browser.execute_script(
        "return [...document.querySelectorAll('h2')].map(h => h.textContent.trim())"
    )
    positions = [headings.index(title) for title in SECTION_ORDER]
    assert positions == sorted(positions), headings
    text = browser.execute_script("return document.body.innerText")
    # Numbers a reader checks first: the paper's cohort and the primary endpoint.
    qc = pd.read_csv(demo / "results/flow/sample_qc.tsv", sep="\t")
    for sample in qc["sample_id"].head(5):
        assert sample in text
    assert "Wilcoxon matched-pairs" in text
    assert "SHA-256" in text
    assert "workflow commit" in text
    assert screenshot_is_not_blank(browser, tmp_path / "report.png")


def test_report_prints_to_pdf(tmp_path):
    from cytotrial.report.pdf import html_to_pdf

    if not CHROMIUM:
        pytest.skip("chromium (Debian package) is not installed")
    html = tmp_path / "report.html"
    frame = pd.DataFrame({"sample_id": ["S1"], "events": [20000]})
    render_report(
        [ReportSection("Samples", "samples", [ReportTable("T", frame, "t.csv")])], {}, html
    )
    pdf = tmp_path / "report.pdf"
    html_to_pdf(html, pdf)
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF-")
    assert b"/Type /Page" in content or b"/Type/Page" in content
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []

"""The printed contents: every section in order with the figures and tables it holds."""

from __future__ import annotations

import pandas as pd
from helpers.report_config import default_config

from cytotrial.report.contents import figure_refs, printed_contents
from cytotrial.report.model import ReportFigure, ReportSection, ReportTable
from cytotrial.report.render import render_report


def test_figure_numbers_and_a_long_series_as_its_range():
    titles = ["Figure 2B. PFS-B", "Figure 2C. OS-B", "not a figure", "Figure S7. Forest"]
    assert figure_refs(titles) == ["2B", "2C", "S7"]
    audit = [f"Figure S10.{k}. Gating audit plot, PT{k:03d}" for k in range(1, 272)]
    assert figure_refs(audit) == ["S10.1-S10.271"]
    assert figure_refs(audit[:2]) == ["S10.1", "S10.2"]  # a short series one by one


def test_the_printed_contents_list_every_section_and_print_on_page_one(tmp_path):
    png = tmp_path / "f.png"
    from PIL import Image

    Image.new("RGB", (4, 4), "white").save(png)
    table = ReportTable("Table 2. Adverse events", pd.DataFrame({"a": [1]}), "t.csv")
    sections = [
        ReportSection("Survival", "s", figures=[ReportFigure("Figure 2B. PFS-B", png)]),
        ReportSection("Safety", "a", tables=[table]),
        ReportSection("Methods", "m", paragraphs=["text"]),
    ]
    entries = printed_contents(sections, provenance=True)
    assert [(e.number, e.title, e.holds) for e in entries] == [
        (1, "Survival", "Figure 2B"),
        (2, "Safety", "Table 2"),
        (3, "Methods", ""),
        (4, "Provenance", ""),
    ]
    out = tmp_path / "report.html"
    render_report(sections, default_config(), out)
    html = out.read_text()
    nav = html[html.index('<nav class="print-only print-contents"') : html.index("<main>")]
    assert nav.count("<li>") == 4 and "Figure 2B" in nav and "Table 2" in nav

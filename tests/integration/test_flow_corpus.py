"""Real files from other projects through the per-sample analysis (issue: flow branch, item 5).

Every corpus file that flowio reads must pass through reading and QC without an
unhandled exception. None of them carries this trial's panel, so each must end
as "panel_mismatch" with the missing channels named, and a QC record.
"""

from __future__ import annotations

import csv

import pytest
from helpers.paths import REPO, SHARED

from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.sample.analysis import analyse_sample
from cytotrial.io.panel import read_panel

CORPUS = SHARED / "data" / "fcs-corpus"


def flowio_readable() -> list[str]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with open(manifest, newline="", encoding="utf-8") as handle:
        return [
            row["path"]
            for row in csv.DictReader(handle, delimiter="\t")
            if row["flowio_result"].startswith("OK")
        ]


FILES = flowio_readable()


@pytest.mark.skipif(not FILES, reason=f"{CORPUS} not found: ../shared is not beside this clone")
@pytest.mark.parametrize("relative", FILES)
def test_real_file_reads_and_ends_as_panel_mismatch(relative):
    panel = read_panel(REPO / "resources/panel.yaml")
    template = read_gating_template(REPO / "resources/gating/pbmc_cd38.yaml")
    result = analyse_sample("corpus", CORPUS / relative, panel, template, keep_plot_data=False)
    assert result.status == "panel_mismatch", f"{result.status}: {result.reason}"
    assert "panel channel(s) missing from the file:" in result.reason
    assert "APC-A" in result.reason or "BV510-A" in result.reason
    assert result.qc is not None, "QC runs on every readable file, before the panel check"
    assert len(result.file_sha256) == 64

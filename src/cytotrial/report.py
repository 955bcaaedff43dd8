"""The merged HTML report: one self-contained file (CSS and data embedded).

Every table is rendered through Jinja's autoescaping (sample IDs, channel names
and other user-supplied strings can never inject markup) and can be downloaded
as CSV from a data: link, so the file works offline from a USB stick.
"""

from __future__ import annotations

import base64
import datetime as dt
import importlib.metadata
import platform
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml
from jinja2 import Environment, PackageLoader, select_autoescape

from cytotrial.atomic import write_text_atomic

REPORTED_PACKAGES = (
    "cytotrial",
    "snakemake",
    "numpy",
    "pandas",
    "scipy",
    "flowio",
    "flowkit",
    "lifelines",
    "matplotlib",
    "jinja2",
)


@dataclass
class ReportTable:
    """A table in the report, with the file name it downloads as."""

    title: str
    frame: pd.DataFrame
    csv_name: str
    caption: str = ""

    @property
    def csv_data_uri(self) -> str:
        payload = self.frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
        return "data:text/csv;base64," + base64.b64encode(payload).decode("ascii")

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.frame.columns]

    @property
    def rows(self) -> list[list[str]]:
        return [[_cell(v) for v in row] for row in self.frame.itertuples(index=False)]


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass
class ReportFigure:
    """A PNG embedded in the report as a data: URI."""

    title: str
    png: str | Path
    caption: str = ""

    @property
    def data_uri(self) -> str:
        payload = base64.b64encode(Path(self.png).read_bytes()).decode("ascii")
        return "data:image/png;base64," + payload


@dataclass
class ReportSection:
    """A titled section holding figures, tables and short notes."""

    title: str
    anchor: str
    tables: list[ReportTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: list[ReportFigure] = field(default_factory=list)


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results."""
    versions = {"python": platform.python_version()}
    for name in REPORTED_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def render_report(
    sections: list[ReportSection],
    config: dict,
    out_path: str | Path,
    title: str = "cytotrial report",
) -> None:
    """Render the report to `out_path` (written atomically)."""
    env = Environment(
        loader=PackageLoader("cytotrial", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        keep_trailing_newline=True,
    )
    html = env.get_template("report.html.j2").render(
        title=title,
        sections=sections,
        config_yaml=yaml.safe_dump(config, sort_keys=True),
        versions=package_versions(),
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    write_text_atomic(out_path, html)


# Flow figures the report embeds, by input name of the report rule.
FIGURES = ("mfi_A", "mfi_B", "counts_A", "counts_B", "mfi_paired", "counts_paired")
PAIRED_CAPTION = (
    "One line per patient with both samples (red: rose, blue: fell); n pairs and the "
    "Wilcoxon matched-pairs P per panel."
)
FIGURE4_CAPTION = (
    "A dot per patient; red: median and IQR (Prism quartiles), median printed under each "
    "timepoint; grey lines join a patient's samples; stars: Wilcoxon matched-pairs, two-sided "
    "(* <= .05, ** <= .01, *** <= .001, **** <= .0001, ns). MFI = median of compensated, "
    "untransformed CD38 values."
)
TESTS_CAPTION = (
    "Wilcoxon matched-pairs signed-rank test, two-sided, on patients with both samples; zero "
    "differences dropped; exact P below 200 pairs (ties included), as GraphPad Prism."
)


def _read_result(path: str | Path) -> pd.DataFrame:
    return pd.read_csv(
        path,
        sep="\t",
        dtype={"sample_id": str, "patient_id": str, "batch": str},
        keep_default_na=False,
        na_values=[""],
    )


def build_report(
    clinical: list[ReportSection],
    samples_per_timepoint: str | Path,
    sample_inventory: str | Path,
    flow_populations: str | Path,
    sample_qc: str | Path,
    mfi_tests: str | Path,
    count_tests: str | Path,
    figures: dict[str, str | Path],
    config: dict,
    out_path: str | Path,
) -> None:
    """Assemble the report: clinical sections in the paper's order, then flow and QC.

    `clinical` comes from `cytotrial.clinical.report_sections.clinical_sections`; its
    first section is the patient flow, followed here by the cohort overview.
    """
    inventory = _read_result(sample_inventory)
    qc = _read_result(sample_qc)
    failed = qc[qc["status"] != "ok"]
    problems = inventory[inventory["problem"].fillna("") != ""]
    overview = ReportSection(
        "Cohort overview",
        "overview",
        tables=[
            ReportTable(
                "Flow cytometry samples per part and timepoint",
                _read_result(samples_per_timepoint),
                "samples_per_timepoint.csv",
                "Samples in the sample sheet per part x timepoint, distinct patients, files "
                "whose FCS header could be read, and their median event count.",
            ),
        ],
    )
    samples = ReportSection(
        "Samples",
        "samples",
        tables=[
            ReportTable(
                "Sample inventory",
                inventory,
                "sample_inventory.csv",
                "One row per FCS file: sheet fields and what the file's header says.",
            )
        ],
        notes=[f"{len(problems)} sample(s) with a problem: see the 'problem' column."]
        if len(problems)
        else [],
    )
    flow = ReportSection(
        "Flow cytometry",
        "flow",
        figures=[
            ReportFigure(f"CD38 MFI, part {part}", figures[f"mfi_{part}"], FIGURE4_CAPTION)
            for part in ("A", "B")
        ]
        + [
            ReportFigure(f"Absolute counts, part {part}", figures[f"counts_{part}"])
            for part in ("A", "B")
        ]
        + [
            ReportFigure("CD38 MFI, paired samples", figures["mfi_paired"], PAIRED_CAPTION),
            ReportFigure(
                "Absolute counts, paired samples", figures["counts_paired"], PAIRED_CAPTION
            ),
        ],
        tables=[
            ReportTable(
                "CD38 MFI: paired comparisons",
                _read_result(mfi_tests),
                "cd38_mfi_tests.csv",
                TESTS_CAPTION,
            ),
            ReportTable(
                "Absolute counts: paired comparisons",
                _read_result(count_tests),
                "cell_count_tests.csv",
                TESTS_CAPTION,
            ),
            ReportTable(
                "Immune subsets per patient and timepoint",
                _read_result(flow_populations),
                "flow_populations.csv",
                "Events, % of parent, % of leukocytes, cells per uL and CD38 MFI per subset. "
                "MFI = median of compensated, untransformed CD38 values of the subset's events.",
            ),
        ],
    )
    gating = ReportSection(
        "Gating QC",
        "gating-qc",
        tables=[
            ReportTable(
                "General statistics",
                qc,
                "sample_qc.csv",
                "One row per sample: status, events, QC metrics and flags, gate flags, "
                "% of parent per gate.",
            )
        ],
        notes=[
            f"{len(failed)} sample(s) not analysed: "
            + "; ".join(f"{r.sample_id} ({r.status}: {r.reason})" for r in failed.itertuples())
        ]
        if len(failed)
        else [],
    )
    sections = [*clinical[:1], overview, *clinical[1:], flow, gating, samples]
    render_report(sections, config, out_path)

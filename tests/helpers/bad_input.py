"""The bad-input catalogue's shared inputs: the demo's clinical tables, a
simulated FCS file, and the edits that break them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from cytotrial.fcs import read_fcs
from cytotrial.flow.gating.template import GatingTemplate, read_gating_template
from cytotrial.flow.sample.analysis import analyse_sample
from cytotrial.io.inputs import CLINICAL_TABLES, read_clinical_tables
from cytotrial.io.panel import Panel, read_panel
from cytotrial.simulate.clinical.trial import simulate_clinical
from cytotrial.simulate.flow.fcs import write_fcs
from cytotrial.simulate.flow.sample import simulate_sample, write_sample
from cytotrial.simulate.trial import DEFAULT_SEED, plan_demo_samples
from helpers.fcs_edit import replace_keyword
from helpers.paths import REPO, SCHEMA_DIR
from helpers.workflow import SNAKEMAKE, copy_workflow, run

CUTOFF = "2020-10-01"


@pytest.fixture(scope="module")
def demo_clinical(tmp_path_factory) -> Path:
    """The demo trial's clinical tables (63 patients): a realistic base to break."""
    folder = tmp_path_factory.mktemp("clinical")
    simulate_clinical(DEFAULT_SEED).write(folder)
    return folder


@pytest.fixture(scope="module")
def demo_tables(demo_clinical) -> dict[str, pd.DataFrame]:
    return read_clinical_tables(demo_clinical, SCHEMA_DIR)


def broken_clinical(base: Path, target: Path, table: str, edit: Callable[[pd.DataFrame], None]):
    """Copy the demo tables to `target`, apply `edit` to one table (as strings)."""
    target.mkdir(exist_ok=True)
    for name in CLINICAL_TABLES:
        frame = pd.read_csv(base / f"{name}.csv", dtype=str, keep_default_na=False)
        if name == table:
            edit(frame)
        frame.to_csv(target / f"{name}.csv", index=False)
    return target


def first_row(frame: pd.DataFrame, *filled: str, empty: tuple[str, ...] = ()) -> int:
    """Index of the first row with the `filled` columns non-empty and `empty` ones empty."""
    mask = np.ones(len(frame), dtype=bool)
    for column in filled:
        mask &= frame[column] != ""
    for column in empty:
        mask &= frame[column] == ""
    return int(np.flatnonzero(mask)[0])


def set_cell(column: str, value: str, *filled: str, empty: tuple[str, ...] = ()):
    def edit(frame: pd.DataFrame) -> None:
        frame.loc[first_row(frame, *filled, empty=empty), column] = value

    return edit


def shift(column: str, reference: str, days: int, *filled: str):
    """Set `column` to `reference` + days in the first row where both are given."""

    def edit(frame: pd.DataFrame) -> None:
        row = first_row(frame, column, reference, *filled)
        date = pd.Timestamp(frame.loc[row, reference]) + pd.Timedelta(days=days)
        frame.loc[row, column] = f"{date:%Y-%m-%d}"

    return edit


@dataclass(frozen=True)
class FlowSetup:
    good: Path
    keywords: dict[str, str]  # the good file's keywords, offsets removed (for rewriting)
    events: np.ndarray
    panel: Panel
    template: GatingTemplate


def simulated_flow(folder: Path) -> FlowSetup:
    """One simulated demo sample (2,000 events) in `folder`, the demo panel and gating."""
    row = plan_demo_samples(DEFAULT_SEED, folder).iloc[0].to_dict()
    good = folder / "good.fcs"
    write_sample(simulate_sample(row, DEFAULT_SEED, 2000), good, folder / "truth")
    panel = read_panel(REPO / "resources/panel.yaml")
    template = read_gating_template(
        REPO / "resources/gating/pbmc_cd38.yaml", [c.marker for c in panel.channels]
    )
    data = read_fcs(good, scale=False)
    keywords = {k: v for k, v in data.keywords.items() if k not in WRITER_KEYWORDS}
    return FlowSetup(good, keywords, data.events, panel, template)


@pytest.fixture(scope="module")
def flow(tmp_path_factory) -> FlowSetup:
    return simulated_flow(tmp_path_factory.mktemp("fcs"))


WRITER_KEYWORDS = {
    "$BEGINDATA",
    "$ENDDATA",
    "$BEGINANALYSIS",
    "$ENDANALYSIS",
    "$BEGINSTEXT",
    "$ENDSTEXT",
    "$NEXTDATA",
}


def rewrite(flow: FlowSetup, path: Path, events: np.ndarray, **changes: str) -> Path:
    """The good file's keywords with `changes` ({'P5N': 'SSC-A'} -> $P5N), new events."""
    keywords = dict(flow.keywords)
    keywords.update({f"${key}": value for key, value in changes.items()})
    write_fcs(path, events.astype(np.float32), keywords)
    return path


def record_of(flow: FlowSetup, path: Path) -> dict:
    result = analyse_sample("S1", path, flow.panel, flow.template, keep_plot_data=False)
    return result.record()


def assert_private(flow: FlowSetup, *texts: str) -> None:
    """The fake patient name in $SRC never reaches a message, reason or note."""
    name = flow.keywords["$SRC"]
    assert len(name) > 3 and not any(name in text for text in texts)


def break_bytes(flow: FlowSetup, how: str) -> bytes:
    content = flow.good.read_bytes()
    data_start = int(content[26:34])  # HEADER: DATA start is the third offset
    if how == "truncated":  # a copy interrupted half-way
        return content[: len(content) // 2]
    if how == "header_only":  # the DATA segment never written
        return content[:data_start]
    if how == "not_fcs":  # a PDF saved under the wrong name
        return b"%PDF-1.4 this is not an FCS file\n" * 20
    if how == "empty":
        return b""
    if how == "wrong_offsets":  # HEADER and $BEGINDATA both point into the TEXT
        content = replace_keyword(content, "$BEGINDATA", "300")
        return (
            content[:26] + f"{300:>8}{300 + len(flow.events) * 56 - 1:>8}".encode() + content[42:]
        )
    if how == "huge_tot":
        return replace_keyword(content, "$TOT", "1000000000000")
    if how == "huge_par":
        return replace_keyword(content, "$PAR", "100000000")
    if how == "bad_datatype":
        return replace_keyword(content, "$DATATYPE", "X")
    raise ValueError(how)


@pytest.fixture(scope="module")
def workflow_copy(tmp_path_factory) -> Path:
    # Not named 'workflow': snakemake's validate() uses a global of that name in its caller.
    return copy_workflow(tmp_path_factory.mktemp("bad_input") / "wf")


def user_trial(folder: Path, demo_clinical: Path) -> tuple[pd.DataFrame, Path]:
    """Two samples of the demo plan (empty files: a dry run only checks they exist) and a
    copy of the demo's clinical tables."""
    sheet = plan_demo_samples(DEFAULT_SEED, folder).head(2).copy()
    sheet["fcs"] = [str(folder / f"{sample}.fcs") for sample in sheet["sample_id"]]
    for path in sheet["fcs"]:
        Path(path).touch()
    clinical = broken_clinical(demo_clinical, folder / "clinical", "", lambda frame: None)
    return sheet, clinical


def dry_run(workflow: Path, folder: Path, sheet: pd.DataFrame, clinical: Path, **config):
    sheet_path = folder / "samples.tsv"
    sheet.to_csv(sheet_path, sep="\t", index=False)
    settings = {"sample_sheet": str(sheet_path), "clinical_dir": str(clinical), **config}
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump(settings))
    result = run([*SNAKEMAKE, "-n", "--configfile", str(config_path)], workflow, timeout=300)
    return result.returncode, result.stdout + result.stderr

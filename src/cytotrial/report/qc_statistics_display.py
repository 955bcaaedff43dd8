"""What the gating page shows of the general statistics (sample_qc.tsv, one row per sample).

The download keeps the result file's columns and values. On the page each '% of parent'
column names its gate and the gate's parent ('Monocytes % of Monocytes (scatter)': '%
monocytes' alone does not say of what), and each number column has one format (all
percentages to 1 decimal, as the audit plots print them; the QC fractions as % of events
to 2 decimals), not 9.095 beside 30 and 26.41.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from cytotrial.io.names import parent_label, population_label
from cytotrial.io.records import read_record

__all__ = ["gate_parents", "statistics_shown"]

# QC fractions of the file's events, shown as % (the labels say so).
_FRACTIONS = {
    "saturated_fraction": "Saturated events (%)",
    "unstable_time_fraction": "Time at unstable flow (%)",
}


def gate_parents(record_files: Iterable[str | Path]) -> dict[str, str]:
    """Gate -> its parent gate ('root' for the first), from the first sample record that
    has gates (every sample is gated by the same template); {} when none has."""
    for path in record_files:
        gates = read_record(path).get("gates") or {}
        if gates:
            return {name: str(gate.get("parent", "")) for name, gate in gates.items()}
    return {}


def _pct_heading(gate: str, parents: Mapping[str, str]) -> str:
    parent = parents.get(gate, "")
    if not parent:
        return f"{population_label(gate)} % of parent"
    # no comma after the gate: 'Lymphocytes,' is a wider unbreakable word, and the
    # headings' widest words decide how many parts the wide table is shown in
    return f"{population_label(gate)} % of {parent_label(parent)}"


def _fixed(values: pd.Series, decimals: int, scale: float = 1.0) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce") * scale
    return numbers.map(lambda v: "" if pd.isna(v) else f"{v:.{decimals}f}")


def statistics_shown(overview: pd.DataFrame, parents: Mapping[str, str]) -> pd.DataFrame:
    """The general-statistics table as the page shows it: pct_<gate> as '<Gate> % of
    <Parent>' to 1 decimal, the QC fractions as % to 2 decimals, status_<gate> as
    'Status: <Gate>' (these last); other columns as they are."""
    shown = overview.copy()
    names = {}
    for column in overview.columns:
        if column.startswith("pct_"):
            shown[column] = _fixed(overview[column], 1)
            names[column] = _pct_heading(column.removeprefix("pct_"), parents)
        elif column in _FRACTIONS:
            shown[column] = _fixed(overview[column], 2, scale=100.0)
            names[column] = _FRACTIONS[column]
        elif column.startswith("status_"):
            names[column] = f"Status: {population_label(column.removeprefix('status_'))}"
    # the per-population statuses last: the % columns then share a part with the QC
    # columns, and the table is shown in two parts, not three (one of a single column)
    statuses = [c for c in overview.columns if c.startswith("status_")]
    shown = shown[[c for c in overview.columns if c not in statuses] + statuses]
    return shown.rename(columns=names)

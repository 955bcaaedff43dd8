"""Across samples: one tidy table per patient x timepoint x population, and a QC table.

Only samples whose analysis succeeded contribute values; every sample appears in
the QC table with its status, so a failed file is listed with its reason rather
than silently missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.flow.sample_analysis import POPULATION_COLUMNS
from cytotrial.flow.sample_outputs import read_record
from cytotrial.results import read_tsv

SHEET_COLUMNS = ["sample_id", "patient_id", "part", "timepoint", "batch", "leukocytes_per_ul"]


def mfi_column(marker: str) -> str:
    """The MFI column's name says what the number is (median, compensated, untransformed)."""
    return f"{marker.lower()}_mfi_median_compensated_untransformed"


def tidy_populations(
    samples: pd.DataFrame,
    population_files: Mapping[str, str | Path],
    populations: list[str],
) -> pd.DataFrame:
    """Reported populations of every analysed sample, with sheet fields and absolute counts."""
    frames = []
    for path in population_files.values():
        table = read_tsv(path)
        frames.append(table[table["population"].isin(populations)])
    # The subset's name first, then what the per-sample table says of its gate.
    columns = ["sample_id", "population"]
    columns += [c for c in POPULATION_COLUMNS if c not in (*columns, "parent")]
    gated = (
        pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    )
    sheet = samples.reindex(columns=SHEET_COLUMNS)
    tidy = sheet.merge(gated, on="sample_id", how="inner")
    marker = tidy["mfi_marker"].iloc[0] if len(tidy) else "CD38"
    tidy = tidy.rename(columns={"mfi": mfi_column(marker), "flags": "gate_flags"})
    tidy = tidy.drop(columns="mfi_marker")
    tidy["cells_per_ul"] = (tidy["leukocytes_per_ul"] * tidy["pct_of_leukocytes"] / 100).round(2)
    order = {p: i for i, p in enumerate(populations)}
    tidy["_order"] = tidy["population"].map(order)
    tidy = tidy.sort_values(["patient_id", "part", "timepoint", "_order"]).drop(columns="_order")
    return tidy.reset_index(drop=True)


def sample_qc_table(
    samples: pd.DataFrame,
    records: Mapping[str, dict],
    population_files: Mapping[str, str | Path],
) -> pd.DataFrame:
    """One row per sample (MultiQC-style general statistics): status, QC, % per gate."""
    rows = []
    for sample in samples.to_dict("records"):
        sample_id = sample["sample_id"]
        record = records[sample_id]
        qc = record.get("qc") or {}
        row = {
            key: sample.get(key)
            for key in ["sample_id", "patient_id", "part", "timepoint", "batch"]
        }
        gate_flags = [f"{g}: {f}" for g, v in record.get("gates", {}).items() for f in v["flags"]]
        row.update(
            status=record["status"],
            reason=record.get("reason", ""),
            events=qc.get("events"),
            saturated_fraction=qc.get("saturated_fraction"),
            unstable_time_fraction=qc.get("unstable_time_fraction"),
            qc_flags=qc.get("qc_flags", ""),
            gate_flags="; ".join(gate_flags),
        )
        table = read_tsv(population_files[sample_id])
        for gate, pct in zip(table["gate"], table["pct_of_parent"], strict=True):
            row[f"pct_{gate}"] = pct
        rows.append(row)
    return pd.DataFrame(rows)


def aggregate_job(
    sample_records: list[dict],
    population_files: list[str],
    record_files: list[str],
    template_path: str | Path,
    populations_out: str | Path,
    sample_qc_out: str | Path,
) -> None:
    """The aggregate rule: both tables from the per-sample outputs."""
    from cytotrial.flow.gating_template import read_gating_template
    from cytotrial.results import write_tsv

    samples = pd.DataFrame(sample_records)
    by_sample = {Path(p).name.split(".")[0]: p for p in population_files}
    records = {Path(p).name.split(".")[0]: read_record(p) for p in record_files}
    template = read_gating_template(template_path)
    analysed = {s: p for s, p in by_sample.items() if records[s]["status"] == "ok"}
    write_tsv(tidy_populations(samples, analysed, list(template.populations)), populations_out)
    write_tsv(sample_qc_table(samples, records, by_sample), sample_qc_out)

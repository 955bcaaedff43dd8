"""Across samples: one tidy table per patient x timepoint x population, and a QC table.

Only samples whose analysis succeeded contribute values; every sample appears in
the QC table with its status, so a failed file is listed with its reason rather
than silently missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cytotrial.flow.sample.analysis import POPULATION_COLUMNS
from cytotrial.flow.sample.status import FAILED, population_status, split_flags
from cytotrial.io.records import read_record
from cytotrial.io.results import read_tsv

__all__ = [
    "mfi_column",
    "tidy_populations",
    "sample_qc_table",
    "aggregate_job",
    "no_flow_results",
]

SHEET_COLUMNS = ["sample_id", "patient_id", "part", "timepoint", "batch", "leukocytes_per_ul"]
# sample_qc.tsv before its pct_<gate> columns: written even when there are no samples.
QC_COLUMNS = [
    "sample_id",
    "patient_id",
    "part",
    "timepoint",
    "batch",
    "status",
    "reason",
    "events",
    "saturated_fraction",
    "unstable_time_fraction",
    "qc_flags",
    "gate_flags",
    "cohort_flags",
]


def mfi_column(marker: str) -> str:
    """The MFI column's name says what the number is (median, compensated, untransformed)."""
    return f"{marker.lower()}_mfi_median_compensated_untransformed"


def tidy_populations(
    samples: pd.DataFrame,
    population_files: Mapping[str, str | Path],
    populations: list[str],
    mfi_marker: str | None,
    qc_flags: Mapping[str, str] | None = None,
    cohort_flags: Mapping[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """Reported populations of every analysed sample, with sheet fields and absolute counts.

    No sample, or none analysed, gives the table's header only (the MFI column named
    after the template's marker, as with samples). A template without an MFI marker
    gives no MFI column; one without a leukocyte gate, empty absolute counts. Each row
    has the sample's QC flags (`qc_flags`, by sample ID), the cohort QC's flags of its gate
    and the gates above (`cohort_flags`, by (sample ID, gate)) and its status (ok /
    flagged, population_status; failed samples have no rows: sample_qc.tsv lists them).
    """
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
    # An empty sheet reindexes to float columns: the IDs must stay text to merge on.
    sheet = samples.reindex(columns=SHEET_COLUMNS).astype({"sample_id": str})
    tidy = sheet.merge(gated, on="sample_id", how="inner")
    tidy = tidy.drop(columns="mfi_marker")
    if mfi_marker:
        tidy = tidy.rename(columns={"mfi": mfi_column(mfi_marker)})
    else:  # no MFI marker: no MFI column, rather than one of empty cells under no name
        tidy = tidy.drop(columns="mfi")
    tidy = tidy.rename(columns={"flags": "gate_flags"})
    tidy["qc_flags"] = tidy["sample_id"].map(dict(qc_flags or {})).fillna("")
    cohort_flags = dict(cohort_flags or {})
    tidy["cohort_flags"] = [
        cohort_flags.get((s, g), "") for s, g in zip(tidy["sample_id"], tidy["gate"], strict=True)
    ]
    status = [
        population_status("ok", "", gate, qc, cohort)
        for gate, qc, cohort in zip(
            tidy["gate_flags"], tidy["qc_flags"], tidy["cohort_flags"], strict=True
        )
    ]
    tidy["status"] = [s for s, _ in status]
    tidy["status_reason"] = [why for _, why in status]
    # Float already when there are rows (a no-op then); an empty merge leaves object columns.
    numbers = tidy[["leukocytes_per_ul", "pct_of_leukocytes"]].astype(float)
    tidy["cells_per_ul"] = (
        numbers["leukocytes_per_ul"] * numbers["pct_of_leukocytes"] / 100
    ).round(2)
    order = {p: i for i, p in enumerate(populations)}
    tidy["_order"] = tidy["population"].map(order)
    tidy = tidy.sort_values(["patient_id", "part", "timepoint", "_order"]).drop(columns="_order")
    return tidy.reset_index(drop=True)


def sample_qc_table(
    samples: pd.DataFrame,
    records: Mapping[str, dict],
    population_files: Mapping[str, str | Path],
    gates: list[str],
    populations: Mapping[str, str] | None = None,
    cohort_flags: Mapping[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """One row per sample (MultiQC-style general statistics): status, QC, a status per
    reported population, % per gate.

    `cohort_flags` (by sample ID and gate, cohort_qc.population_flags) enter each
    population's status; the cohort_flags column lists the sample's own cohort-QC flags.

    The columns are QC_COLUMNS, a status_<population> per reported population
    (`populations`: name -> gate; ok / flagged / failed, population_status) and a
    pct_<gate> per gate of the template, so the header is the same whether samples
    succeeded, all failed (no % at all) or there are none.
    """
    populations = dict(populations or {})
    cohort_flags = dict(cohort_flags or {})
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
            cohort_flags=";".join(
                dict.fromkeys(
                    flag
                    for (s, _), text in cohort_flags.items()
                    if s == sample_id
                    for flag in split_flags(text)
                )
            ),
        )
        table = read_tsv(population_files[sample_id])
        flags_of = dict(zip(table["gate"], table["flags"], strict=True))
        for population, gate in populations.items():
            status, _ = population_status(
                record["status"],
                row["reason"],
                flags_of.get(gate, ""),
                row["qc_flags"],
                cohort_flags.get((sample_id, gate), ""),
            )
            if status != FAILED and gate not in flags_of:  # analysed, yet no row: a bug
                raise ValueError(f"{sample_id}: no row for gate {gate!r} ({population})")
            row[f"status_{population}"] = status
        for gate, pct in zip(table["gate"], table["pct_of_parent"], strict=True):
            row[f"pct_{gate}"] = pct
        rows.append(row)
    columns = [*QC_COLUMNS, *(f"status_{p}" for p in populations)]
    columns += [f"pct_{gate}" for gate in gates]
    columns += list(dict.fromkeys(k for row in rows for k in row if k not in columns))
    return pd.DataFrame(rows, columns=columns)


def aggregate_job(
    sample_records: list[dict],
    population_files: list[str],
    record_files: list[str],
    template_path: str | Path,
    populations_out: str | Path,
    sample_qc_out: str | Path,
    cohort_qc_tsv: str | Path | None = None,
    review: str | Path | None = None,
    decisions_out: str | Path | None = None,
) -> None:
    """The aggregate rule: both tables from the per-sample outputs, each population's
    status including the cohort QC's flags (`cohort_qc_tsv`, rule flow_cohort_qc) and a
    reviewer's decisions (`review`, config flow.review; listed in `decisions_out`)."""
    from cytotrial.flow.cohort.qc import population_flags, stacked_gates
    from cytotrial.flow.gating.template import read_gating_template
    from cytotrial.flow.sample.review import DECISION_COLUMNS, read_review
    from cytotrial.io.results import write_tsv

    samples = pd.DataFrame(sample_records)
    by_sample = {Path(p).name.split(".")[0]: p for p in population_files}
    records = {Path(p).name.split(".")[0]: read_record(p) for p in record_files}
    template = read_gating_template(template_path)
    # Checked at parse time too; here also an imported template's gate names.
    gates = {gate.name: gate for gate in template.gates}
    decisions = read_review(review, list(by_sample), gates) if review else []
    analysed = {s: p for s, p in by_sample.items() if records[s]["status"] == "ok"}
    qc_flags = {s: (r.get("qc") or {}).get("qc_flags", "") for s, r in records.items()}
    cohort_table = read_tsv(cohort_qc_tsv) if cohort_qc_tsv else None
    cohort_flags = (
        population_flags(cohort_table, stacked_gates(list(by_sample.values()), records))
        if cohort_table is not None
        else {}
    )
    tidy = tidy_populations(
        samples,
        analysed,
        list(template.populations),
        template.mfi_marker,
        qc_flags,
        cohort_flags,
    )
    tidy, decided = _reviewed(tidy, decisions, template, records, cohort_table)
    write_tsv(tidy, populations_out)
    gate_names = [gate.name for gate in template.gates]
    qc = sample_qc_table(
        samples, records, by_sample, gate_names, template.populations, cohort_flags
    )
    write_tsv(_with_reviewed_statuses(qc, tidy, template.populations), sample_qc_out)
    if decisions_out is not None:
        write_tsv(decided if decisions else pd.DataFrame(columns=DECISION_COLUMNS), decisions_out)


def _reviewed(
    tidy: pd.DataFrame,
    decisions: list,
    template,
    records: Mapping[str, dict],
    cohort_table: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """populations.tsv with the reviewer's decisions applied (review.apply_decisions), and
    the decisions table. Each gate's own flags: its record's and the cohort QC's."""
    from cytotrial.flow.cohort.qc import own_flags
    from cytotrial.flow.sample.review import apply_decisions, decisions_table, sharing_gates

    own: dict[tuple[str, str], list[str]] = {}
    for sample, record in records.items():
        for gate, applied in (record.get("gates") or {}).items():
            own[sample, gate] = list(applied.get("flags") or [])
    if cohort_table is not None:
        for key, flags in own_flags(cohort_table).items():
            own.setdefault(key, []).extend(flags)
    parents = {gate.name: gate.parent for gate in template.gates}
    shared = sharing_gates(decisions, records)
    tidy, hits = apply_decisions(tidy, decisions, parents, own, shared)
    analysed = [s for s, r in records.items() if r["status"] == "ok"]
    return tidy, decisions_table(decisions, hits, analysed)


def _with_reviewed_statuses(
    qc: pd.DataFrame, tidy: pd.DataFrame, populations: Mapping[str, str]
) -> pd.DataFrame:
    """sample_qc.tsv's status_<population> as populations.tsv has them after review."""
    status = {
        (str(s), p): v
        for s, p, v in zip(tidy["sample_id"], tidy["population"], tidy["status"], strict=True)
    }
    qc = qc.copy()
    for population in populations:
        column = f"status_{population}"
        qc[column] = [
            status.get((str(s), population), old)
            for s, old in zip(qc["sample_id"], qc[column], strict=True)
        ]
    return qc


def no_flow_results(qc: pd.DataFrame) -> str | None:
    """Why no sample has flow results (the figures and the report say it), or None when
    at least one sample was analysed. `qc` is sample_qc.tsv."""
    if qc.empty:
        return "No FCS samples in the sample sheet"
    if not (qc["status"] == "ok").any():
        return f"No successful samples (all {len(qc)} failed)"
    return None

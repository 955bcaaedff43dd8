"""Cohort QC: each sample's data-driven cuts and population frequencies against its groups.

Once every sample is gated, each value is compared with the same value in its groups by a
robust z-score, z = (x - median) / scale, scale = max(1.4826 * MAD, floor) (Iglewicz &
Hoaglin's modified z; guide gating-methods.md §5.5), flagged when |z| > `z_limit`:

- a cut (per gate and marker, in the axis' transformed units): against the patient's other
  samples, the batch and the whole cohort. Cuts are technical, so every sample shares them.
  floor = `cut_floor_sd_neg` x the group's median negative-peak SD (the cut's own sigma_neg),
  so a tight group flags a cut only when it sits a good part of a negative peak's width from
  the others (with 0.25 and |z| > 3.5: 0.9 sigma_neg), not for sampling noise; and at least
  the cut's own resampling shift (its record's `shift` x `negative_sd`: how far the lowest
  density moved over the engine's resamples of the sample), so a cut wandering in an empty
  gap (a flat valley floor, where its place moves no events) is not an outlier for where
  on that floor it landed.
- a frequency (% of parent, per gate): against the batch and the cohort at the same part and
  timepoint; therapy changes biology (daratumumab depletes NK cells), so the cohort group
  never mixes timepoints, and a patient's own timepoints are compared by the jump rule.
  floor = the binomial SD of a % of parent at the group's median with this sample's parent
  count, 100 * sqrt(p (1 - p) / n): the spread counting alone would give.

An instrument change between batches (a detector voltage step) moves every cut of a batch
together, and data-driven gates follow it: so each batch of at least `min_group_size` cuts
has its median cut compared once with the other batches' (`_batch_shifts`: rows with group
"batches", flag batch_shift, no sample; they flag no population, the reviewer looks at the
batch), and in a batch so flagged a cut's cohort z is taken of the cut less its batch's
shift (what sets the sample apart from its own batch).

A group smaller than `min_group_size` is not assessed (the row says so). Timepoint jumps:
between consecutive timepoints of one patient in one part (tables.TIMEPOINTS order), a
frequency changing more than `jump_fold`-fold *and* by more than `jump_points` percentage
points is flagged on the sample of the pair farther from the patient's median (both on a
tie, as with two timepoints), for review.

Every flag of a gate also flags the populations below it (their events depend on it), as the
engine's gate flags do; `population_flags` gives the flags per sample and gate, which
aggregate.py joins into each population's status (populations.tsv holds the final status).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from cytotrial.flow.settings import CohortQCSettings
from cytotrial.io.inputs import TIMEPOINTS

__all__ = [
    "logit_percent",
    "cohort_qc_table",
    "own_flags",
    "cohort_flag_text",
    "population_flags",
    "cohort_qc_job",
    "stacked_gates",
]

MAD_SCALE = 1.4826  # MAD of a normal sample x this = its SD
OUTLIER, OK, NOT_ASSESSED, JUMP = "outlier", "ok", "not_assessed", "jump"
BATCH_SHIFT = "batch_shift"  # a batch's median cut far from the other batches' (a batch row)
FLAGS = (OUTLIER, JUMP, BATCH_SHIFT)  # what a reviewer must look at
MIN_BATCHES = 3  # batch medians needed for a centre that a shifted batch cannot pull
QC_COLUMNS = [
    "sample_id",
    "patient_id",
    "part",
    "timepoint",
    "batch",
    "kind",
    "gate",
    "marker",
    "group",
    "group_id",
    "group_n",
    "value",
    "group_median",
    "group_min",
    "group_max",
    "scale",
    "z",
    "flag",
    "note",
]
# Which groups each kind of value is compared within (see the module docstring).
GROUPS = {"cut": ("patient", "batch", "cohort"), "frequency": ("batch", "cohort")}


def _cut_values(samples: pd.DataFrame, records: Mapping[str, dict]) -> pd.DataFrame:
    """One row per sample x gate x marker of every data-driven cut (not a reviewer's
    correction) in the analysed samples' records (`records`: sample ID -> record), with
    its negative-peak SD."""
    rows = []
    for sample_id in samples["sample_id"]:
        record = records[sample_id]
        if record.get("status") != "ok":
            continue
        for gate, applied in (record.get("gates") or {}).items():
            for cut in applied.get("cuts") or []:
                if cut.get("cut") is None:  # an open side: nothing was computed
                    continue
                if cut.get("method") == "corrected":  # a reviewer's cut, not the data's
                    continue
                rows.append(
                    {
                        "sample_id": sample_id,
                        "gate": gate,
                        "marker": cut["marker"],
                        "value": float(cut["cut"]),
                        "sd_neg": cut.get("negative_sd"),
                        "own_shift": _own_shift(cut),
                    }
                )
    columns = ["sample_id", "gate", "marker", "value", "sd_neg", "own_shift"]
    return pd.DataFrame(rows, columns=columns)


def _own_shift(cut: Mapping) -> float:
    """How far a valley cut moved over the engine's resamples of its sample, in transformed
    units (the record's shift is in SDs of the negative peak); 0 when not recorded (a
    single peak's cut, a pooled or static one)."""
    shift, sd = cut.get("shift"), cut.get("negative_sd")
    if shift is None or sd is None or not np.isfinite(shift * sd):
        return 0.0
    return float(shift) * float(sd)


def _frequency_values(gates: pd.DataFrame) -> pd.DataFrame:
    """% of parent per sample x gate, with the parent's event count (`gates`: the
    per-sample populations tables stacked: sample_id, gate, parent, events, pct_of_parent)."""
    table = gates[["sample_id", "gate", "parent", "events", "pct_of_parent"]].copy()
    events = table.set_index(["sample_id", "gate"])["events"]
    parent = pd.MultiIndex.from_arrays([table["sample_id"], table["parent"]])
    table["parent_events"] = events.reindex(parent).to_numpy()
    # The first gate's parent (root) has no row: its count from the gate's own share.
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = table["events"].astype(float) * 100 / table["pct_of_parent"].astype(float)
    table["parent_events"] = table["parent_events"].fillna(implied.round())
    table = table.rename(columns={"pct_of_parent": "value"})
    return table.dropna(subset=["value"]).drop(columns=["parent", "events"])


def _group_ids(values: pd.DataFrame, group: str) -> pd.Series:
    if group == "patient":  # both parts: a cut is technical, treatment does not move it
        return values["patient_id"].astype(str)
    if group == "batch":
        return values["batch"].fillna("").astype(str)
    if group == "cohort" and values["kind"].iloc[0] == "frequency":
        return "part " + values["part"].astype(str) + " " + values["timepoint"].astype(str)
    return pd.Series("all samples", index=values.index)


def logit_percent(percent: np.ndarray, n: np.ndarray) -> np.ndarray:
    """logit of a % of parent, kept off 0 and 100 by half an event of `n` (so an empty or
    full gate has a finite value)."""
    n = np.where(np.asarray(n, float) > 0, n, 1.0)
    p = np.clip(np.asarray(percent, float) / 100, 0.5 / n, 1 - 0.5 / n)
    return np.log(p / (1 - p))


def _floor(rows: pd.DataFrame, centre: float, settings: CohortQCSettings) -> np.ndarray:
    """The least scale a group may have, per row (module docstring)."""
    if rows["kind"].iloc[0] == "cut":
        sd_neg = pd.to_numeric(rows["sd_neg"], errors="coerce").dropna()
        sd = float(sd_neg.median()) if len(sd_neg) else 0.0
        # a cut is known only to within its own resampling shift (module docstring)
        own = np.zeros(len(rows))
        if "own_shift" in rows:
            own = np.nan_to_num(pd.to_numeric(rows["own_shift"], errors="coerce").to_numpy(float))
        return np.maximum(settings.cut_floor_sd_neg * sd, own)
    # Binomial SD of logit(p) at the group's centre p with this sample's parent count.
    p = 1 / (1 + np.exp(-centre))
    n = pd.to_numeric(rows["parent_events"], errors="coerce").to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(1 / np.sqrt(n * p * (1 - p)), nan=0.0, posinf=0.0)


def _scored(values: pd.DataFrame) -> pd.Series:
    """What a z-score is taken of: a cut as is; a % of parent on the logit scale (shares
    vary between people by factors, not by points: 3 times the cohort's NK share is 24
    points at 12% and 2 at 1%; on the percent scale the common share's right tail would
    flag and the rare one's never)."""
    if values["kind"].iloc[0] == "cut":
        return values["value"].astype(float)
    return pd.Series(logit_percent(values["value"], values["parent_events"]), index=values.index)


def _mad_scale(x: pd.Series, by: list[pd.Series]) -> pd.Series:
    """1.4826 x MAD of `x` within each `by` group, per row."""
    centred = x - x.groupby(by).transform("median")
    return MAD_SCALE * centred.abs().groupby(by).transform("median")


def _robust_z(
    values: pd.DataFrame,
    settings: CohortQCSettings,
    shifted: frozenset[tuple[str, str, str]] = frozenset(),
) -> pd.DataFrame:
    """QC rows of one kind of value ('cut' or 'frequency', column `kind`) against each of
    its groups: value, the group's n, median, range, scale, z and flag.

    A frequency's batch z is taken of its logit less the median logit of its part and
    timepoint (the cohort group), so a batch holding more samples of one timepoint does
    not flag the others' biology. No group is taken as tighter than the whole cohort (a
    few samples' MAD is often small by chance; guide §5.5 says below 8 values use the
    cohort's): the scale is at least the cohort's MAD of the value (a cut) or of the
    frequency's residual from its part x timepoint median (the spread within a timepoint,
    pooled over the cohort). `shifted`: the (batch, gate, marker) of cuts whose batch level
    is a batch_shift (_batch_shifts); their cohort z is of the cut less that shift.
    """
    kind = values["kind"].iloc[0]
    scored = _scored(values)
    node = [values["gate"], values["marker"]]
    if kind == "frequency":
        residual = scored - scored.groupby([_group_ids(values, "cohort"), *node]).transform(
            "median"
        )
    else:
        residual = _batch_adjusted(values, scored, shifted)
    # The cohort's spread: of a frequency's residual; of a cut as measured (a batch shift
    # taken out of a few batches must not narrow the yardstick of all the others).
    reference = _mad_scale(residual if kind == "frequency" else scored, node)
    # Which comparison takes the residual: a frequency's batch z (therapy removed), a cut's
    # cohort z (its batch's instrument shift removed; _batch_shifts reports that shift once).
    residual_group = "batch" if kind == "frequency" else "cohort"
    out = []
    for group in GROUPS[kind]:
        ids = _group_ids(values, group)
        x_all = residual if group == residual_group else scored
        floor_of_group = reference
        for group_id, rows in values.groupby([ids, *node], sort=False, dropna=False):
            rows = rows.assign(group=group, group_id=group_id[0], group_n=len(rows))
            shown = rows["value"].to_numpy(float)
            rows["group_median"] = float(np.median(shown))
            rows["group_min"], rows["group_max"] = shown.min(), shown.max()
            if group == "batch" and group_id[0] == "":
                rows["flag"], rows["note"] = NOT_ASSESSED, "no batch in the sample sheet"
                out.append(rows)
                continue
            if len(rows) < settings.min_group_size:
                rows["flag"] = NOT_ASSESSED
                rows["note"] = f"group of {len(rows)} < {settings.min_group_size} samples"
                out.append(rows)
                continue
            x = x_all.loc[rows.index].to_numpy(float)
            centre = float(np.median(x))
            mad = MAD_SCALE * float(np.median(np.abs(x - centre)))
            floor = _floor(rows, float(np.median(scored.loc[rows.index])), settings)
            scale = np.maximum(np.maximum(mad, floor), floor_of_group.loc[rows.index])
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(scale > 0, (x - centre) / scale, np.nan)
            rows["scale"], rows["z"] = scale, z
            rows["flag"] = np.where(
                np.isnan(z), NOT_ASSESSED, np.where(np.abs(z) > settings.z_limit, OUTLIER, OK)
            )
            note = np.where(
                (kind == "cut") & (x != scored.loc[rows.index].to_numpy(float)),
                "z of the cut less its batch's batch_shift (group batches)",
                "",
            )
            rows["note"] = np.where(np.isnan(z), "no spread in the group and no floor", note)
            out.append(rows)
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=QC_COLUMNS)


def _assessable_batches(values: pd.DataFrame, settings: CohortQCSettings) -> pd.Series:
    """Per row: whether its batch has at least `min_group_size` values of its gate and
    marker (a batch median of fewer is too unstable to take as the batch's level)."""
    batch = values["batch"].fillna("").astype(str)
    size = batch.groupby([batch, values["gate"], values["marker"]]).transform("size")
    return (batch != "") & (size >= settings.min_group_size)


def _batch_adjusted(
    values: pd.DataFrame, scored: pd.Series, shifted: frozenset[tuple[str, str, str]]
) -> pd.Series:
    """Each cut of a `shifted` (batch, gate, marker) less its batch's median plus the median
    cut of the other samples of its gate and marker; other cuts as they are.

    An instrument change between batches (a detector voltage step) moves every cut of the
    batch together; data-driven gates follow it. Compared with the raw cohort, every
    sample of such a batch would be an outlier although each was gated right: the batch
    is reported once instead (_batch_shifts), and a sample of it is an outlier in the
    cohort only for what sets it apart from its own batch."""
    batch = values["batch"].fillna("").astype(str)
    key = pd.Series(
        list(zip(batch, values["gate"], values["marker"], strict=True)), index=values.index
    )
    moved = key.isin(shifted)
    if not moved.any():
        return scored
    node = [values["gate"], values["marker"]]
    medians = scored.groupby([batch, *node]).transform("median")
    others = scored.where(~moved).groupby(node).transform("median")
    return scored.where(~moved, scored - medians + others)


def _batch_shifts(cuts: pd.DataFrame, settings: CohortQCSettings) -> pd.DataFrame:
    """One row per batch of at least `min_group_size` cuts and per gate x marker: the
    batch's median cut against the median of all such batches' medians, scale = 1.4826 MAD
    of the batch medians (the usual day-to-day drift), at least `cut_floor_sd_neg` x the
    marker's median sigma_neg / sqrt(the batch's size) (a single cut's floor, for a median
    of that many independent cuts); |z| > `z_limit` is a batch_shift (an instrument change
    the gates may or may not have followed: the reviewer looks at the batch's plots).
    Fewer than MIN_BATCHES such batches: not assessed. The rows carry no sample_id and
    flag no population."""
    cuts = cuts[_assessable_batches(cuts, settings)]
    out = []
    for (gate, marker), rows in cuts.groupby(["gate", "marker"], sort=False):
        per_batch = rows.groupby("batch")["value"].agg(["median", "size"])
        medians = per_batch["median"].to_numpy(float)
        centre = float(np.median(medians))
        sd_neg = pd.to_numeric(rows["sd_neg"], errors="coerce").dropna()
        floor = settings.cut_floor_sd_neg * (float(sd_neg.median()) if len(sd_neg) else 0.0)
        mad = MAD_SCALE * float(np.median(np.abs(medians - centre)))
        for batch, (median, size) in per_batch.iterrows():
            scale = max(mad, floor / np.sqrt(size))
            row = {
                "sample_id": None,  # a batch row: no sample (empty in the TSV)
                "batch": batch,
                "kind": "cut",
                "gate": gate,
                "marker": marker,
                "group": "batches",
                "group_id": f"{len(per_batch)} batches of >= {settings.min_group_size} samples",
                "group_n": len(per_batch),
                "value": median,
                "group_median": centre,
                "group_min": medians.min(),
                "group_max": medians.max(),
                "scale": scale,
                "note": f"median cut of the batch's {int(size)} samples",
            }
            if len(per_batch) < MIN_BATCHES or scale <= 0:
                why = f"{len(per_batch)} < {MIN_BATCHES} batches" if scale > 0 else "no spread"
                out.append(row | {"z": np.nan, "flag": NOT_ASSESSED, "note": why})
                continue
            z = (median - centre) / scale
            flag = BATCH_SHIFT if abs(z) > settings.z_limit else OK
            out.append(row | {"z": z, "flag": flag})
    return pd.DataFrame(out, columns=QC_COLUMNS)


def _timepoint_jumps(frequencies: pd.DataFrame, settings: CohortQCSettings) -> pd.DataFrame:
    """A row per consecutive pair of a patient's timepoints (within a part) whose frequency
    changes beyond both limits, on the sample of the pair farther from the patient's median."""
    order = {key: i for i, key in enumerate(TIMEPOINTS)}
    frequencies = frequencies.assign(
        _order=[
            order.get((p, t), len(order))
            for p, t in zip(frequencies["part"], frequencies["timepoint"], strict=True)
        ]
    )
    out = []
    for _, rows in frequencies.groupby(["patient_id", "part", "gate"], sort=False):
        rows = rows.sort_values("_order")
        x = rows["value"].to_numpy(float)
        median = float(np.median(x))
        for i in range(1, len(rows)):
            before, after = x[i - 1], x[i]
            low, high = sorted((before, after))
            fold = high / low if low > 0 else np.inf
            points = high - low
            if not (fold > settings.jump_fold and points > settings.jump_points):
                continue
            # The sample farther from the patient's median; on a tie (two timepoints) both.
            far = [abs(before - median), abs(after - median)]
            ends = [i - 1, i] if np.isclose(*far) else [i - 1 if far[0] > far[1] else i]
            change = (
                f"{rows.iloc[i - 1]['timepoint']} {before:.3g}% -> "
                f"{rows.iloc[i]['timepoint']} {after:.3g}%: {fold:.3g}-fold, {points:.3g} points"
            )
            for at in ends:
                row = rows.iloc[at].to_dict()
                row.update(
                    group="patient timepoints",
                    group_id=f"{row['patient_id']} part {row['part']}",
                    group_n=len(rows),
                    group_median=median,
                    group_min=x.min(),
                    group_max=x.max(),
                    flag=JUMP,
                    note=change,
                )
                out.append(row)
    return pd.DataFrame(out, columns=[*QC_COLUMNS, "_order"]).drop(columns="_order")


def cohort_qc_table(
    samples: pd.DataFrame,
    gates: pd.DataFrame,
    records: Mapping[str, dict],
    settings: CohortQCSettings,
) -> pd.DataFrame:
    """The cohort QC table (QC_COLUMNS): every cut and frequency against its groups, and the
    timepoint jumps. `samples`: the sheet (sample_id, patient_id, part, timepoint, batch);
    `gates`: the analysed samples' per-sample populations tables stacked."""
    sheet = samples.reindex(columns=["sample_id", "patient_id", "part", "timepoint", "batch"])
    sheet = sheet.astype({"sample_id": str, "patient_id": str})
    cuts = sheet.merge(_cut_values(sheet, records), on="sample_id").assign(kind="cut")
    # A marker's negative-peak SD over the cohort's valley cuts on it, for the cuts placed
    # on a single peak (which record none).
    sd_neg = pd.to_numeric(cuts["sd_neg"], errors="coerce")
    cuts["sd_neg"] = sd_neg.fillna(sd_neg.groupby(cuts["marker"]).transform("median"))
    frequencies = sheet.merge(_frequency_values(gates), on="sample_id")
    frequencies = frequencies.assign(kind="frequency", marker="")
    shifts = _batch_shifts(cuts, settings)
    flagged_batches = shifts[shifts["flag"] == BATCH_SHIFT]
    shifted = frozenset(
        zip(
            flagged_batches["batch"],
            flagged_batches["gate"],
            flagged_batches["marker"],
            strict=True,
        )
    )
    parts = [_robust_z(cuts, settings, shifted)] if not cuts.empty else []
    parts += [_robust_z(frequencies, settings)] if not frequencies.empty else []
    parts.append(shifts)
    parts.append(_timepoint_jumps(frequencies, settings))
    parts = [p for p in parts if not p.empty]
    if not parts:  # no analysed sample: the header only
        return pd.DataFrame(columns=QC_COLUMNS)
    table = pd.concat(parts, ignore_index=True).reindex(columns=QC_COLUMNS)
    flagged = table["flag"].isin(FLAGS)
    # Flags first, so the table opens on what a reviewer must look at.
    table = table.assign(_flagged=~flagged).sort_values(
        ["_flagged", "sample_id", "kind", "gate", "marker", "group"], kind="stable"
    )
    return table.drop(columns="_flagged").reset_index(drop=True)


def cohort_flag_text(row: Mapping) -> str:
    """How a population's status_reason names one cohort-QC flag (no ';' inside)."""
    what = (
        f"cut {row['gate']} {row['marker']}"
        if row["kind"] == "cut"
        else f"% of parent {row['gate']}"
    )
    if row["flag"] == JUMP:
        return f"cohort_jump({what}: {row['note']})"
    return (
        f"cohort_outlier({what} vs {row['group']} {row['group_id']}: {row['value']:.4g}, "
        f"median {row['group_median']:.4g}, range {row['group_min']:.4g}-{row['group_max']:.4g}, "
        f"z {row['z']:.2f})"
    )


def own_flags(qc: pd.DataFrame) -> dict[tuple[str, str], list[str]]:
    """Each (sample, gate)'s own cohort-QC flags, as population statuses name them."""
    own: dict[tuple[str, str], list[str]] = {}
    for row in qc[qc["flag"].isin([OUTLIER, JUMP])].to_dict("records"):
        own.setdefault((str(row["sample_id"]), row["gate"]), []).append(cohort_flag_text(row))
    return own


def population_flags(qc: pd.DataFrame, gates: pd.DataFrame) -> dict[tuple[str, str], str]:
    """';'-joined cohort-QC flags per (sample, gate): the gate's own and its ancestors'
    (`gates`: the per-sample tables stacked, for each gate's parent)."""
    own = own_flags(qc)
    parent_of = {
        (str(s), g): p
        for s, g, p in zip(gates["sample_id"], gates["gate"], gates["parent"], strict=True)
    }
    flags = {}
    for sample_gate in parent_of:
        collected, at, seen = [], sample_gate, set()
        while at in parent_of and at not in seen:  # the gate, then each ancestor
            seen.add(at)
            collected = own.get(at, []) + collected
            at = (at[0], parent_of[at])
        if collected:
            flags[sample_gate] = ";".join(dict.fromkeys(collected))
    return flags


def cohort_qc_job(
    sample_records: list[dict],
    population_files: list[str],
    record_files: list[str],
    settings: CohortQCSettings,
    out: str | Path,
) -> None:
    """The cohort QC rule: cohort_qc.tsv from the per-sample outputs."""
    from cytotrial.io.records import read_record
    from cytotrial.io.results import write_tsv

    samples = pd.DataFrame(sample_records).reindex(
        columns=["sample_id", "patient_id", "part", "timepoint", "batch"]
    )
    records = {Path(p).name.split(".")[0]: read_record(p) for p in record_files}
    gates = stacked_gates(population_files, records)
    table = cohort_qc_table(samples, gates, records, settings) if len(samples) else None
    write_tsv(table if table is not None else pd.DataFrame(columns=QC_COLUMNS), out)


def stacked_gates(population_files: list[str], records: Mapping[str, dict]) -> pd.DataFrame:
    """The analysed samples' per-sample populations tables, one below the other."""
    from cytotrial.io.results import read_tsv

    frames = [
        read_tsv(path)
        for path in population_files
        if records[Path(path).name.split(".")[0]].get("status") == "ok"
    ]
    columns = ["sample_id", "gate", "parent", "events", "pct_of_parent"]
    if not frames:
        return pd.DataFrame(columns=columns)
    table = pd.concat(frames, ignore_index=True)
    return table.astype({"sample_id": str})

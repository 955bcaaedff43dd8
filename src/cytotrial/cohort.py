"""Cohort overview: which samples exist per part x timepoint, and the patient flow.

These are the first results every run produces, before any gating or statistics:
they tell the trial team at a glance whether the data they expect are there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from cytotrial.fcs.errors import path_free_reason
from cytotrial.io.inputs import TIMEPOINTS

__all__ = [
    "sample_inventory",
    "samples_per_timepoint",
    "patient_flow",
    "check_flow_sums",
    "FlowBox",
]

log = logging.getLogger(__name__)


def _read_fcs_header(path: str | Path) -> tuple[dict[str, object], dict[str, str]]:
    """Technical header fields of an FCS file (no event data read), and all its keywords.

    Only the technical fields go into result tables as such: keywords such as $SRC or
    $FIL may carry patient identifiers, so the caller copies a keyword only when the
    user whitelisted it (config `flow.report_keywords`).
    """
    from cytotrial.fcs import read_fcs_text

    version, keywords = read_fcs_text(path)
    channels = int(keywords.get("$PAR", 0))
    header = {
        "fcs_version": version,
        "events": int(keywords.get("$TOT", 0)),
        "channels": channels,
        "channel_names": [keywords.get(f"$P{i}N", "") for i in range(1, channels + 1)],
    }
    return header, keywords


def sample_inventory(
    samples: pd.DataFrame,
    panel_channels: Iterable[str],
    report_keywords: Iterable[str] = (),
) -> pd.DataFrame:
    """One row per sample: its sheet fields plus what its FCS header says.

    A file that cannot be read gets its reason in `problem` instead of stopping
    the overview: one bad file must not hide the others. Of the TEXT keywords, only
    those in `report_keywords` (the user's whitelist) are copied, one column each.
    """
    panel_channels = list(panel_channels)
    keyword_columns = [keyword.upper() for keyword in report_keywords]
    rows = []
    for sample in samples.to_dict("records"):
        row = {key: sample[key] for key in ("sample_id", "patient_id", "part", "timepoint")}
        row["batch"] = sample.get("batch", "")
        try:
            header, keywords = _read_fcs_header(sample["fcs"])
        except Exception as exc:  # noqa: BLE001 - any unreadable file is reported, not raised
            # the table says what is wrong; only the log names the file (it may identify)
            log.warning("%s (%s): %s", sample["sample_id"], sample["fcs"], exc)
            problem = f"unreadable FCS: {path_free_reason(exc)}"
            row.update(fcs_version="", events=0, channels=0, problem=problem)
        else:
            row.update({key: keywords.get(key, "") for key in keyword_columns})
            missing = [c for c in panel_channels if c not in header["channel_names"]]
            row.update(
                fcs_version=header["fcs_version"],
                events=header["events"],
                channels=header["channels"],
                problem=f"panel channels missing: {', '.join(missing)}" if missing else "",
            )
        rows.append(row)
    columns = ["sample_id", "patient_id", "part", "timepoint", "batch", "fcs_version"]
    columns += ["events", "channels", *keyword_columns, "problem"]
    return pd.DataFrame(rows, columns=columns)


def samples_per_timepoint(inventory: pd.DataFrame) -> pd.DataFrame:
    """Samples and distinct patients per part x timepoint, in the trial's order.

    Every timepoint of the design gets a row, with 0 where nothing was sampled,
    so a missing timepoint is visible rather than absent.
    """
    rows = []
    for part, timepoint in TIMEPOINTS:
        here = inventory[(inventory["part"] == part) & (inventory["timepoint"] == timepoint)]
        readable = here[here["problem"].fillna("") == ""]
        rows.append(
            {
                "part": part,
                "timepoint": timepoint,
                "samples": len(here),
                "patients": here["patient_id"].nunique(),
                "readable_files": len(readable),
                "median_events": int(readable["events"].median()) if len(readable) else 0,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FlowBox:
    """One box of the patient flow diagram."""

    box: str
    label: str
    n: int
    parent: str = ""


def patient_flow(patients: pd.DataFrame, rp2d_mg_m2: float) -> pd.DataFrame:
    """Patient flow counts (CONSORT-style boxes) computed from patients.csv.

    Raises ValueError if a box's children do not add up to it: a count that
    does not reconcile is a data error the trial team must see.
    """
    cohort = patients["part_b_cohort"]
    in_b = patients[cohort != "none"]
    not_b = patients[cohort == "none"]
    phase1 = patients[cohort == "phase1"]
    boxes = [
        FlowBox("part_a", "Enrolled in part A (daratumumab)", len(patients)),
        FlowBox("part_b", "Enrolled in part B (daratumumab + ATRA)", len(in_b), "part_a"),
        FlowBox("not_part_b", "Not enrolled in part B", len(not_b), "part_a"),
    ]
    for reason, n in not_b["not_in_part_b_reason"].fillna("not recorded").value_counts().items():
        boxes.append(FlowBox(f"not_part_b:{reason}", _reason_label(reason), int(n), "not_part_b"))
    boxes.append(FlowBox("phase1", "Part B phase 1 (dose finding)", len(phase1), "part_b"))
    boxes.append(
        FlowBox("phase2", "Part B phase 2 (expansion)", int((cohort == "phase2").sum()), "part_b")
    )
    for dose, n in phase1["atra_dose_mg_m2"].value_counts().sort_index().items():
        boxes.append(FlowBox(f"phase1:{dose:g}", f"ATRA {dose:g} mg/m2", int(n), "phase1"))
    at_rp2d = int((in_b["atra_dose_mg_m2"] == rp2d_mg_m2).sum())
    boxes.append(FlowBox("rp2d", f"Treated at the RP2D ({rp2d_mg_m2:g} mg/m2)", at_rp2d))
    table = pd.DataFrame([box.__dict__ for box in boxes])
    check_flow_sums(table)
    return table


def _reason_label(reason: str) -> str:
    return {
        "still_in_part_a": "Still in part A at cut-off",
        "ineligible": "Not eligible for part B",
        "withdrew_consent": "Withdrew consent",
        "died": "Died before part B",
    }.get(reason, reason.replace("_", " ").capitalize())


def check_flow_sums(table: pd.DataFrame) -> None:
    """Each box with children must equal the sum of its children."""
    counts = table.set_index("box")["n"]
    for parent, children in table[table["parent"] != ""].groupby("parent"):
        if parent not in counts.index:
            raise ValueError(f"patient flow: box {parent!r} has children but no count")
        if children["n"].sum() != counts[parent]:
            raise ValueError(
                f"patient flow: box {parent!r} has {counts[parent]} patients but its "
                f"children add up to {children['n'].sum()} ({', '.join(children['box'])})"
            )

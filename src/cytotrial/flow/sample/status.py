"""Each population's status for the statistics: ok, flagged, failed or excluded.

One definition, used by every table, test and figure:

- failed: the sample's analysis failed (status failed or panel_mismatch): there is no
  value for any of its populations.
- flagged: the population's gate or any gate above it carries a flag (low-confidence
  cut, single peak, too few events, ...; populations.tsv `gate_flags`), or the sample
  carries a QC flag that bears on it. Every sample QC flag bears on every population
  (too few events, saturation, non-finite values and an unstable flow rate change
  counts and MFIs alike; an uncompensated file or an unnamed stain changes what each
  marker measures), except those in NOT_BEARING, which concern an output file and not
  the values. Or the cohort QC flags the population's gate or a gate above it
  (cohort_qc.py: a cut or frequency far from its batch or cohort, a timepoint jump).
- ok: otherwise.
- excluded: a reviewer excluded the population's gate or a gate above it (config
  flow.review; cytotrial.flow.sample.review). Its own status, not `failed`: the value exists and
  stays in the table for the record, and it was a person's decision, not a failed
  analysis; the statistics leave it out whatever include_flagged says. A reviewer's
  accept or correction turns a flagged population ok (its status_reason then says who
  decided, when and why).

The statistics use ok populations and, when the config says so
(flow.statistics.include_flagged), flagged ones too; a failed population has no value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

__all__ = [
    "split_flags",
    "population_status",
    "included_statuses",
    "used_label",
    "left_out_summary",
]

if TYPE_CHECKING:  # the per-sample job imports this module and must not load pandas
    import pandas as pd

OK, FLAGGED, FAILED, EXCLUDED = "ok", "flagged", "failed", "excluded"
# Sample flags that say nothing about the values: the per-sample Gating-ML export
# could not be written (the gates themselves were applied as usual).
NOT_BEARING = ("gatingml_not_exported",)


def split_flags(text: object) -> list[str]:
    """The flags of a ';'-joined cell ("" / NaN: none), stripped, in order, each once. A
    ';' inside a flag's parentheses ("few_events(CD16; CD56 cut set on nk_cells)") is
    part of that flag."""
    if not isinstance(text, str):
        return []
    flags, depth, start = [], 0, 0
    for at, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            flags.append(text[start:at])
            start = at + 1
    flags.append(text[start:])
    return list(dict.fromkeys(flag.strip() for flag in flags if flag.strip()))


def _bearing(flags: Iterable[str]) -> list[str]:
    return [f for f in flags if f.split("(")[0] not in NOT_BEARING]


def population_status(
    sample_status: str,
    sample_reason: str,
    gate_flags: object,
    qc_flags: object,
    cohort_flags: object = "",
) -> tuple[str, str]:
    """(status, why) of one population of one sample; `why` is "" when ok.

    `gate_flags`: the population's row flags (its gate's and its ancestors'); `qc_flags`:
    the sample's QC flags (sample_qc.tsv); `cohort_flags`: the cohort QC's flags of its gate
    and the gates above (cohort_qc.population_flags), all ';'-joined. The per-sample
    tables, written before the cohort QC, have no cohort flags: populations.tsv and
    sample_qc.tsv hold the final status."""
    if sample_status != "ok":
        return FAILED, f"sample {sample_status}: {sample_reason}".rstrip(": ")
    flags = _bearing(split_flags(gate_flags))
    flags += [f for f in _bearing(split_flags(qc_flags)) if f not in flags]
    flags += [f for f in split_flags(cohort_flags) if f not in flags]
    if flags:  # joined as the flags columns are (split_flags reads it back)
        return FLAGGED, ";".join(flags)
    return OK, ""


def included_statuses(include_flagged: bool) -> tuple[str, ...]:
    """The statuses whose values enter the statistics (failed ones have none)."""
    return (OK, FLAGGED) if include_flagged else (OK,)


def used_label(include_flagged: bool) -> str:
    """How the tables and figures say which populations the statistics use."""
    return "ok and flagged" if include_flagged else "ok only (flagged left out)"


def left_out_summary(left_out: pd.DataFrame) -> str:
    """'2 flagged, 1 failed, 1 excluded' (or 'none') for rows with a `status` column."""
    if left_out.empty:
        return "none"
    counts = left_out["status"].value_counts()
    return ", ".join(f"{counts[s]} {s}" for s in (FLAGGED, FAILED, EXCLUDED) if s in counts)

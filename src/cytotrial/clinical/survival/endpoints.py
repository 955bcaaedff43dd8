"""Time-to-event endpoints from dates.csv and the data cut-off.

* PFS-B: part B registration -> progression in part B or death, whichever first.
* OS-B: part B registration -> death (any cause).
* PFS-AB: part A start -> progression in part B or death (the whole strategy; a progression in
  part A is what led to part B, so it is not the PFS-AB event).
* OS-AB: part A start -> death.
* OS-A: part A start -> death for every enrolled patient (the trial's follow-up).

Without an event a patient is censored at the last follow-up. Nothing after the cut-off counts:
an event dated after it is ignored and follow-up is cut there (censored at the cut-off).
Months = days / 30.4375. -B and -AB endpoints exist only for patients registered in part B.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from cytotrial.errors import InputError

__all__ = [
    "DAYS_PER_MONTH",
    "ENDPOINTS",
    "FOLLOWUP_ENDPOINT",
    "ENDPOINT_LABELS",
    "slug",
    "from_slug",
    "derive_endpoints",
]

DAYS_PER_MONTH = 30.4375
ENDPOINTS = ("PFS-B", "OS-B", "PFS-AB", "OS-AB")
FOLLOWUP_ENDPOINT = "OS-A"
ENDPOINT_LABELS = {
    "PFS-B": "Progression-free survival from part B registration (PFS-B)",
    "OS-B": "Overall survival from part B registration (OS-B)",
    "PFS-AB": "Progression-free survival from start of part A (PFS-AB)",
    "OS-AB": "Overall survival from start of part A (OS-AB)",
    "OS-A": "Overall survival from start of part A, all enrolled patients",
}
# (origin column, event columns): the first event column dated on or before the cut-off wins.
_DEFINITIONS = {
    "PFS-B": ("part_b_registration", ("part_b_progression", "death")),
    "OS-B": ("part_b_registration", ("death",)),
    "PFS-AB": ("part_a_start", ("part_b_progression", "death")),
    "OS-AB": ("part_a_start", ("death",)),
    "OS-A": ("part_a_start", ("death",)),
}
_EVENT_NAMES = {"part_b_progression": "progression", "death": "death"}
_COLUMNS = ["patient_id", "endpoint", "origin", "end", "event", "months", "status"]


def slug(endpoint: str) -> str:
    """File-name form of an endpoint: ``PFS-AB`` -> ``pfs_ab``."""
    return endpoint.lower().replace("-", "_")


def from_slug(text: str) -> str:
    """Inverse of ``slug``."""
    for endpoint in (*ENDPOINTS, FOLLOWUP_ENDPOINT):
        if slug(endpoint) == text:
            return endpoint
    raise InputError(f"unknown endpoint {text!r}; expected one of {[slug(e) for e in ENDPOINTS]}")


def derive_endpoints(
    dates: pd.DataFrame,
    cutoff: pd.Timestamp,
    patient_ids: Iterable[str] | None = None,
    endpoints: Iterable[str] = ENDPOINTS,
) -> pd.DataFrame:
    """One row per patient and endpoint: origin, end date, event (0/1), months, status.

    ``patient_ids`` restricts (and orders) the patients; all of dates.csv by default. Raises
    InputError naming the patient when an event or the last follow-up precedes the origin.
    """
    cutoff = pd.Timestamp(cutoff)
    d = dates.set_index("patient_id")
    if patient_ids is not None:
        ids = list(patient_ids)
        missing = [p for p in ids if p not in d.index]
        if missing:
            raise InputError(f"dates.csv: no row for patient(s) {', '.join(missing[:5])}")
        d = d.loc[ids]
    # in part B by the cut-off (a registration after it is not part of this analysis)
    part_b = d["part_b_registration"].notna() & (d["part_b_registration"] <= cutoff)
    rows = []
    for endpoint in endpoints:
        origin_col, event_cols = _DEFINITIONS[endpoint]
        who = d if endpoint == FOLLOWUP_ENDPOINT else d[part_b]
        for pid, rec in who.iterrows():
            rows.append(_one(str(pid), endpoint, rec, origin_col, event_cols, cutoff))
    table = pd.DataFrame([r for r in rows if r is not None], columns=_COLUMNS)
    table["event"] = table["event"].astype(int)
    return table


def _one(pid, endpoint, rec, origin_col, event_cols, cutoff) -> list | None:
    origin = rec[origin_col]
    if pd.isna(origin) or origin > cutoff:
        return None  # registered after the cut-off: not part of this analysis
    events = [
        (rec[c], _EVENT_NAMES[c]) for c in event_cols if pd.notna(rec[c]) and rec[c] <= cutoff
    ]
    if events:
        end, status = min(events, key=lambda e: e[0])
        event = 1
        if end < origin:
            raise InputError(
                f"dates.csv, patient {pid}: {status} ({end:%Y-%m-%d}) is before "
                f"{origin_col} ({origin:%Y-%m-%d})"
            )
    else:
        last = rec["last_followup"]
        end = min(last, cutoff)
        event = 0
        status = "censored at cut-off" if last > cutoff else "censored at last follow-up"
        if end < origin:
            raise InputError(
                f"dates.csv, patient {pid}: last_followup ({last:%Y-%m-%d}) is before "
                f"{origin_col} ({origin:%Y-%m-%d})"
            )
    months = (end - origin).days / DAYS_PER_MONTH
    return [pid, endpoint, origin, end, event, months, status]

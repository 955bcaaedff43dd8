"""What happened to a failed or flagged sample, in words, for the report's problem table.

The sample QC's `status` is the analysis status ('ok' for a sample that was analysed,
flags or not), so a "Failed or flagged samples" table showing it said 'ok' beside every
flag. The table shows instead what the reader needs: failed (and why, not analysed) or
flagged (kept, and by which checks). The download keeps status and reason as written.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "FLAG_KINDS",
    "OUTCOME",
    "outcome_text",
    "with_outcome",
]

OUTCOME = "Outcome"
# Flag column -> what the reader calls that check.
FLAG_KINDS: dict[str, str] = {
    "qc_flags": "acquisition QC",
    "gate_flags": "gating",
    "cohort_flags": "cohort QC",
}


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def outcome_text(row: pd.Series) -> str:
    """'failed (not analysed): <reason>' for a sample whose status is not ok; else
    'flagged, kept: <which checks>'; '' for an ok sample without flags."""
    status = _text(row.get("status")).strip()
    reason = _text(row.get("reason")).strip() or _text(row.get("status_reason")).strip()
    if status and status != "ok":
        kind = "failed" if status == "failed" else f"failed ({status.replace('_', ' ')})"
        return f"{kind}, not analysed: {reason or 'no reason recorded'}"
    checks = [label for column, label in FLAG_KINDS.items() if _text(row.get(column)).strip()]
    if not checks:
        return ""
    return "flagged, kept: " + ", ".join(checks) + " flags"


def with_outcome(problems: pd.DataFrame) -> pd.DataFrame:
    """`problems` as the report shows it: the sample ID, its outcome in words, then the
    flag columns; status and reason folded into the outcome."""
    shown = problems.drop(columns=[c for c in ("status", "reason") if c in problems])
    outcome = problems.apply(outcome_text, axis=1) if len(problems) else pd.Series(dtype=str)
    shown.insert(1, OUTCOME, outcome)
    return shown

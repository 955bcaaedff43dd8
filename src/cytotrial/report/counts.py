"""What each table and figure of the report counts: its "n = ..." statement.

Every table and figure of the main page states its n (patients; samples and pairs for
flow cytometry) first in its caption, counted from the rows it shows or the result file
it is drawn from, never written in; where the n is not the whole cohort, a short clause
says why (part B at the RP2D, patients with a flow sample, pairs, ...). The cohort's
sizes come from the patient-flow table (patient_flow.tsv, rule clinical_patient_flow),
whose boxes are checked to add up when it is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

__all__ = [
    "Cohort",
    "n_text",
    "plural",
    "count_range",
]


def plural(count: int, noun: str, nouns: str = "") -> str:
    """'1 patient', '44 patients'; `nouns` where the plural is not noun + 's' ('batches')."""
    return f"{count} " + (noun if count == 1 else nouns or noun + "s")


def n_text(count: int, noun: str, why: str = "") -> str:
    """'n = 44 patients (why)'; `why` is left out when empty."""
    return f"n = {plural(count, noun)}" + (f" ({why})" if why else "")


def count_range(values: Iterable[object]) -> str:
    """'12-18' (or '15' when all equal) over the numbers given; '0' for none."""
    numbers = sorted(
        int(v) for v in pd.to_numeric(pd.Series(list(values)), errors="coerce").dropna()
    )
    if not numbers:
        return "0"
    low, high = numbers[0], numbers[-1]
    return f"{low}" if low == high else f"{low}-{high}"


def _box(flow: pd.DataFrame, box: str) -> int | None:
    if flow.empty or "box" not in flow or "n" not in flow:
        return None
    found = flow.loc[flow["box"] == box, "n"]
    return int(found.iloc[0]) if len(found) else None


@dataclass(frozen=True)
class Cohort:
    """The trial's populations as the patient-flow table counts them (None: not known)."""

    enrolled: int | None = None  # part A: the whole cohort
    part_b: int | None = None
    phase1: int | None = None
    phase2: int | None = None
    rp2d: int | None = None
    rp2d_label: str = ""  # 'Treated at the RP2D (45 mg/m2)'

    @classmethod
    def from_flow(cls, flow: pd.DataFrame) -> Cohort:
        """The sizes from patient_flow.tsv (an empty table: every size unknown)."""
        label = ""
        if len(flow) and "label" in flow:
            found = flow.loc[flow["box"] == "rp2d", "label"]
            label = str(found.iloc[0]) if len(found) else ""
        return cls(
            enrolled=_box(flow, "part_a"),
            part_b=_box(flow, "part_b"),
            phase1=_box(flow, "phase1"),
            phase2=_box(flow, "phase2"),
            rp2d=_box(flow, "rp2d"),
            rp2d_label=label,
        )

    def whole(self, what: str = "patients enrolled") -> str:
        """'n = 63 patients enrolled (the whole cohort)'."""
        if self.enrolled is None:
            return "n = not known (no patient-flow table)"
        return f"n = {self.enrolled} {what} (the whole cohort)"

    def lower_dose(self, rp2d: int | None = None) -> str:
        """'the other 6 of the 50 part B patients had a lower phase 1 dose' ('' when
        part B has no patient outside the `rp2d` count, default the RP2D size)."""
        rp2d = self.rp2d if rp2d is None else rp2d
        if self.part_b is None or rp2d is None or self.part_b <= rp2d:
            return ""
        return (
            f"the other {self.part_b - rp2d} of the {self.part_b} part B patients had a "
            "lower phase 1 dose"
        )

    def rp2d_why(self) -> str:
        """Why the RP2D population is not the cohort: 'part B at the RP2D, the efficacy
        population: of the 63 enrolled, 50 entered part B, 6 of them at a lower phase 1
        dose' (what is known of it)."""
        why = "part B at the RP2D, the efficacy population"
        if self.enrolled is None or self.part_b is None:
            return why
        why += f": of the {self.enrolled} enrolled, {self.part_b} entered part B"
        if self.rp2d is not None and self.part_b > self.rp2d:
            why += f", {self.part_b - self.rp2d} of them at a lower phase 1 dose"
        return why

    def rp2d_n(self, count: int | None = None, noun: str = "patient") -> str:
        """'n = 44 patients (part B at the RP2D ...)': `count` (default: the RP2D size)."""
        count = self.rp2d if count is None else count
        if count is None:
            return "n = not known (no patient-flow table)"
        return n_text(count, noun, self.rp2d_why())

    def parts_n(self, part_a: int | None = None, part_b_rp2d: int | None = None) -> str:
        """Part A (all enrolled) and part B at the RP2D, the populations of Tables 1-2."""
        a = self.enrolled if part_a is None else part_a
        b = self.rp2d if part_b_rp2d is None else part_b_rp2d
        if a is None or b is None:
            return "n = not known (no patient-flow table)"
        text = f"n = {a} patients in part A (all enrolled) and {b} in part B at the RP2D"
        lower = self.lower_dose(b)
        return text + (f" ({lower})" if lower else "")

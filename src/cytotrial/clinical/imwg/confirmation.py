"""Confirmation, best overall response, progression date and part B eligibility (guide 1.4).

* A response (sCR..MR) is confirmed by the next assessment: the confirmed level is the _worse
  of the two; if the next one is SD, PD, NE or missing, the level is SD (admiralonco's table).
  SD needs no confirmation.
* PD is confirmed by a second consecutive PD, by imaging (new lesion, plasmacytoma growth), or
  by death within ``death_confirms_pd_days`` of a PD at the part's last assessment. Its date is
  the first PD assessment. An unconfirmed PD followed by a non-PD assessment counts as SD; one
  at the last assessment stays unconfirmed (NE).
* Best overall response: the best confirmed level up to the first confirmed PD, ordered
  sCR > CR > VGPR > PR > MR > SD > PD > NE; NE when nothing was evaluable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cytotrial.clinical.imwg.assessment import RESPONSES, Assessment
from cytotrial.clinical.imwg.settings import ImwgSettings

__all__ = [
    "AT_LEAST_PR",
    "PartResult",
    "confirm",
    "best_overall_response",
    "part_b_eligibility",
    "Confirmed",
]

_ORDER = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
AT_LEAST_PR = ("sCR", "CR", "VGPR", "PR")


def _better(a: str, b: str) -> str:
    return a if _ORDER.index(a) <= _ORDER.index(b) else b


def _worse(a: str, b: str) -> str:
    return a if _ORDER.index(a) >= _ORDER.index(b) else b


@dataclass(frozen=True)
class Confirmed:
    """The confirmed level of one assessment and, for PD, what confirmed it."""

    level: str
    pd_confirmed_by: str | None = None  # second_assessment, imaging or death
    note: str | None = None  # e.g. pd_unconfirmed


@dataclass(frozen=True)
class PartResult:
    """One patient's part: best overall response and progression."""

    best_response: str
    response_date: pd.Timestamp | None
    best_unconfirmed: str
    progression_date: pd.Timestamp | None
    pd_confirmed_by: str | None
    n_assessments: int


def confirm(
    assessments: Sequence[Assessment], death: pd.Timestamp | None, s: ImwgSettings
) -> list[Confirmed]:
    """The confirmed level of every assessment (same order)."""
    out = []
    for i, a in enumerate(assessments):
        nxt = assessments[i + 1].category if i + 1 < len(assessments) else None
        if a.category in RESPONSES:
            out.append(Confirmed(_worse(a.category, nxt) if nxt in RESPONSES else "SD"))
        elif a.category == "PD":
            out.append(_confirm_pd(a, nxt, death, s))
        else:
            out.append(Confirmed(a.category))
    return out


def _confirm_pd(a: Assessment, nxt: str | None, death, s: ImwgSettings) -> Confirmed:
    if a.imaging_pd:
        return Confirmed("PD", "imaging")
    if nxt == "PD":
        return Confirmed("PD", "second_assessment")
    if nxt is None:
        dies = death is not None and pd.notna(death)
        if dies and 0 <= (death - a.date).days <= s.death_confirms_pd_days:
            return Confirmed("PD", "death")
        return Confirmed("NE", None, "pd_unconfirmed")
    if nxt == "NE":
        return Confirmed("NE", None, "pd_unconfirmed")
    return Confirmed("SD", None, "pd_not_confirmed")


def best_overall_response(
    assessments: Sequence[Assessment], death: pd.Timestamp | None, s: ImwgSettings
) -> PartResult:
    """BOR, its date, the best unconfirmed category and the confirmed progression date."""
    confirmed = confirm(assessments, death, s)
    stop = next((i for i, c in enumerate(confirmed) if c.pd_confirmed_by), None)
    upto = len(confirmed) if stop is None else stop + 1
    best, best_raw = "NE", "NE"
    for a, c in zip(assessments[:upto], confirmed[:upto], strict=True):
        best = _better(best, c.level)
        best_raw = _better(best_raw, a.category)
    when = None
    if best in RESPONSES:
        when = next(a.date for a, c in zip(assessments, confirmed, strict=True) if c.level == best)
    return PartResult(
        best_response=best,
        response_date=when,
        best_unconfirmed=best_raw,
        progression_date=assessments[stop].date if stop is not None else None,
        pd_confirmed_by=confirmed[stop].pd_confirmed_by if stop is not None else None,
        n_assessments=len(assessments),
    )


def part_b_eligibility(
    assessments: Sequence[Assessment],
    result: PartResult,
    start: pd.Timestamp,
    s: ImwgSettings,
) -> tuple[str | None, pd.Timestamp | None]:
    """The protocol's first part B entry criterion met in part A, and when.

    pd_in_cycle1 (confirmed PD dated within cycle 1); below_mr_after_cycle2 (SD or PD at the
    assessment ending cycle 2); below_pr_after_cycle3 (MR, SD or PD at the one ending cycle 3);
    pd_after_response (confirmed PD after a confirmed >= PR). A later PD without an earlier
    criterion gives pd_without_response. The assessment "ending cycle k" is the one closest to
    start + k * cycle among those dated in (start + (k-1) * cycle + window, start + k * cycle +
    window]. On the same date a PD criterion wins over a response-level one.
    """
    found: list[tuple[pd.Timestamp, int, str]] = []
    pd_date = result.progression_date
    if pd_date is not None and pd_date <= _day(start, s.cycle_days):
        found.append((pd_date, 0, "pd_in_cycle1"))
    if pd_date is not None:
        responded = result.best_response in AT_LEAST_PR
        found.append((pd_date, 1, "pd_after_response" if responded else "pd_without_response"))
    for k, below, reason in ((2, ("SD", "PD"), "below_mr_after_cycle2"),
                             (3, ("MR", "SD", "PD"), "below_pr_after_cycle3")):  # fmt: skip
        visit = _end_of_cycle(assessments, start, k, s)
        if visit is not None and visit.category in below:
            found.append((visit.date, k, reason))
    if not found:
        return None, None
    when, _, reason = min(found)
    return reason, when


def _day(start: pd.Timestamp, days: int) -> pd.Timestamp:
    return start + pd.Timedelta(days=days)


def _end_of_cycle(
    assessments: Sequence[Assessment], start: pd.Timestamp, k: int, s: ImwgSettings
) -> Assessment | None:
    low = _day(start, (k - 1) * s.cycle_days + s.visit_window_days)
    high = _day(start, k * s.cycle_days + s.visit_window_days)
    target = _day(start, k * s.cycle_days)
    inside = [a for a in assessments if low < a.date <= high]
    return min(inside, key=lambda a: abs(a.date - target)) if inside else None

"""Serial lab values of the demo trial (lab_values.csv), consistent with the reported tables.

For every patient and part, a trajectory of the response marker from which the IMWG engine
derives exactly the reported best response, progression date and part B entry reason:

* marker: serum M-protein for IgG/IgA/IgD/IgM disease; urine M-protein for Bence Jones
  disease; free light chains for light-chain-only disease, except that a light-chain patient
  with a reported MR gets measurable urine disease (IMWG has no MR for FLC-only disease);
* visits: the part's baseline (its first dose), then every 28 days until the part ends; each
  level a part passes through is held at a depth drawn per patient and part inside the
  level's band, away from its edges by more than the visit noise (+-3%, never a PD-sized
  rise), so that patients with the same category differ as real ones do (a fixed depth gave
  identical waterfall bars);
* progression: a rise of 1.3 to 3.5 times the PD threshold above the nadir (drawn per part;
  from a CR 1.3 to 1.5 times) on the reported date, confirmed by a further rise a few days
  later (or, with no room, by imaging or death);
* CR: IFE negative (IgG-kappa: serum IFE positive with a negative daratumumab reflex assay),
  marrow plasma cells 2%; part B starts from the value at registration (a new baseline,
  0-12% above the last part A value).

Noise comes from its own stream ``default_rng([seed, 12])``: the other tables are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cytotrial.io.lab_values import LAB_COLUMNS

__all__ = [
    "LAB_STREAM",
    "simulate_lab_values",
    "PartPlan",
]

LAB_STREAM = 12
VISIT_DAYS = 28
CONFIRM_DAYS = 7
NOISE = 0.03
# Depth of each level as a fraction of the part baseline left: (low, high) of the per-part
# draw. IMWG bands: SD -25%..+25% (kept to -20..+12%: no MR, no PD-sized rise from the
# nadir), MR 25-49% decrease, PR 50-89%, VGPR >= 90% (kept at 91.5-95%: a dFLC much lower
# would normalise the FLC ratio and read as CR); every edge more than NOISE away.
BAND = {"SD": (0.80, 1.12), "MR": (0.53, 0.72), "PR": (0.14, 0.46), "VGPR": (0.05, 0.085)}
# Urine bands differ: MR is a 50-89% decrease (still >= 200 mg), PR/VGPR are < 200 / < 100 mg;
# SD stays >= 200 mg (below that it reads as PR).
URINE_BAND = {"SD": (0.80, 1.12), "MR": (0.12, 0.48)}
URINE_LEVEL_MG = {"PR": (110.0, 190.0), "VGPR": (20.0, 90.0)}
URINE_FLOOR_MG = 207.0  # 200 mg / (1 - NOISE) with a margin
URINE_MR_BASELINE_MG = 520.0  # an urine MR (>= 200 mg at <= 50%) needs this much at baseline
PD_FACTOR = (1.3, 3.5)  # rise above the nadir, in multiples of the PD threshold
PD_CONFIRM_RISE = (1.03, 1.25)  # the confirming value over the first PD value
# From a CR (nadir 0) the spike comes back small: a serum part B then starts between 5 and
# 10 g/L, measurable only at the trial's 5 g/L threshold (the demo exercises it).
PD_FACTOR_FROM_CR = (1.3, 1.5)
PD_CONFIRM_RISE_FROM_CR = (1.03, 1.1)
PART_B_STEP = (1.0, 1.12)  # part B baseline over the last part A value
# Levels on the way to the best response (the last one is held until the part ends).
RAMP = {
    "NE": (), "PD": (), "SD": ("SD",), "MR": ("MR", "MR"), "PR": ("MR", "PR", "PR"),
    "VGPR": ("PR", "VGPR", "VGPR"), "CR": ("PR", "VGPR", "CR", "CR"),
    "sCR": ("PR", "VGPR", "sCR", "sCR"),
}  # fmt: skip
PD_MIN = {"serum": 5.0, "urine": 200.0, "flc": 100.0}  # absolute rise IMWG asks for
UNINVOLVED_FLC = 10.0
DEATH_CONFIRMS_DAYS = 28


@dataclass(frozen=True)
class PartPlan:
    """What one part must show: best response, PD day, last day with data (from its start)."""

    part: str
    start: pd.Timestamp
    best: str
    pd_day: int | None
    limit_day: int  # visits on days < limit_day
    confirm_limit_day: int  # a PD confirmation on a day < this
    death_day: int | None
    switch_visit: bool = False  # part A left for insufficient response: assess just before


def _marker_of(heavy_chain: str, responses: list[str]) -> str:
    """The response marker the simulated patient's disease is measurable in."""
    if heavy_chain == "bence_jones":
        return "urine"
    if heavy_chain == "light_chain_only":
        return "urine" if "MR" in responses else "flc"
    return "serum"


def simulate_lab_values(
    patients: pd.DataFrame,
    dates: pd.DataFrame,
    responses: pd.DataFrame,
    therapies: pd.DataFrame,
    baseline: pd.DataFrame,
    seed: int,
) -> pd.DataFrame:
    """lab_values.csv of the demo trial (columns LAB_COLUMNS, sorted by patient and date)."""
    rng = np.random.default_rng([seed, LAB_STREAM])
    best = responses.set_index(["patient_id", "part"])["best_response"]
    first_therapy = therapies.groupby("patient_id")["start_date"].min()
    bm = baseline[baseline.part == "A"].set_index("patient_id")["bm_plasma_cells_pct"]
    d = dates.set_index("patient_id")
    rows: list[dict] = []
    for p in patients.itertuples(index=False):
        pid = p.patient_id
        reported = [best.get((pid, part)) for part in ("A", "B")]
        marker = _marker_of(p.heavy_chain, [r for r in reported if isinstance(r, str)])
        igg_kappa = p.heavy_chain == "IgG" and p.light_chain == "kappa"
        plans = _plans(pid, d.loc[pid], best, first_therapy.get(pid))
        patient = _Patient(pid, marker, p.light_chain, igg_kappa, rng)
        rows += patient.rows(plans, bm.get(pid))
    table = pd.DataFrame(rows).reindex(columns=list(LAB_COLUMNS))
    return table.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True)


def _plans(pid: str, d: pd.Series, best: pd.Series, therapy) -> list[PartPlan]:
    ends = [t for t in (therapy, d.death) if pd.notna(t)]
    plans = []
    a_start, b_reg = d.part_a_start, d.part_b_registration
    after_fu = d.last_followup + pd.Timedelta(days=1)
    if pd.isna(b_reg):
        stop = min([*ends, after_fu])
        plans.append(_plan("A", a_start, best[(pid, "A")], d.part_a_progression, stop, stop, d))
        return plans
    part_a = _plan("A", a_start, best[(pid, "A")], d.part_a_progression, b_reg, b_reg, d)
    plans.append(replace(part_a, switch_visit=pd.isna(d.part_a_progression)))
    eot = d.part_b_end_of_treatment
    stop = min([*ends, after_fu, *([eot + pd.Timedelta(days=1)] if pd.notna(eot) else [])])
    confirm_stop = min([*[t for t in ends if t > b_reg], after_fu])
    b_best = best.get((pid, "B"), "NE")
    plans.append(_plan("B", b_reg, b_best, d.part_b_progression, stop, confirm_stop, d))
    return plans


def _plan(part, start, best, progression, stop, confirm_stop, d) -> PartPlan:
    def days(when) -> int | None:
        return None if pd.isna(when) else int((when - start).days)

    return PartPlan(part, start, best, days(progression), days(stop), days(confirm_stop),
                    days(d.death))  # fmt: skip


class _Patient:
    """Writes one patient's rows, part after part (part B starts where part A ended)."""

    def __init__(self, pid, marker, light_chain, igg_kappa, rng) -> None:
        self.pid, self.marker, self.light_chain = pid, marker, light_chain
        self.igg_kappa, self.rng = igg_kappa, rng
        self.value = self._first_baseline()

    def _first_baseline(self) -> float:
        low, high = {"serum": (15, 45), "urine": (800, 2000), "flc": (300, 1500)}[self.marker]
        return float(self.rng.uniform(low, high))

    def rows(self, plans: list[PartPlan], bm_pct) -> list[dict]:
        out = []
        for i, plan in enumerate(plans):
            if i:  # the new baseline: the value reached, a little higher
                self.value = self.value * float(self.rng.uniform(*PART_B_STEP))
                if self.marker == "urine" and plan.best == "MR":
                    self.value = max(self.value, URINE_MR_BASELINE_MG)
            out.append(self._row(plan.start, self.value, "baseline", bm_pct if not i else None))
            out += self._part(plan)
        return out

    def _part(self, plan: PartPlan) -> list[dict]:
        base, nadir = self.value, self.value
        limit = plan.pd_day if plan.pd_day is not None else plan.limit_day
        grid, levels = _visits(RAMP[plan.best], limit, plan.switch_visit)
        depth = {level: self._depth(level, base) for level in dict.fromkeys(levels)}
        rows = []
        for visit, level in zip(grid, levels, strict=True):
            value = self._noisy(depth[level])
            nadir = min(nadir, value)
            rows.append(self._row(plan.start + pd.Timedelta(days=visit), value, level))
        self.value = rows[-1]["_value"] if rows else base
        if plan.pd_day is not None:
            rows += self._progression(plan, nadir)
        return rows

    def _depth(self, level: str, base: float) -> float:
        """The value this part holds at ``level``, drawn inside the level's band."""
        if level in ("CR", "sCR"):
            return 0.0
        if self.marker == "urine" and level in URINE_LEVEL_MG:
            return float(self.rng.uniform(*URINE_LEVEL_MG[level]))
        if self.marker == "urine":
            low, high = URINE_BAND[level]
            low = max(low, URINE_FLOOR_MG / base)  # still >= 200 mg with the noise
            if low >= high:  # a baseline too low for the band: name it rather than guess
                raise ValueError(f"{self.pid}: urine baseline {base:.0f} mg too low for {level}")
            return float(self.rng.uniform(low, high)) * base
        return float(self.rng.uniform(*BAND[level])) * base

    def _noisy(self, depth: float) -> float:
        return round(depth * (1 + self.rng.uniform(-NOISE, NOISE)), 2)

    def _progression(self, plan: PartPlan, nadir: float) -> list[dict]:
        from_cr = nadir == 0
        factor = float(self.rng.uniform(*(PD_FACTOR_FROM_CR if from_cr else PD_FACTOR)))
        rise = factor * max(0.25 * nadir, PD_MIN[self.marker])
        first = round(nadir + rise, 2)
        confirm_rise = PD_CONFIRM_RISE_FROM_CR if from_cr else PD_CONFIRM_RISE
        second = round(first * float(self.rng.uniform(*confirm_rise)), 2)
        day = plan.pd_day
        room = plan.confirm_limit_day - day
        confirm = day + max(1, min(CONFIRM_DAYS, room // 2))
        rows = []
        if confirm < plan.confirm_limit_day:
            rows.append(self._row(plan.start + pd.Timedelta(days=day), first, "PD"))
            rows.append(self._row(plan.start + pd.Timedelta(days=confirm), second, "PD"))
            self.value = second
        else:
            dies = plan.death_day is not None and 0 <= plan.death_day - day <= DEATH_CONFIRMS_DAYS
            row = self._row(plan.start + pd.Timedelta(days=day), first, "PD")
            row["new_lesion"] = None if dies else "yes"  # else confirmed on imaging
            rows.append(row)
            self.value = first
        return rows

    def _row(self, when: pd.Timestamp, value: float, level: str, bm_pct=None) -> dict:
        value = round(value, 2)
        row = {"patient_id": self.pid, "date": when, "_value": value}
        serum = value if self.marker == "serum" else 0.0
        urine = value if self.marker == "urine" else 0.0
        row.update(self._flc(value if self.marker == "flc" else None, level))
        row["serum_m_protein_g_l"] = serum
        row["urine_m_protein_mg_24h"] = urine
        complete = level in ("CR", "sCR")
        row["serum_ife"] = "negative" if complete or self.marker == "urine" else "positive"
        row["urine_ife"] = "negative" if complete or self.marker != "urine" else "positive"
        if complete and self.igg_kappa:  # daratumumab's band, identified by the reflex assay
            row["serum_ife"], row["dira"] = "positive", "negative"
        if complete:
            row["bm_plasma_cells_pct"] = 2.0
            row["bm_clonal"] = "no" if level == "sCR" else None
        elif bm_pct is not None and pd.notna(bm_pct):
            row["bm_plasma_cells_pct"] = float(bm_pct)
        row["new_lesion"] = "no"
        return row

    def _flc(self, dflc: float | None, level: str) -> dict:
        """kappa/lambda: involved = uninvolved + dFLC (FLC disease), else a normal ratio."""
        u = round(UNINVOLVED_FLC * (1 + self.rng.uniform(-NOISE, NOISE)), 2)
        if dflc is None or level in ("CR", "sCR"):
            inv = round(u * 1.2, 2)  # ratio 1.2 (or 0.83): normal
        else:
            inv = round(u + dflc, 2)
        kappa, lambda_ = (inv, u) if self.light_chain == "kappa" else (u, inv)
        return {"serum_kappa_mg_l": kappa, "serum_lambda_mg_l": lambda_}


def _visits(ramp: tuple[str, ...], limit: int, switch: bool) -> tuple[list[int], list[str]]:
    """Visit days (< limit) and the level of each: every 28 days, the ramp then its last level;
    a part too short for the grid gets the last one or two levels spread evenly; with
    ``switch``, one more visit the day before the part ends (the response the switch is
    judged on) unless the last one is within a week of it."""
    if not ramp:
        return [], []
    grid = list(range(VISIT_DAYS, limit, VISIT_DAYS))
    if switch and limit - 1 - (grid[-1] if grid else 0) > CONFIRM_DAYS:
        grid.append(limit - 1)
    need = min(len(ramp), 2)
    if len(grid) < need:
        grid = sorted({max(1, round(limit * (k + 1) / (need + 1))) for k in range(need)})
    if len(grid) < len(ramp):
        return grid, list(ramp[len(ramp) - len(grid) :])
    return grid, [*ramp, *[ramp[-1]] * (len(grid) - len(ramp))]

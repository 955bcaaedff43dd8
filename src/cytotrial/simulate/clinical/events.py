"""Responses, adverse events and subsequent therapies of the simulated trial.

Adverse events are laid out so that counting them the paper's way (Table 2: per part,
each patient once per row at their worst grade; grade 2 vs grade 3-4; part A over all
63 patients, part B over the 44 RP2D patients) gives the published numbers exactly.
Only grade >= 2 events were collected, plus infusion-related reactions and
polyneuropathy of any grade (Methods), so grade-1 rows are limited to those terms.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cytotrial.simulate import paper_targets as pt

__all__ = [
    "TABLE2_ROWS",
    "part_b_responses",
    "adverse_events",
    "dlt_not_evaluable",
    "supportive_care",
    "subsequent_therapies",
    "to_dates",
]

# CTCAE v4.03 term -> Table 2 row.
TABLE2_ROWS: dict[str, str] = {
    "Anemia": "Anemia",
    "Platelet count decreased": "Thrombocytopenia",
    "Neutrophil count decreased": "Neutropenia",
    "Febrile neutropenia": "Febrile neutropenia",
    "Infusion related reaction": "Infusion-related reaction",
    "Upper respiratory infection": "Upper respiratory tract",
    "Lung infection": "Pneumonia",
    "Enterocolitis infectious": "Gastrointestinal",
    "Urinary tract infection": "Urinary tract infection",
    "Skin infection": "Skin infection",
    "Infections and infestations - Other, specify": "Other",
    "Headache": "Headache",
    "Thromboembolic event": "Thromboembolic event",
    "Neoplasms benign, malignant and unspecified (incl cysts and polyps) - Other, specify": (
        "Second primary malignancy"
    ),
    "Fatigue": "Fatigue",
}
ROW_TERMS = {row: term for term, row in TABLE2_ROWS.items()}
HEMATOLOGIC = ("Anemia", "Thrombocytopenia", "Neutropenia")
# Rows where a patient with a grade 3-4 event may also have had a grade 2 episode.
REPEATABLE = (
    *HEMATOLOGIC,
    "Upper respiratory tract",
    "Pneumonia",
    "Urinary tract infection",
    "Skin infection",
    "Fatigue",
)
AE_COLUMNS = ("patient_id", "part", "term", "grade", "onset_date", "detail")


# --- responses ---------------------------------------------------------------------------


def part_b_responses(
    prof: pd.DataFrame, pfs_days: pd.Series, kind: np.ndarray, rng: np.random.Generator
) -> pd.Series:
    """Best response in part B, consistent with each patient's course.

    RP2D: the two special patients VGPR; the patient lost to follow-up NE; the 14
    progressors with the shortest PFS PD (PD + NE = 15); MR for two of the longest
    remaining; SD for the rest (25). Phase 1 at 15/30 mg/m2: 3 PD, 3 SD.
    """
    out = pd.Series(None, index=prof.index, dtype=object)
    in_b = prof.group.isin(["B1", "B2"]).to_numpy()
    out[in_b] = "SD"
    out[prof.role.isin(["vgpr_after_mr", "vgpr_after_cr"]).to_numpy()] = "VGPR"
    out[(kind == "stop_early") & in_b] = "NE"
    for rp2d, n_pd in ((True, 14), (False, 3)):
        cohort = in_b & (prof.rp2d.to_numpy() == rp2d)
        prog = np.flatnonzero(cohort & (kind == "progressor"))
        order = prog[np.argsort(pfs_days.to_numpy()[prog], kind="stable")]
        out[order[:n_pd]] = "PD"
        if rp2d:
            longest = order[-8:]
            out[rng.choice(longest, size=2, replace=False)] = "MR"
    return out


# --- adverse events ----------------------------------------------------------------------


def _windows(prof: pd.DataFrame, times: pd.DataFrame, starts: np.ndarray) -> dict[str, np.ndarray]:
    """[first, last] ordinal day of each part's on-treatment AE window (NaN if none)."""
    cutoff = pt.CUTOFF.toordinal()
    last_fu = starts + times.last_fu.to_numpy()
    a_last = starts + np.minimum(times.a_end.to_numpy() + 30, times.last_fu.to_numpy())
    in_b = prof.group.isin(["B1", "B2"]).to_numpy()
    a_last[in_b] = starts[in_b] + times.b_reg.to_numpy()[in_b] - 1
    b_first = starts + times.b_reg.to_numpy()
    b_end = times.b_end.to_numpy() + 30
    b_last = starts + np.where(np.isnan(b_end), times.last_fu.to_numpy(), b_end)
    b_last = np.minimum(np.minimum(b_last, last_fu), cutoff)
    return {
        "A": np.stack([starts, np.minimum(a_last, cutoff)], axis=1).astype(float),
        "B": np.stack([b_first, b_last], axis=1),
    }


class _AELog:
    """Collects AE rows; onset dates drawn inside the patient's window for the part."""

    def __init__(self, rng: np.random.Generator, prof: pd.DataFrame, windows: dict) -> None:
        self.rng, self.prof, self.windows, self.rows = rng, prof, windows, []

    def add(
        self,
        i: int,
        part: str,
        term: str,
        grade: int,
        detail: str = "",
        within: tuple[int, int] | None = None,
    ) -> None:
        first, last = self.windows[part][i]
        if within is not None:  # days after the window start
            first, last = first + within[0], min(last, first + within[1])
        onset = int(self.rng.integers(int(first), int(last) + 1))
        self.rows.append((self.prof.patient_id.iat[i], part, term, grade, onset, detail or None))

    def choose(
        self, part: str, pool: np.ndarray, k: int, exclude: frozenset[int] = frozenset()
    ) -> list[int]:
        """k distinct patients from pool, more likely the longer they were treated."""
        pool = np.array([p for p in pool if p not in exclude])
        window = self.windows[part]
        part_len = np.maximum(1.0, window[pool, 1] - window[pool, 0])
        weights = np.sqrt(part_len)
        chosen = self.rng.choice(pool, size=k, replace=False, p=weights / weights.sum())
        return [int(i) for i in chosen]


def adverse_events(
    rng: np.random.Generator,
    prof: pd.DataFrame,
    times: pd.DataFrame,
    starts: np.ndarray,
    chest_pain: int,
) -> pd.DataFrame:
    """All AE episodes; Table 2 counts hold exactly for the paper's counting rule.

    chest_pain: the RP2D patient with grade 2 non-cardiac chest pain in cycle 1 (text).
    """
    log = _AELog(rng, prof, _windows(prof, times, starts))
    pools = {
        "A": np.arange(len(prof)),
        "B": np.flatnonzero(prof.rp2d.to_numpy()),
    }
    for row, counts in pt.TABLE2_COUNTS.items():
        for part, (n2, n34) in (("A", counts[:2]), ("B", counts[2:])):
            if n2 + n34:
                _table_row(log, row, part, pools[part], n2, n34)
    _extra_events(log, prof, pools, chest_pain)
    table = pd.DataFrame(log.rows, columns=list(AE_COLUMNS))
    table["onset_date"] = to_dates(table.onset_date.to_numpy())
    return table


def _table_row(log: _AELog, row: str, part: str, pool: np.ndarray, n2: int, n34: int) -> None:
    term = ROW_TERMS[row]
    if row == "Other":  # one patient per footnoted infection
        details = [(d, 2) for d in pt.OTHER_INFECTIONS.get((part, 2), ())]
        details += [(d, 3) for d in pt.OTHER_INFECTIONS.get((part, 3), ())]
        for i, (detail, grade) in zip(log.choose(part, pool, len(details)), details, strict=True):
            log.add(i, part, term, grade, detail)
        return
    if row == "Febrile neutropenia":  # a patient who also had grade 3-4 neutropenia
        neutropenic = {
            int(np.flatnonzero(log.prof.patient_id.eq(pid))[0])
            for pid, p, t, g, *_ in log.rows
            if p == part and t == ROW_TERMS["Neutropenia"] and g >= 3
        }
        pool = np.array(sorted(neutropenic))
    chosen = log.choose(part, pool, n2 + n34)
    for k, i in enumerate(chosen):
        if k < n2:
            grade, detail = 2, ""
            if row == "Second primary malignancy":
                detail = pt.SECOND_PRIMARY_MALIGNANCIES[k]
            within = (0, 1) if row == "Infusion-related reaction" else None
            if part == "B" and row == "Headache":  # ATRA headache, mainly cycles 1-2
                within = (0, 56)
            log.add(i, part, term, grade, detail, within)
            continue
        grade = 3 if row not in HEMATOLOGIC or log.rng.uniform() < 0.7 else 4
        log.add(i, part, term, grade)
        if row in REPEATABLE and log.rng.uniform() < 0.3:
            log.add(i, part, term, 2)  # an earlier or later milder episode


def _extra_events(
    log: _AELog, prof: pd.DataFrame, pools: dict[str, np.ndarray], chest_pain: int
) -> None:
    """Events that are not Table 2 rows or not counted there."""
    irr = ROW_TERMS["Infusion-related reaction"]
    grade2_irr = {
        int(np.flatnonzero(prof.patient_id.eq(pid))[0])
        for pid, p, t, *_ in log.rows
        if p == "A" and t == irr
    }
    n_grade1 = pt.PART_A_IRR_ANY_GRADE - len(grade2_irr)
    for i in log.choose("A", pools["A"], n_grade1, exclude=frozenset(grade2_irr)):
        log.add(i, "A", irr, 1, within=(0, 1))  # first infusion
    # Polyneuropathy was recorded at any grade.
    neuropathy = "Peripheral sensory neuropathy"
    for k, i in enumerate(log.choose("A", pools["A"], 6)):
        log.add(i, "A", neuropathy, 2 if k < 2 else 1)
    for i in log.choose("B", pools["B"], 3):
        log.add(i, "B", neuropathy, 1)
    # Text: one RP2D patient had grade 2 non-cardiac chest pain on day 4 of cycle 1.
    log.add(chest_pain, "B", "Non-cardiac chest pain", 2, within=(3, 3))
    # Phase 1 patients at 15 and 30 mg/m2: part B events outside the RP2D table.
    menu = [
        ("Anemia", (2, 3)),
        ("Platelet count decreased", (2, 3)),
        ("Neutrophil count decreased", (2, 3)),
        ("Upper respiratory infection", (2,)),
        ("Headache", (2,)),
        ("Fatigue", (2,)),
    ]
    low_dose = np.flatnonzero(prof.group.isin(["B1"]).to_numpy() & ~prof.rp2d.to_numpy())
    for i in low_dose:
        picks = log.rng.choice(len(menu), size=int(log.rng.integers(1, 4)), replace=False)
        for j in sorted(picks):
            term, grades = menu[j]
            log.add(int(i), "B", term, int(log.rng.choice(grades)))


def dlt_not_evaluable(prof: pd.DataFrame, times: pd.DataFrame) -> list[int]:
    """The two phase-1 patients at 45 mg/m2 who were not DLT-evaluable (replaced).

    The one with the shortest part B treatment, and the one whose ATRA was interrupted
    in cycle 1 for chest pain (incomplete required dosing): the other shortest.
    """
    idx = np.flatnonzero((prof.group.eq("B1") & prof.rp2d).to_numpy())
    on_b = (times.b_end.fillna(times.last_fu) - times.b_reg).to_numpy()[idx]
    n_out = len(idx) - pt.PHASE1_DLT_EVALUABLE[pt.RP2D_MG_M2]
    return [int(i) for i in idx[np.argsort(on_b, kind="stable")[:n_out]]]


# --- supportive care (Table 2 footnotes) -------------------------------------------------


def supportive_care(
    rng: np.random.Generator,
    prof: pd.DataFrame,
    times: pd.DataFrame,
    starts: np.ndarray,
    ae: pd.DataFrame,
) -> pd.DataFrame:
    """Transfusions and G-CSF, given to the patients with the worst matching AE.

    Per part the number of patients is the footnotes' (part B: RP2D patients); phase 1
    patients at 15/30 mg/m2 with a grade >= 3 event get the matching support too.
    Each patient has 1-3 episodes, the first within days of the event's onset.
    """
    windows = _windows(prof, times, starts)
    position = {pid: i for i, pid in enumerate(prof.patient_id)}
    onset = ae.onset_date.map(pd.Timestamp.toordinal)
    rows = []
    low_dose = set(prof.patient_id[prof.group.eq("B1") & ~prof.rp2d])
    rp2d = set(prof.patient_id[prof.rp2d])
    for support, (row, n_a, n_b) in pt.SUPPORTIVE_CARE.items():
        term = ROW_TERMS[row]
        for part, n in (("A", n_a), ("B", n_b)):
            events = ae[(ae.term == term) & (ae.part == part)].assign(onset=onset)
            worst = events.sort_values(["grade", "onset"], ascending=[False, True], kind="stable")
            worst = worst.drop_duplicates("patient_id")
            counted = worst[worst.patient_id.isin(rp2d)] if part == "B" else worst
            if len(counted) < n:
                raise ValueError(f"{support}, part {part}: {len(counted)} candidates < {n}")
            tie = rng.uniform(size=len(counted))
            order = np.lexsort((tie, -counted.grade.to_numpy()))
            chosen = counted.iloc[order[:n]]
            if part == "B":
                extra = worst[worst.patient_id.isin(low_dose) & (worst.grade >= 3)]
                chosen = pd.concat([chosen, extra])
            for pid, first in zip(chosen.patient_id, chosen.onset, strict=True):
                last = windows[part][position[pid], 1]
                day = min(first + int(rng.integers(0, 4)), last)
                for _ in range(1 + int(rng.binomial(2, 0.3))):
                    rows.append((pid, part, support, int(day)))
                    day = min(day + int(rng.integers(7, 29)), last)
    table = pd.DataFrame(rows, columns=["patient_id", "part", "support", "start"])
    table = table.drop_duplicates(["patient_id", "part", "support", "start"])
    table["start_date"] = to_dates(table.pop("start").to_numpy())
    return table.reset_index(drop=True)


# --- subsequent therapy ------------------------------------------------------------------

_BISPECIFICS = ("Teclistamab", "Teclistamab", "Teclistamab", "Talquetamab", "Talquetamab")
_CAR_T = ("Idecabtagene vicleucel", "Ciltacabtagene autoleucel")
_LATER_LINE_OPENS = {
    "bispecific antibody": dt.date(2018, 6, 1).toordinal(),
    "CAR T-cell": dt.date(2019, 6, 1).toordinal(),
}


def subsequent_therapies(
    rng: np.random.Generator,
    prof: pd.DataFrame,
    times: pd.DataFrame,
    starts: np.ndarray,
    kind: np.ndarray,
    drugs: pd.DataFrame,
) -> pd.DataFrame:
    """First subsequent line for the 38 RP2D patients who stopped for progression (Table 3)
    and, in a later line, 5 bispecific antibodies and 2 CAR T-cell therapies."""
    patients = np.flatnonzero(prof.rp2d.to_numpy() & (kind == "progressor"))
    if patients.size != pt.RP2D_SUBSEQUENT_THERAPY:
        raise ValueError(f"expected {pt.RP2D_SUBSEQUENT_THERAPY} progressors, got {patients.size}")
    regimens = _match_regimens(rng, patients, drugs)
    end = starts + times.b_end.to_numpy()
    horizon = starts + times.last_fu.to_numpy()  # death or last visit
    dead = times.death.notna().to_numpy()
    rows = []
    first_start = {}
    for i in patients:
        latest = horizon[i] - (7 if dead[i] else 0)
        start = int(rng.integers(end[i] + 7, max(end[i] + 8, min(end[i] + 35, latest) + 1)))
        first_start[i] = start
        regimen = regimens[i]
        rows.append((prof.patient_id.iat[i], 1, regimen, pt.TABLE3[regimen][0], start))
    # Later lines, in trials: bispecifics from mid 2018, CAR T from mid 2019 on, at
    # least 2 months after the first subsequent line and a month before death/last visit.
    later = [(r, "bispecific antibody") for r in _BISPECIFICS] + [(r, "CAR T-cell") for r in _CAR_T]
    used: set[int] = set()
    for regimen, klass in later:
        opens = _LATER_LINE_OPENS[klass]
        earliest = {i: max(first_start[i] + 60, opens) for i in patients}
        eligible = [i for i in patients if i not in used and horizon[i] - 30 - earliest[i] >= 30]
        if not eligible:
            raise ValueError(f"no patient alive long enough for a later-line {klass}")
        i = int(rng.choice(eligible))
        used.add(i)
        latest = min(horizon[i] - 30, earliest[i] + 300)
        start = int(rng.integers(earliest[i], latest + 1))
        rows.append((prof.patient_id.iat[i], 2, regimen, klass, start))
    table = pd.DataFrame(rows, columns=["patient_id", "line", "regimen", "regimen_class", "start"])
    table["start_date"] = to_dates(table.pop("start").to_numpy())
    return table


def _match_regimens(
    rng: np.random.Generator, patients: np.ndarray, drugs: pd.DataFrame
) -> dict[int, str]:
    """Table 3 regimens, each preferably to a patient not refractory to its drugs."""
    wants = {
        "Elotuzumab-pomalidomide-dexamethasone": lambda i: (
            drugs.elotuzumab.iat[i] == "not_exposed" and drugs.pomalidomide.iat[i] != "refractory"
        ),
        "Carfilzomib-dexamethasone": lambda i: drugs.carfilzomib.iat[i] == "not_exposed",
    }

    def pom_ok(i: int) -> bool:
        return drugs.pomalidomide.iat[i] != "refractory"

    queue = [r for r in pt.TABLE3 if r in wants] + [r for r in pt.TABLE3 if r not in wants]
    free = [int(i) for i in rng.permutation(patients)]
    out: dict[int, str] = {}
    for regimen in queue:
        ok = wants.get(regimen, pom_ok if regimen.startswith("Pomalidomide") else lambda i: True)
        for _ in range(pt.TABLE3[regimen][1]):
            pick = next((i for i in free if ok(i)), free[0])
            free.remove(pick)
            out[pick] = regimen
    return out


def to_dates(ordinals: np.ndarray) -> np.ndarray:
    """Ordinal days -> datetime64[ns] (date only)."""
    epoch = pd.Timestamp("1970-01-01").toordinal()
    return (
        (np.asarray(ordinals, dtype=np.int64) - epoch)
        .astype("datetime64[D]")
        .astype("datetime64[ns]")
    )

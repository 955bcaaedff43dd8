"""Who the 63 simulated patients are: their path through the trial and fixed traits.

A "profile" fixes, per patient, the part B cohort and ATRA dose, why they entered part B
(or why not), their part A best response, and a few special roles the paper describes
(the two part-B VGPR patients, the three patients pretreated with daratumumab). The
profiles are a hand-made list whose counts are the paper's; the randomness only decides
which patient gets which profile, enrolment order, and the per-patient traits.

Traits that cannot change between parts (sex, M-protein type, cytogenetics) and the
prior-drug history (nothing but daratumumab is given between part A and part B, so the
other drugs' statuses are the same at both baselines) are drawn per group so that the
part B phase 1 ("B1"), phase 2 ("B2") and never-in-part-B ("R") groups add up to every
Table 1 column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cytotrial.simulate import paper_targets as pt

__all__ = [
    "column_counts",
    "build_profiles",
    "assign_fixed_traits",
    "assign_drug_history",
]

GROUPS = ("B1", "B2", "R")
KM_GROUP_OF_REASON = {
    "pd_in_cycle1": "PD",
    "below_mr_after_cycle2": "SD/MR",
    "below_pr_after_cycle3": "SD/MR",
    "pd_after_response": ">=PR",
}
_SHORT = {
    "PD": "pd_in_cycle1",
    "SD": "below_mr_after_cycle2",
    "MR": "below_pr_after_cycle3",
    "PR+": "pd_after_response",
}
# Part B cohorts: (group, ATRA dose, entry reasons). Phase 1 got fewer responders to
# part A than phase 2 (more heavily pretreated); the totals are the paper's 6/16/8/20.
_PART_B_PROFILES = (
    ("B1", 15, ("PD", "SD", "MR")),
    ("B1", 30, ("SD", "SD", "PR+")),
    ("B1", 45, ("PD", "SD", "SD", "SD", "MR", "MR", "PR+", "PR+")),
    ("B2", 45, ("PD",) * 4 + ("SD",) * 10 + ("MR",) * 5 + ("PR+",) * 17),
)
# Patients never enrolled in part B: (reason, part A best response). The three still
# on part A at cut-off are long responders.
_NOT_IN_B_PROFILES = (
    ("still_in_part_a", ("CR", "VGPR", "VGPR")),
    ("ineligible", ("VGPR", "PR", "PR", "SD", "SD", "MR", "PD", "PD")),
    ("withdrew_consent", ("PD", "NE")),
)
_B_RESPONDER_RESPONSES = ("CR",) * 2 + ("VGPR",) * 6 + ("PR",) * 12
# Drug-refractoriness classes per group: D = IMiD and PI refractory, I = IMiD only,
# P = PI only, N = neither. Derived from Table 1 (see _check_drug_classes); phase 1 at
# 45 mg/m2 holds 5 D so that 27 + 5 = 32 of the 44 RP2D patients are triple-class
# refractory at part B entry.
_CLASSES = {
    "B1_low": ("D",) * 5,  # + one of the I/N pool
    "B1_45": ("D",) * 5,  # + three of the I/N pool
    "B1_pool": ("I", "I", "N", "N"),
    "B2": ("D",) * 27 + ("P",) * 3 + ("I",) * 4 + ("N",) * 2,
    "R": ("D",) * 5 + ("I",) * 8,
}


def column_counts(table: dict[str, dict], group: str) -> dict:
    """Counts of a Table 1 row for B1, B2 or R (= A - B1 - B2)."""
    if group != "R":
        return dict(table[group])
    out = {k: table["A"][k] - table["B1"][k] - table["B2"][k] for k in table["A"]}
    if min(out.values()) < 0:
        raise ValueError(f"Table 1 columns inconsistent: {out}")
    return out


def _shuffled(rng: np.random.Generator, counts: dict) -> list:
    values = [key for key, n in counts.items() for _ in range(n)]
    return [values[i] for i in rng.permutation(len(values))]


def build_profiles(rng: np.random.Generator) -> pd.DataFrame:
    """One row per patient (in enrolment order, IDs PT001..PT063) with their trial path."""
    rows = []
    for group, dose, reasons in _PART_B_PROFILES:
        for short in reasons:
            reason = _SHORT[short]
            rows.append(
                {
                    "group": group,
                    "dose": dose,
                    "entry_reason": reason,
                    "not_in_b_reason": None,
                    "resp_a": pt.ENTRY_REASON_PART_A_RESPONSE[reason],
                    "km_group": KM_GROUP_OF_REASON[reason],
                }
            )
    for reason, responses in _NOT_IN_B_PROFILES:
        for resp in responses:
            rows.append(
                {
                    "group": "R",
                    "dose": None,
                    "entry_reason": None,
                    "not_in_b_reason": reason,
                    "resp_a": resp,
                    "km_group": None,
                }
            )
    prof = pd.DataFrame(rows)
    prof["rp2d"] = prof["dose"].eq(pt.RP2D_MG_M2) & prof["group"].isin(["B1", "B2"])
    prof["role"] = ""
    _assign_roles(rng, prof)
    _assign_drug_classes(rng, prof)
    return _enrolment_order(rng, prof)


def _pick(rng: np.random.Generator, mask: pd.Series, k: int = 1) -> list[int]:
    idx = np.flatnonzero(mask.to_numpy())
    return [int(i) for i in rng.choice(idx, size=k, replace=False)]


def _assign_roles(rng: np.random.Generator, prof: pd.DataFrame) -> None:
    """Part A responses of part-B responders and the special patients of the paper."""
    free = prof["role"].eq("")
    # Part B VGPR after part A MR, entered part B ~2 months after part A start.
    (i,) = _pick(rng, free & prof.rp2d & prof.entry_reason.eq("below_pr_after_cycle3"))
    prof.loc[i, "role"] = "vgpr_after_mr"
    # Part B VGPR after part A CR, entered ~16 months after part A start (so in phase 2).
    responders = prof.entry_reason.eq("pd_after_response")
    (i,) = _pick(rng, prof.role.eq("") & prof.group.eq("B2") & responders)
    prof.loc[i, "role"] = "vgpr_after_cr"
    # The three daratumumab-pretreated patients (GEN501): part A best PD twice (both
    # daratumumab refractory and, to give Table 1's 2 triple-class refractory, double
    # refractory) and PR once.
    for i in _pick(rng, prof.role.eq("") & prof.group.eq("B2") & prof.resp_a.eq("PD"), 2):
        prof.loc[i, "role"] = "dara_refractory"
    (i,) = _pick(rng, prof.role.eq("") & prof.group.eq("B2") & responders)
    prof.loc[i, "role"] = "dara_exposed"
    # Part A responses of the 20 part-B responders: CR 2, VGPR 6, PR 12.
    resp = list(_B_RESPONDER_RESPONSES)
    fixed = {"vgpr_after_cr": "CR", "dara_exposed": "PR"}
    for role, value in fixed.items():
        prof.loc[prof.role.eq(role), "resp_a"] = value
        resp.remove(value)
    rest = np.flatnonzero((responders & ~prof.role.isin(list(fixed))).to_numpy())
    for i, value in zip(rest, [resp[j] for j in rng.permutation(len(resp))], strict=True):
        prof.loc[i, "resp_a"] = value


def _assign_drug_classes(rng: np.random.Generator, prof: pd.DataFrame) -> None:
    prof["drug_class"] = ""
    pool = [_CLASSES["B1_pool"][j] for j in rng.permutation(4)]
    slots = {
        "B1_low": prof.group.eq("B1") & ~prof.rp2d,
        "B1_45": prof.group.eq("B1") & prof.rp2d,
        "B2": prof.group.eq("B2"),
        "R": prof.group.eq("R"),
    }
    for name, mask in slots.items():
        classes = list(_CLASSES[name])
        if name == "B1_low":
            classes += pool[:1]
        elif name == "B1_45":
            classes += pool[1:]
        idx = np.flatnonzero(mask.to_numpy())
        if name == "B2":  # the two daratumumab-refractory patients are double refractory
            forced = np.flatnonzero((mask & prof.role.eq("dara_refractory")).to_numpy())
            prof.loc[forced, "drug_class"] = "D"
            classes.remove("D")
            classes.remove("D")
            idx = np.setdiff1d(idx, forced)
        order = rng.permutation(len(classes))
        prof.loc[idx, "drug_class"] = [classes[j] for j in order]


def _enrolment_order(rng: np.random.Generator, prof: pd.DataFrame) -> pd.DataFrame:
    """Sort patients into enrolment order and number them PT001.. in that order.

    Phase 1 dose escalation ran first, so its patients enrolled in part A early
    (15 mg/m2 first, then 30, then 45) and phase 2 patients who moved to part B within
    a few months enrolled later; everyone else is spread over the enrolment period.
    """
    n = len(prof)
    key = rng.uniform(0.0, 1.0, n)
    for dose, (a, b) in {15: (0.0, 0.08), 30: (0.04, 0.16), 45: (0.1, 0.35)}.items():
        mask = (prof.group.eq("B1") & prof.dose.eq(dose)).to_numpy()
        key[mask] = rng.uniform(a, b, mask.sum())
    for groups, (a, b) in {("PD", "SD/MR"): (0.35, 1.0), (">=PR",): (0.15, 1.0)}.items():
        mask = (prof.group.eq("B2") & prof.km_group.isin(groups)).to_numpy()
        key[mask] = rng.uniform(a, b, mask.sum())
    prof = prof.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    prof.insert(0, "patient_id", [f"PT{i + 1:03d}" for i in range(n)])
    return prof


# --- fixed per-patient traits ----------------------------------------------------------


def assign_fixed_traits(rng: np.random.Generator, prof: pd.DataFrame) -> pd.DataFrame:
    """patients.csv traits that do not change between parts, drawn per group."""
    out = pd.DataFrame(index=prof.index)
    for column, table in (
        ("sex", pt.SEX),
        ("heavy_chain", pt.HEAVY_CHAIN),
        ("light_chain", pt.LIGHT_CHAIN),
    ):
        out[column] = None
        for group in GROUPS:
            idx = prof.index[prof.group.eq(group)]
            out.loc[idx, column] = _shuffled(rng, column_counts(table, group))
    cyto = pd.concat([_cytogenetics(rng, prof.index[prof.group.eq(g)], g) for g in GROUPS]).loc[
        prof.index
    ]
    return pd.concat([out, cyto], axis=1)


def _cytogenetics(rng: np.random.Generator, idx: pd.Index, group: str) -> pd.DataFrame:
    """Findings and recorded risk for one group.

    Not-available risk = all findings unknown; standard risk = no high-risk marker;
    every high-risk patient carries at least one high-risk marker, using gain(1q)
    without amp(1q) when the Table 1 markers are too few (phase 2: 3 del(17p) +
    13 amp(1q) for 18 high-risk patients).
    """
    counts = column_counts(pt.CYTO_COUNTS, group)
    risk = np.array(_shuffled(rng, column_counts(pt.CYTO_RISK, group)), dtype=object)
    known = risk != "not_available"
    blank = np.where(known, "no", "unknown").astype(object)
    cols = {c: blank.copy() for c in (*pt.CYTO_FINDINGS, "gain_1q")}
    high = np.flatnonzero(risk == "high")
    tokens = [m for m in pt.HIGH_RISK_MARKERS for _ in range(counts[m])]
    tokens = [tokens[j] for j in rng.permutation(len(tokens))]
    order = high[rng.permutation(high.size)]
    for patient, marker in zip(order, tokens, strict=False):
        cols[marker][patient] = "yes"
    cols["gain_1q"][order[len(tokens) :]] = "yes"  # too few markers: gain(1q) only
    for marker in tokens[len(order) :]:  # surplus markers: a second marker
        options = high[cols[marker][high] == "no"]
        cols[marker][options[int(rng.integers(options.size))]] = "yes"
    known_idx = np.flatnonzero(known)
    for marker in ("del_1p", "del_13q"):
        cols[marker][rng.choice(known_idx, size=counts[marker], replace=False)] = "yes"
    cols["gain_1q"][cols["amp_1q"] == "yes"] = "yes"
    cols["cytogenetic_risk"] = risk
    return pd.DataFrame(cols, index=idx)


# --- prior drugs -----------------------------------------------------------------------


def assign_drug_history(rng: np.random.Generator, prof: pd.DataFrame) -> pd.DataFrame:
    """Prior-drug status per patient before part A (daratumumab handled separately).

    Each group's per-drug exposed/refractory counts are the Table 1 ones and the class
    of each patient (double / IMiD-only / PI-only / neither refractory) holds: an IMiD
    refractory patient is refractory to at least one of thalidomide, lenalidomide,
    pomalidomide, and so on. Every patient is lenalidomide and PI exposed (text).
    """
    parts = []
    for group in GROUPS:
        idx = prof.index[prof.group.eq(group)]
        classes = prof.loc[idx, "drug_class"].to_numpy()
        parts.append(_group_drugs(rng, group, classes).set_axis(idx))
    drugs = pd.concat(parts).loc[prof.index]
    dara = pd.Series("not_exposed", index=prof.index)
    dara[prof.role.eq("dara_refractory")] = "refractory"
    dara[prof.role.eq("dara_exposed")] = "exposed"
    drugs["daratumumab"] = dara
    return drugs[list(pt.DRUGS)]


def _group_drugs(rng: np.random.Generator, group: str, classes: np.ndarray) -> pd.DataFrame:
    counts = {
        d: tuple(
            pt.DRUG_COUNTS["A"][d][j] - pt.DRUG_COUNTS["B1"][d][j] - pt.DRUG_COUNTS["B2"][d][j]
            if group == "R"
            else pt.DRUG_COUNTS[group][d][j]
            for j in range(2)
        )
        for d in pt.DRUGS
        if d != "daratumumab"
    }
    n = len(classes)
    table = {d: np.full(n, "not_exposed", dtype=object) for d in counts}
    imid_refr = np.isin(classes, ["D", "I"])
    pi_refr = np.isin(classes, ["D", "P"])
    backbone_first = ("lenalidomide", "thalidomide", "pomalidomide")
    _class_refractory(rng, table, imid_refr, backbone_first, counts)
    _class_refractory(rng, table, pi_refr, pt.PIS, counts)
    for drug in ("elotuzumab", "durvalumab"):
        exposed, refractory = counts[drug]
        # later-line antibodies: given to the most pretreated (double-refractory first)
        order = np.argsort(np.where(classes == "D", 0, 1) + rng.uniform(0, 1.5, n), kind="stable")
        table[drug][order[:refractory]] = "refractory"
        table[drug][order[refractory:exposed]] = "exposed"
    return pd.DataFrame(table)


def _class_refractory(
    rng: np.random.Generator,
    table: dict[str, np.ndarray],
    refractory_class: np.ndarray,
    drugs: tuple[str, str, str],
    counts: dict[str, tuple[int, ...]],
) -> None:
    """Statuses of one drug class: the first drug is the backbone (lenalidomide,
    bortezomib); class members not refractory to it are refractory to one of the other
    two; patients outside the class are refractory to none."""
    main, *others = drugs
    members = np.flatnonzero(refractory_class)
    n = refractory_class.size
    exp_main, refr_main = counts[main]
    refr_main_idx = rng.choice(members, size=refr_main, replace=False)
    table[main][refr_main_idx] = "refractory"
    uncovered = rng.permutation(np.setdiff1d(members, refr_main_idx))
    tokens = [d for d in others for _ in range(counts[d][1])]
    tokens = [tokens[j] for j in rng.permutation(len(tokens))]
    if len(tokens) < uncovered.size:
        raise ValueError(f"cannot make every class member refractory to a {main} alternative")
    for patient, drug in zip(uncovered, tokens, strict=False):
        table[drug][patient] = "refractory"
    for drug in tokens[uncovered.size :]:
        options = members[table[drug][members] != "refractory"]
        table[drug][options[int(rng.integers(options.size))]] = "refractory"
    # Exposed but not refractory (anyone not yet refractory to it).
    for drug in others:
        exposed, refractory = counts[drug]
        free = np.flatnonzero(table[drug] == "not_exposed")
        table[drug][rng.choice(free, size=exposed - refractory, replace=False)] = "exposed"
    # The backbone: everyone is lenalidomide exposed; the few not bortezomib exposed
    # must have had another PI (they are carfilzomib/ixazomib refractory).
    plain = np.flatnonzero(table[main] == "not_exposed")
    has_other = plain[np.any([table[d][plain] != "not_exposed" for d in others], axis=0)]
    not_main = n - exp_main
    if not_main > has_other.size:
        raise ValueError(f"{main}: too few patients with an alternative drug")
    skip = rng.choice(has_other, size=not_main, replace=False)
    table[main][np.setdiff1d(plain, skip)] = "exposed"

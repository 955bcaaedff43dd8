"""The published numbers the simulated demo trial is built to reproduce.

Source: Frerichs et al., "Efficacy and safety of daratumumab combined with all-trans
retinoic acid in relapsed/refractory multiple myeloma", Blood Advances 2021
(NCT02751255): Table 1 (baseline), Table 2 (adverse events), Table 3 (subsequent
therapy), the results text and Figures 1-4. Everything here is a plain constant so
that the simulator (and a reader) can see where each number comes from.

Column keys used for Table 1: "A" = part A (n=63), "B1" = part B phase 1 (n=14),
"B2" = part B phase 2 (n=36). "R" (the 13 patients never enrolled in part B) is
derived as A - B1 - B2 wherever a characteristic is fixed per patient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = [
    "N_PATIENTS",
    "CUTOFF",
    "ENROLMENT_FIRST_MONTH",
    "ENROLMENT_LAST_MONTH",
    "DAYS_PER_MONTH",
    "RP2D_MG_M2",
    "COLUMN_SIZES",
    "PHASE1_DOSES",
    "RP2D_N",
    "NOT_IN_PART_B",
    "PART_B_ENTRY_REASONS",
    "ENTRY_REASON_PART_A_RESPONSE",
    "PART_A_AT_LEAST_PR",
    "PART_A_CR",
    "PART_A_VGPR",
    "PART_B_RP2D_RESPONSES",
    "RP2D_ON_TREATMENT",
    "RP2D_DISCONTINUED",
    "RP2D_DISCONTINUED_FOR_PROGRESSION",
    "RP2D_TRIPLE_CLASS_REFRACTORY",
    "RP2D_SUBSEQUENT_THERAPY",
    "KM_GROUPS",
    "KM_TARGETS",
    "KM_TOLERANCE",
    "MEDIAN_FOLLOW_UP_MONTHS",
    "FLOW_SAMPLE_COUNTS",
    "SEX",
    "HEAVY_CHAIN",
    "LIGHT_CHAIN",
    "WHO",
    "PLASMACYTOMA",
    "AUTOLOGOUS_SCT",
    "ALLOGENEIC_SCT",
    "ISS",
    "MORE_THAN_3_PRIOR_LINES",
    "DOUBLE_CLASS_REFRACTORY",
    "TRIPLE_CLASS_REFRACTORY",
    "IMIDS",
    "PIS",
    "DRUGS",
    "DRUG_COUNTS",
    "CYTO_FINDINGS",
    "CYTO_COUNTS",
    "CYTO_RISK",
    "HIGH_RISK_MARKERS",
    "NumericSpec",
    "AGE",
    "YEARS_SINCE_FIRST_TREATMENT",
    "PRIOR_LINES",
    "LABS",
    "BM_PLASMA_CELLS",
    "BM_PLASMA_CELLS_N",
    "TABLE2_COUNTS",
    "PART_A_IRR_ANY_GRADE",
    "OTHER_INFECTIONS",
    "SECOND_PRIMARY_MALIGNANCIES",
    "SUPPORTIVE_CARE",
    "PHASE1_DLT_EVALUABLE",
    "TABLE3",
    "LATER_LINE_BISPECIFIC",
    "LATER_LINE_CAR_T",
    "KM_CI",
    "CI_WIDTH_TOLERANCE",
    "LOGRANK_P",
    "ALPHA",
    "SUBSEQUENT_LINE_ORR_PCT",
    "SUBSEQUENT_LINE_RESPONDERS",
    "SUBSEQUENT_LINE_PFS",
    "SUBSEQUENT_IMID_WITHOUT_PI",
    "SUBSEQUENT_POMALIDOMIDE",
    "FLOW_COUNT_P",
]

# --- trial design and patient flow -------------------------------------------------

N_PATIENTS = 63
CUTOFF = dt.date(2020, 10, 1)
ENROLMENT_FIRST_MONTH = (2016, 7)  # part A enrolment ran July 2016 ...
ENROLMENT_LAST_MONTH = (2017, 10)  # ... to October 2017
DAYS_PER_MONTH = 30.4375
RP2D_MG_M2 = 45

COLUMN_SIZES = {"A": 63, "B1": 14, "B2": 36}
PHASE1_DOSES = {15: 3, 30: 3, 45: 8}
RP2D_N = 44  # 8 phase-1 patients at 45 mg/m2 + 36 phase 2

# Not in part B (n=13). Figure 1's legend says "2 still on treatment ... 10 not
# enrolled because of ineligibility or withdrawal"; the results text says 3 / 8 / 2.
# We follow the text (3 + 8 + 2 = 13 = 63 - 50).
NOT_IN_PART_B = {"still_in_part_a": 3, "ineligible": 8, "withdrew_consent": 2}

PART_B_ENTRY_REASONS = {
    "pd_in_cycle1": 6,
    "below_mr_after_cycle2": 16,
    "below_pr_after_cycle3": 8,
    "pd_after_response": 20,
}
# Part A best response implied by each entry reason (">=PR" = PR, VGPR or CR).
ENTRY_REASON_PART_A_RESPONSE = {
    "pd_in_cycle1": "PD",
    "below_mr_after_cycle2": "SD",
    "below_pr_after_cycle3": "MR",
    "pd_after_response": ">=PR",
}

# --- responses ---------------------------------------------------------------------

PART_A_AT_LEAST_PR = 26
PART_A_CR = 3
PART_A_VGPR = 9
PART_A_PR = PART_A_AT_LEAST_PR - PART_A_CR - PART_A_VGPR  # 14
# Part B at the RP2D (n=44); the paper pools PD and not evaluable (15).
PART_B_RP2D_RESPONSES = {"VGPR": 2, "MR": 2, "SD": 25, "PD_or_NE": 15}
# The two part-B VGPR patients: part A best response MR and CR, entered part B
# "2 and 16 months after start of daratumumab monotherapy".
PART_B_VGPR_PART_A_RESPONSES = ("MR", "CR")
PART_B_VGPR_MONTHS_AFTER_A_START = (2, 16)

# Status at cut-off of the 44 RP2D patients.
RP2D_ON_TREATMENT = 2
RP2D_DISCONTINUED = 42
RP2D_DISCONTINUED_FOR_PROGRESSION = 38
RP2D_TRIPLE_CLASS_REFRACTORY = 32  # 73%
RP2D_SUBSEQUENT_THERAPY = 38  # of the 42 who discontinued

# --- survival at the RP2D (months, median) --------------------------------------------

KM_GROUPS = ("all", ">=PR", "SD/MR", "PD")
KM_TARGETS: dict[str, dict[str, float]] = {
    "PFS-B": {"all": 2.8, ">=PR": 3.4, "SD/MR": 2.8, "PD": 1.3},
    "OS-B": {"all": 19.1, ">=PR": 19.1, "SD/MR": 19.4, "PD": 17.9},
    "PFS-AB": {"all": 7.9, ">=PR": 18.2, "SD/MR": 5.4, "PD": 2.5},
    "OS-AB": {"all": 28.2, ">=PR": 36.4, "SD/MR": 21.8, "PD": 19.5},
}
KM_TOLERANCE = 0.15  # relative; the demo cohort must land within 15% of each median
MEDIAN_FOLLOW_UP_MONTHS = 43.0

# --- flow cytometry samples (Figure 4; supplemental Figures 1-2) ----------------------

# The paper's legend gives n = 51 for part B C1D1 although part B has 50 patients;
# we simulate one sample per part-B patient (50).
FLOW_SAMPLE_COUNTS = {
    ("A", "C1D1"): 55,
    ("A", "C2D1"): 51,
    ("B", "C1D1"): 50,
    ("B", "C1D3"): 42,
    ("B", "C2D3"): 36,
    ("B", "EOT"): 33,
}

# --- Table 1: categorical rows --------------------------------------------------------

SEX = {
    "A": {"female": 24, "male": 39},
    "B1": {"female": 4, "male": 10},
    "B2": {"female": 17, "male": 19},
}
HEAVY_CHAIN = {
    "A": {"IgG": 36, "IgA": 7, "light_chain_only": 13, "bence_jones": 7},
    "B1": {"IgG": 4, "IgA": 1, "light_chain_only": 6, "bence_jones": 3},
    "B2": {"IgG": 26, "IgA": 5, "light_chain_only": 3, "bence_jones": 2},
}
LIGHT_CHAIN = {
    "A": {"kappa": 40, "lambda": 23},
    "B1": {"kappa": 2, "lambda": 12},
    "B2": {"kappa": 29, "lambda": 7},
}
# WHO performance score; None = unknown (empty cell).
WHO = {
    "A": {0: 29, 1: 25, 2: 7, None: 2},
    "B1": {0: 8, 1: 5, 2: 1, None: 0},
    "B2": {0: 15, 1: 16, 2: 5, None: 0},
}
# Extramedullary plasmacytomas; the paper lists yes/no, the remainder is unknown.
PLASMACYTOMA = {
    "A": {"no": 53, "yes": 8, "unknown": 2},
    "B1": {"no": 12, "yes": 2, "unknown": 0},
    "B2": {"no": 32, "yes": 3, "unknown": 1},
}
AUTOLOGOUS_SCT = {"A": 38, "B1": 10, "B2": 18}
ALLOGENEIC_SCT = {"A": 8, "B1": 2, "B2": 3}
ISS = {
    "A": {"I": 14, "II": 30, "III": 14, "unknown": 5},
    "B1": {"I": 5, "II": 2, "III": 6, "unknown": 1},
    "B2": {"I": 8, "II": 22, "III": 2, "unknown": 4},
}
MORE_THAN_3_PRIOR_LINES = {"A": 41, "B1": 14, "B2": 32}
DOUBLE_CLASS_REFRACTORY = {"A": 42, "B1": 10, "B2": 27}
TRIPLE_CLASS_REFRACTORY = {"A": 2, "B1": 10, "B2": 27}
# Results text, part A: 89% IMiD refractory, 71% PI refractory, 67% double refractory.
PART_A_IMID_REFRACTORY = 56
PART_A_PI_REFRACTORY = 45

IMIDS = ("thalidomide", "lenalidomide", "pomalidomide")
PIS = ("bortezomib", "carfilzomib", "ixazomib")
ANTIBODIES = ("daratumumab", "elotuzumab", "durvalumab")
DRUGS = IMIDS + PIS + ANTIBODIES
# (exposed incl. refractory, refractory) per column.
DRUG_COUNTS: dict[str, dict[str, tuple[int, int]]] = {
    "A": {
        "thalidomide": (32, 11),
        "lenalidomide": (63, 51),
        "pomalidomide": (23, 22),
        "bortezomib": (61, 37),
        "carfilzomib": (7, 7),
        "ixazomib": (2, 2),
        "daratumumab": (3, 2),
        "elotuzumab": (2, 2),
        "durvalumab": (6, 6),
    },
    "B1": {
        "thalidomide": (9, 5),
        "lenalidomide": (14, 11),
        "pomalidomide": (6, 6),
        "bortezomib": (14, 10),
        "carfilzomib": (0, 0),
        "ixazomib": (0, 0),
        "daratumumab": (14, 14),
        "elotuzumab": (0, 0),
        "durvalumab": (0, 0),
    },
    "B2": {
        "thalidomide": (16, 5),
        "lenalidomide": (36, 27),
        "pomalidomide": (13, 13),
        "bortezomib": (34, 24),
        "carfilzomib": (5, 5),
        "ixazomib": (2, 2),
        "daratumumab": (36, 36),
        "elotuzumab": (2, 2),
        "durvalumab": (6, 6),
    },
}

CYTO_FINDINGS = ("t_4_14", "t_14_16", "t_14_20", "del_17p", "amp_1q", "del_1p", "del_13q")
CYTO_COUNTS = {
    "A": {
        "t_4_14": 1,
        "t_14_16": 1,
        "t_14_20": 0,
        "del_17p": 11,
        "amp_1q": 25,
        "del_1p": 5,
        "del_13q": 17,
    },
    "B1": {
        "t_4_14": 0,
        "t_14_16": 1,
        "t_14_20": 0,
        "del_17p": 2,
        "amp_1q": 7,
        "del_1p": 3,
        "del_13q": 7,
    },
    "B2": {
        "t_4_14": 0,
        "t_14_16": 0,
        "t_14_20": 0,
        "del_17p": 3,
        "amp_1q": 13,
        "del_1p": 2,
        "del_13q": 7,
    },
}
CYTO_RISK = {
    "A": {"high": 36, "standard": 14, "not_available": 13},
    "B1": {"high": 8, "standard": 2, "not_available": 4},
    "B2": {"high": 18, "standard": 11, "not_available": 7},
}
# High-risk markers (Sonneveld 2016); gain(1q) is not a Table 1 row, so phase 2's
# 18 high-risk patients with only 3 del(17p) + 13 amp(1q) need gain(1q) (3 copies)
# in at least 2 more (the risk field is "as recorded").
HIGH_RISK_MARKERS = ("t_4_14", "t_14_16", "t_14_20", "del_17p", "amp_1q")


# --- Table 1: continuous rows (median, range) ------------------------------------------


@dataclass(frozen=True)
class NumericSpec:
    """Median and range of one Table 1 row in one column, plus how to draw values.

    bins: optional (low inclusive, high exclusive, count) classes that must hold exactly
    (None = open end). skew_low / skew_high > 1 cluster values near the median.
    """

    median: float
    lo: float
    hi: float
    decimals: int = 0
    bins: tuple[tuple[float | None, float | None, int], ...] = ()
    skew_low: float = 1.3
    skew_high: float = 1.3


AGE = {
    "A": NumericSpec(69, 38, 80, 0, ((None, 65, 20), (65, 75, 30), (75, None, 13)), 1.0, 1.0),
    "B1": NumericSpec(70, 47, 79, 0, ((None, 65, 5), (65, 75, 6), (75, None, 3)), 1.0, 1.0),
    "B2": NumericSpec(70, 46, 80, 0, ((None, 65, 10), (65, 75, 15), (75, None, 11)), 1.0, 1.0),
}
YEARS_SINCE_FIRST_TREATMENT = {
    "A": NumericSpec(6.8, 1.5, 16.0, 2, skew_high=2.0),
    # part B values spread widely above the median: part A's median (6.8) is higher
    # than phase 2's (5.5) although part A values are part B values minus elapsed time
    "B1": NumericSpec(7.1, 2.5, 16.0, 2, skew_high=1.2),
    "B2": NumericSpec(5.5, 1.9, 14.8, 2, skew_high=1.0),
}
PRIOR_LINES = {
    "A": NumericSpec(4, 2, 11, 0, ((None, 4, 22), (4, None, 41)), 1.0, 2.0),
    "B1": NumericSpec(8, 4, 11, 0, ((None, 4, 0), (4, None, 14)), 1.0, 1.3),
    "B2": NumericSpec(5, 3, 12, 0, ((None, 4, 4), (4, None, 32)), 1.0, 2.0),
}
LABS: dict[str, dict[str, NumericSpec]] = {
    "neutrophils_1e9_per_l": {
        "A": NumericSpec(2.92, 0.60, 8.87, 2, skew_high=2.0),
        "B1": NumericSpec(2.89, 1.67, 8.00, 2, skew_high=2.0),
        "B2": NumericSpec(3.36, 0.90, 8.27, 2, skew_high=2.0),
    },
    "hemoglobin_mmol_per_l": {
        "A": NumericSpec(7.0, 4.8, 8.9, 1),
        "B1": NumericSpec(7.1, 5.0, 8.4, 1),
        "B2": NumericSpec(7.3, 6.0, 9.3, 1),
    },
    "platelets_1e9_per_l": {
        "A": NumericSpec(168, 34, 479, 0, skew_high=2.0),
        "B1": NumericSpec(146, 50, 445, 0, skew_high=2.0),
        "B2": NumericSpec(181, 32, 600, 0, skew_high=2.5),
    },
    "creatinine_umol_per_l": {
        "A": NumericSpec(88, 53, 228, 0, skew_high=3.0),
        "B1": NumericSpec(91, 61, 140, 0, skew_high=1.5),
        "B2": NumericSpec(88, 62, 140, 0, skew_high=1.5),
    },
    "calcium_corrected_mmol_per_l": {
        "A": NumericSpec(2.41, 2.05, 2.95, 2, skew_high=2.0),
        "B1": NumericSpec(2.35, 2.19, 2.56, 2),
        "B2": NumericSpec(2.42, 2.15, 2.60, 2),
    },
    "ldh_u_per_l": {
        "A": NumericSpec(204, 119, 1356, 0, skew_high=3.5),
        "B1": NumericSpec(199, 145, 279, 0),
        "B2": NumericSpec(179, 142, 641, 0, skew_high=3.0),
    },
}
# Bone marrow plasma cells in biopsy: part A only, 39 patients (62%).
BM_PLASMA_CELLS = NumericSpec(50, 0, 100, 0, skew_low=1.0, skew_high=1.0)
BM_PLASMA_CELLS_N = 39

# --- Table 2: adverse events (patients, worst grade) ----------------------------------

# row -> (part A grade 2, part A grade 3-4, part B RP2D grade 2, part B RP2D grade 3-4)
TABLE2_COUNTS: dict[str, tuple[int, int, int, int]] = {
    "Anemia": (11, 8, 21, 3),
    "Thrombocytopenia": (9, 11, 3, 6),
    "Neutropenia": (13, 9, 4, 5),
    "Febrile neutropenia": (0, 1, 0, 0),
    "Infusion-related reaction": (12, 0, 0, 0),
    "Upper respiratory tract": (14, 0, 14, 0),
    "Pneumonia": (3, 4, 2, 5),
    "Gastrointestinal": (2, 3, 1, 0),
    "Urinary tract infection": (1, 0, 7, 1),
    "Skin infection": (4, 1, 1, 0),
    "Other": (2, 3, 3, 0),
    "Headache": (1, 0, 5, 0),
    "Thromboembolic event": (0, 1, 0, 0),
    "Second primary malignancy": (2, 0, 0, 0),
    "Fatigue": (6, 1, 3, 1),
}
TABLE2_DENOMINATORS = {"A": 63, "B": 44}
PART_A_IRR_ANY_GRADE = 22  # footnote: any-grade infusion-related reaction, 35%
# Footnotes: the "Other" infections and the second primary malignancies.
OTHER_INFECTIONS = {
    ("A", 2): ("eye infection", "tooth infection"),
    ("A", 3): ("cytomegalovirus infection", "PICC line infection", "tooth infection"),
    ("B", 2): ("candida stomatitis", "sinusitis", "no focus found"),
}
SECOND_PRIMARY_MALIGNANCIES = ("basal cell carcinoma", "mesothelioma")
# Table 2 footnotes: patients with at least one such treatment (part A n=63, part B
# RP2D n=44) and the adverse event that calls for it.
SUPPORTIVE_CARE: dict[str, tuple[str, int, int]] = {
    "erythrocyte_transfusion": ("Anemia", 16, 11),
    "platelet_transfusion": ("Thrombocytopenia", 6, 4),
    "gcsf": ("Neutropenia", 12, 6),
}

# --- phase 1 dose escalation (supplemental Table 2) -----------------------------------

# No dose-limiting toxicity at any level; MTD not reached. A 3+3 design needs 3 + 3 + 6
# DLT-evaluable patients; the 8 enrolled at 45 mg/m2 imply 2 replaced non-evaluable
# patients (our reading; the supplement is not part of the text).
PHASE1_DLT_EVALUABLE = {15: 3, 30: 3, 45: 6}

# --- Table 3: first subsequent therapy (n=38) -----------------------------------------

# regimen -> (regimen class, patients)
TABLE3: dict[str, tuple[str, int]] = {
    "Pomalidomide-dexamethasone": ("IMiD-based", 15),
    "Pomalidomide-cyclophosphamide-dexamethasone": ("IMiD-based", 6),
    "Pomalidomide-prednisone": ("IMiD-based", 2),
    "Lenalidomide-cyclophosphamide-prednisone": ("IMiD-based", 2),
    "Iberdomide ± dexamethasone": ("CELMoD-based", 10),
    "Bortezomib-cyclophosphamide-dexamethasone": ("PI-based", 1),
    "Carfilzomib-dexamethasone": ("PI-based", 1),
    "Elotuzumab-pomalidomide-dexamethasone": ("IMiD + monoclonal antibody", 1),
}
LATER_LINE_BISPECIFIC = 5
LATER_LINE_CAR_T = 2

# --- estimates the paper check compares (results text, Figures 2-3) ----------------------

# 95% CIs of the KM medians above (months). SPSS's symmetric interval: median +- 1.96 SE,
# lower limit cut at 0 (PD's OS-B and OS-AB), so the paper check compares the upper
# half-width (upper - median), which the cut does not touch.
KM_CI: dict[str, dict[str, tuple[float, float]]] = {
    "PFS-B": {"all": (1.6, 4.0), ">=PR": (3.0, 3.8), "SD/MR": (1.1, 4.6), "PD": (1.0, 1.7)},
    "OS-B": {"all": (15.0, 23.1), ">=PR": (15.5, 22.7), "SD/MR": (11.8, 26.9), "PD": (0.0, 48.8)},
    "PFS-AB": {"all": (4.9, 10.8), ">=PR": (12.4, 23.9), "SD/MR": (3.8, 7.0), "PD": (2.1, 2.9)},
    "OS-AB": {"all": (11.9, 44.6), ">=PR": (29.2, 43.6), "SD/MR": (15.8, 27.8), "PD": (0.0, 48.5)},
}
CI_WIDTH_TOLERANCE = 0.25  # relative, on the upper half-width
# Two-sided log-rank, each part A response group against PD (the paper gives no P for OS).
LOGRANK_P: dict[tuple[str, str], float] = {
    ("PFS-B", ">=PR"): 0.002,
    ("PFS-B", "SD/MR"): 0.027,
    ("PFS-AB", ">=PR"): 0.001,
    ("PFS-AB", "SD/MR"): 0.002,
}
ALPHA = 0.05  # "P values <0.05 were considered significant"

# First subsequent line (n=38): "The ORR and median PFS on the subsequent line of therapy
# were 61% and 6.2 months (95% CI, 2.2-10.3 months)". 61% of 38 is 23.2: 23 responders
# (60.5%) is the count that prints as 61%; the paper gives no count.
SUBSEQUENT_LINE_ORR_PCT = 61
SUBSEQUENT_LINE_RESPONDERS = 23
SUBSEQUENT_LINE_PFS = (6.2, 2.2, 10.3)  # median, lower, upper (months)
# Results text on Table 3: "An IMiD-containing regimen without a PI ... (26 patients
# [68%]; mostly pomalidomide-based [24 patients [63%])".
SUBSEQUENT_IMID_WITHOUT_PI = 26
SUBSEQUENT_POMALIDOMIDE = 24
# Supplemental Figure 1 (absolute counts, Wilcoxon matched pairs): (part, population,
# before, after) -> P.
FLOW_COUNT_P: dict[tuple[str, str, str, str], float] = {
    ("A", "nk_cells", "C1D1", "C2D1"): 0.0001,  # "P < .0001": an upper bound
    ("B", "nk_cells", "C1D1", "C1D3"): 0.0176,
    ("B", "monocytes", "C1D1", "C1D3"): 0.0002,
}

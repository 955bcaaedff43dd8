"""Independent transcription of Frerichs et al. 2021 (Blood Adv), Tables 1-3 and the
counts in the results text, typed in from the paper for the simulator's tests.

Deliberately NOT imported from cytotrial.simulate.paper_targets: the tests compare the
simulated tables against this file, and (where ../shared is present) this file against
the paper's own text, so a typo in either place shows up.

Table 1 keys are the paper's row labels; "Unknown" occurs twice and is prefixed with its
section. Every tuple is (Part A n=63, Part B phase 1 n=14, Part B phase 2 n=36).
"""

from __future__ import annotations

COLUMN_N = (63, 14, 36)

TABLE1_COUNTS: dict[str, tuple[int, int, int]] = {
    "<65, n (%)": (20, 5, 10),
    "65 to <75, n (%)": (30, 6, 15),
    "≥75, n (%)": (13, 3, 11),
    "Female": (24, 4, 17),
    "Male": (39, 10, 19),
    "0": (29, 8, 15),
    "1": (25, 5, 16),
    "2": (7, 1, 5),
    "WHO performance score, n (%) / Unknown": (2, 0, 0),
    "No": (53, 12, 32),
    "Yes": (8, 2, 3),
    "IgG": (36, 4, 26),
    "IgA": (7, 1, 5),
    "Light chain only": (13, 6, 3),
    "Bence-Jones": (7, 3, 2),
    "Kappa": (40, 2, 29),
    "Lambda": (23, 12, 7),
    ">3 prior lines, n (%)": (41, 14, 32),
    "Autologous SCT, n (%)": (38, 10, 18),
    "Allogeneic SCT, n (%)": (8, 2, 3),
    "Double-class refractory, n (%)*": (42, 10, 27),
    "Triple-class refractory, n (%)†": (2, 10, 27),
    "I": (14, 5, 8),
    "II": (30, 2, 22),
    "III": (14, 6, 2),
    "ISS at registration, n (%) / Unknown": (5, 1, 4),
    "t(4;14)": (1, 0, 0),
    "t(14;16)": (1, 1, 0),
    "t(14;20)": (0, 0, 0),
    "del(17p)": (11, 2, 3),
    "amp(1q)": (25, 7, 13),
    "del(1p)": (5, 3, 2),
    "del(13q)": (17, 7, 7),
    "High-risk": (36, 8, 18),
    "Standard-risk": (14, 2, 11),
    "Not available": (13, 4, 7),
}

# drug -> ((exposed, refractory) per column); "exposed" includes refractory.
TABLE1_DRUGS: dict[str, tuple[tuple[int, int], tuple[int, int], tuple[int, int]]] = {
    "Thalidomide": ((32, 11), (9, 5), (16, 5)),
    "Lenalidomide": ((63, 51), (14, 11), (36, 27)),
    "Pomalidomide": ((23, 22), (6, 6), (13, 13)),
    "Bortezomib": ((61, 37), (14, 10), (34, 24)),
    "Carfilzomib": ((7, 7), (0, 0), (5, 5)),
    "Ixazomib": ((2, 2), (0, 0), (2, 2)),
    "Daratumumab": ((3, 2), (14, 14), (36, 36)),
    "Elotuzumab": ((2, 2), (0, 0), (2, 2)),
    "Durvalumab": ((6, 6), (0, 0), (6, 6)),
}

# label -> ((median, min, max) per column); None = not reported (NA).
TABLE1_MEDIANS: dict[str, tuple[tuple[float, float, float] | None, ...]] = {
    "Median age, y (range)": ((69, 38, 80), (70, 47, 79), (70, 46, 80)),
    "Time since start first treatment, median years (range)": (
        (6.8, 1.5, 16.0),
        (7.1, 2.5, 16.0),
        (5.5, 1.9, 14.8),
    ),
    "Prior lines of treatment, median (range)": ((4, 2, 11), (8, 4, 11), (5, 3, 12)),
    "Absolute neutrophil count, ×10 ⁹ /L": (
        (2.92, 0.60, 8.87),
        (2.89, 1.67, 8.00),
        (3.36, 0.90, 8.27),
    ),
    "Hemoglobin level, mmol/L": ((7.0, 4.8, 8.9), (7.1, 5.0, 8.4), (7.3, 6.0, 9.3)),
    "Platelet count, ×10 ⁹ /L": ((168, 34, 479), (146, 50, 445), (181, 32, 600)),
    "Creatinine, μmol/L": ((88, 53, 228), (91, 61, 140), (88, 62, 140)),
    "Calcium, mmol/L**": ((2.41, 2.05, 2.95), (2.35, 2.19, 2.56), (2.42, 2.15, 2.60)),
    "LDH, U/L": ((204, 119, 1356), (199, 145, 279), (179, 142, 641)),
    "Bone marrow plasma cell percentage in biopsy (median, range) ^{††}": (
        (50, 0, 100),
        None,
        None,
    ),
}
BONE_MARROW_N = 39  # footnote: based on data from 39 patients (62%)

# Results text, part A: 89% IMiD refractory, 71% PI refractory, 67% double refractory.
PART_A_IMID_REFRACTORY = 56
PART_A_PI_REFRACTORY = 45
PART_A_DOUBLE_REFRACTORY = 42

# Table 2: row -> (part A grade 2, part A grade 3-4, part B RP2D grade 2, grade 3-4).
TABLE2: dict[str, tuple[int, int, int, int]] = {
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
TABLE2_N = {"A": 63, "B": 44}
IRR_ANY_GRADE_PART_A = 22
OTHER_INFECTION_DETAILS = {
    "A": ["cytomegalovirus infection", "eye infection", "PICC line infection",
          "tooth infection", "tooth infection"],
    "B": ["candida stomatitis", "no focus found", "sinusitis"],
}  # fmt: skip
# Table 2 footnotes: patients requiring support, (part A, part B RP2D).
TABLE2_SUPPORT = {
    "erythrocyte_transfusion": (16, 11),
    "platelet_transfusion": (6, 4),
    "gcsf": (12, 6),
}

# Phase 1 (14 patients at 15, 30, 45 mg/m2: 3, 3, 8): no dose-limiting toxicity.
PHASE1_DOSES = {15: 3, 30: 3, 45: 8}

# Table 3: first subsequent therapy (n = 38).
TABLE3: dict[str, int] = {
    "Pomalidomide-dexamethasone": 15,
    "Pomalidomide-cyclophosphamide-dexamethasone": 6,
    "Pomalidomide-prednisone": 2,
    "Lenalidomide-cyclophosphamide-prednisone": 2,
    "Iberdomide ± dexamethasone": 10,
    "Bortezomib-cyclophosphamide-dexamethasone": 1,
    "Carfilzomib-dexamethasone": 1,
    "Elotuzumab-pomalidomide-dexamethasone": 1,
}
# The text: "An IMiD-containing regimen without a PI ... (26 patients [68%]; mostly
# pomalidomide-based [24 patients [63%])" - counted across Table 3's classes.
TABLE3_ACROSS = {
    "IMiD-containing regimen without a PI": 26,
    "Pomalidomide-containing regimen": 24,
}
TABLE3_CLASSES = {
    "IMiD-based": 25,
    "CELMoD-based": 10,
    "PI-based": 2,
    "IMiD + monoclonal antibody": 1,
}

# Survival at the RP2D (n = 44), months; groups by part A best response.
KM_MEDIANS: dict[str, dict[str, float]] = {
    "PFS-B": {"all": 2.8, ">=PR": 3.4, "SD/MR": 2.8, "PD": 1.3},
    "OS-B": {"all": 19.1, ">=PR": 19.1, "SD/MR": 19.4, "PD": 17.9},
    "PFS-AB": {"all": 7.9, ">=PR": 18.2, "SD/MR": 5.4, "PD": 2.5},
    "OS-AB": {"all": 28.2, ">=PR": 36.4, "SD/MR": 21.8, "PD": 19.5},
}
MEDIAN_FOLLOW_UP = 43
# The text (Results, part B): "32/44 (73%) triple-class refractory at part B entry"; the
# paper's Table 1 has no column for the 44 patients treated at the RP2D.
RP2D_N = 44
TRIPLE_CLASS_REFRACTORY_RP2D = 32

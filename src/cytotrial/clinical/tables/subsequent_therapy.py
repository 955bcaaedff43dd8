"""Table 3: first subsequent anti-myeloma therapy after part B, RP2D population.

Denominator: RP2D patients with a first subsequent line (line 1) started on or before the
cut-off (the paper: 38 of the 42 who discontinued). Regimens are grouped by class in the order
of the schema's regimen_class (the paper's), most frequent first within a class. Later lines
(line >= 2) are summarised apart: patients per regimen class in any later line.

The paper's text also counts first lines across classes ("an IMiD-containing regimen without a
PI ... 26 patients; mostly pomalidomide-based, 24"): ``derived_counts`` reads the drugs from
the regimen names (words split at '-', '+', '±', '/', ',' and spaces) for those two rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from cytotrial.clinical.formatting import count_percent, percent

__all__ = [
    "subsequent_therapy",
    "display_table",
    "summary_sentence",
    "derived_counts",
    "SubsequentTherapy",
]

_CLASS_ORDER = (
    "IMiD-based",
    "CELMoD-based",
    "PI-based",
    "IMiD + monoclonal antibody",
    "bispecific antibody",
    "CAR T-cell",
    "other",
)


_IMIDS = {"thalidomide", "lenalidomide", "pomalidomide"}
_PIS = {"bortezomib", "carfilzomib", "ixazomib"}
# Other drug names a regimen may hold; a first-line regimen with no word from any of these
# sets (an abbreviation such as "Pom-dex") is listed, not silently counted as IMiD-free.
_OTHER_DRUGS = {
    "dexamethasone", "prednisone", "prednisolone", "cyclophosphamide", "melphalan",
    "bendamustine", "doxorubicin", "cisplatin", "etoposide", "vincristine", "iberdomide",
    "mezigdomide", "daratumumab", "isatuximab", "elotuzumab", "belantamab", "selinexor",
    "venetoclax", "panobinostat", "teclistamab", "elranatamab", "talquetamab", "idecabtagene",
    "ciltacabtagene", "melflufen",
}  # fmt: skip


def _drugs(regimen: str) -> set[str]:
    return {word for word in re.split(r"[-+±/,\s]+", regimen.lower()) if word}


@dataclass(frozen=True)
class SubsequentTherapy:
    """Counts behind Table 3."""

    first_line: pd.DataFrame  # regimen_class, regimen, n, N
    later_lines: pd.DataFrame  # regimen_class, patients
    discontinued: int  # RP2D patients whose part B treatment ended by the cut-off
    treated: int  # of them (or any RP2D patient) with a first subsequent line


def _class_rank(value: str) -> int:
    return _CLASS_ORDER.index(value) if value in _CLASS_ORDER else len(_CLASS_ORDER)


def subsequent_therapy(
    therapies: pd.DataFrame, dates: pd.DataFrame, rp2d_ids: list[str], cutoff
) -> SubsequentTherapy:
    """First-line and later-line counts for the RP2D population."""
    cutoff = pd.Timestamp(cutoff)
    st = therapies[therapies["patient_id"].isin(rp2d_ids)]
    if "start_date" in st:
        st = st[st["start_date"].isna() | (st["start_date"] <= cutoff)]
    first = st[st["line"] == 1].drop_duplicates("patient_id")
    n = len(first)
    counts = first.groupby(["regimen_class", "regimen"]).size().rename("n").reset_index()
    counts["rank"] = counts["regimen_class"].map(_class_rank)
    counts = counts.sort_values(["rank", "n", "regimen"], ascending=[True, False, True])
    counts = counts.drop(columns="rank").assign(N=n).reset_index(drop=True)
    later = st[st["line"] >= 2].groupby("regimen_class")["patient_id"].nunique()
    later = later.rename("patients").reset_index()
    later = later.sort_values("regimen_class", key=lambda s: s.map(_class_rank))
    d = dates.set_index("patient_id").reindex(rp2d_ids)
    end = d["part_b_end_of_treatment"]
    discontinued = int((end.notna() & (end <= cutoff)).sum())
    return SubsequentTherapy(counts, later.reset_index(drop=True), discontinued, n)


def derived_counts(result: SubsequentTherapy) -> tuple[list[tuple[str, int]], list[str]]:
    """The text's cross-class counts of first subsequent lines, (label, patients) rows, and
    the first-line regimens in which no drug name was recognised (not counted in the rows)."""
    first = result.first_line
    drugs = first["regimen"].map(_drugs)
    known = drugs.map(lambda d: bool(d & (_IMIDS | _PIS | _OTHER_DRUGS)))
    imid_no_pi = drugs.map(lambda d: bool(d & _IMIDS) and not d & _PIS)
    pomalidomide = drugs.map(lambda d: "pomalidomide" in d)
    rows = [
        ("IMiD-containing regimen without a PI", int(first.loc[imid_no_pi, "n"].sum())),
        ("Pomalidomide-containing regimen", int(first.loc[pomalidomide, "n"].sum())),
    ]
    return rows, sorted(first.loc[~known, "regimen"].unique())


def display_table(result: SubsequentTherapy) -> pd.DataFrame:
    """Table 3 as text: class heading rows ('n (%)' of the class) and regimen rows."""
    n = result.treated
    header = f"All patients receiving subsequent treatment (n = {n})"
    rows = []
    for klass, block in result.first_line.groupby("regimen_class", sort=False):
        total = int(block["n"].sum())
        rows.append(
            {
                "regimen class": klass,
                "regimen": f"{klass} regimen (total)",
                header: count_percent(total, n),
            }
        )
        for r in block.itertuples():
            rows.append(
                {"regimen class": klass, "regimen": r.regimen, header: count_percent(int(r.n), n)}
            )
    derived, unrecognised = derived_counts(result) if n else ([], [])
    across = "Across classes (from the regimens' drugs)"
    for label, count in derived:
        rows.append({"regimen class": across, "regimen": label, header: count_percent(count, n)})
    if unrecognised:
        rows.append(
            {
                "regimen class": across,
                "regimen": "not counted above: no drug name recognised in "
                + ", ".join(unrecognised),
                header: "",
            }
        )
    for r in result.later_lines.itertuples():
        rows.append(
            {
                "regimen class": "Later lines (any), patients",
                "regimen": r.regimen_class,
                header: str(r.patients),
            }
        )
    return pd.DataFrame(rows, columns=["regimen class", "regimen", header])


def summary_sentence(result: SubsequentTherapy) -> str:
    """'38 of the 42 RP2D patients who discontinued (90%) received subsequent therapy.'"""
    if result.discontinued == 0:
        return "No RP2D patient had discontinued part B treatment by the cut-off."
    return (
        f"{result.treated} of the {result.discontinued} RP2D patients who discontinued part B "
        f"({percent(result.treated, result.discontinued)}%) received a subsequent anti-myeloma "
        "therapy by the cut-off."
    )

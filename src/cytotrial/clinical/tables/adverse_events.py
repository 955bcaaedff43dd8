"""Table 2: adverse events grade 2 and grade 3-4 (CTCAE v4.03), part A vs part B at the RP2D.

Counting rule (one patient once per row and part, at the worst grade): the events of a part are
those adverse_events.csv assigns to it (the part during which the event started), of the
part's population (part A: every enrolled patient; part B: the RP2D patients), with onset on or
before the cut-off. "Grade 2" = worst grade exactly 2, "Grade 3-4" = worst grade 3 or 4 (the
columns exclude each other); grade 5 is counted apart. Only grade >= 2 events were collected,
except infusion-related reactions (any grade, footnoted). Footnotes: patients given each kind
of supportive care (supportive_care.csv) in the same populations, and the 'detail' texts of
rows marked for it. Which CTCAE term counts in which row: resources/ae_table_rows.yaml.

Terms match case- and space-insensitively, a hyphen as a space, and in British or American
spelling (``normalise_term``). A term that still maps to no row is not dropped silently: it
is listed with its patients and episodes per part (``AETable.unmapped_terms``; the report
shows it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from cytotrial.clinical.formatting import count_percent, percent
from cytotrial.errors import InputError

__all__ = [
    "normalise_term",
    "read_layout",
    "adverse_event_table",
    "display_table",
    "footnote_table",
    "AELayout",
    "AERow",
    "AETable",
]

_GRADE_CLASSES = (("grade_2", (2,)), ("grade_3_4", (3, 4)), ("grade_5", (5,)))
_GRADE_LABELS = {"grade_2": "Grade 2", "grade_3_4": "Grade 3-4", "grade_5": "Grade 5"}
_UNMAPPED_COLUMNS = ["term", "part", "patients", "episodes"]
# British -> American spelling of words in CTCAE terms (CTCAE v4.03 is American English).
# A table of whole words, not blind ae->e / oe->e rules: 'aerobic', 'toe' or
# 'phaeochromocytoma' stay as they are.
_SPELLING_VARIANTS = {
    "anaemia": "anemia",
    "oedema": "edema",
    "lymphoedema": "lymphedema",
    "diarrhoea": "diarrhea",
    "dyspnoea": "dyspnea",
    "apnoea": "apnea",
    "haemorrhage": "hemorrhage",
    "haemorrhoids": "hemorrhoids",
    "haematoma": "hematoma",
    "haematuria": "hematuria",
    "haemolysis": "hemolysis",
    "haemoglobin": "hemoglobin",
    "haemoptysis": "hemoptysis",
    "leukopaenia": "leukopenia",
    "leucopenia": "leukopenia",
    "leucopaenia": "leukopenia",
    "neutropaenia": "neutropenia",
    "thrombocytopaenia": "thrombocytopenia",
    "lymphopaenia": "lymphopenia",
    "oesophagitis": "esophagitis",
    "oesophageal": "esophageal",
    "ischaemia": "ischemia",
    "septicaemia": "septicemia",
    "tumour": "tumor",
    "faecal": "fecal",
    "hypokalaemia": "hypokalemia",
    "hyperkalaemia": "hyperkalemia",
    "hypocalcaemia": "hypocalcemia",
    "hypercalcaemia": "hypercalcemia",
    "hyponatraemia": "hyponatremia",
    "hypernatraemia": "hypernatremia",
    "hypomagnesaemia": "hypomagnesemia",
    "hypoglycaemia": "hypoglycemia",
    "hyperglycaemia": "hyperglycemia",
    "hyperuricaemia": "hyperuricemia",
}
_WORD = re.compile(r"[a-z]+")


def normalise_term(term: str) -> str:
    """The form terms are matched in: lower case, a hyphen as a space, runs of spaces as
    one, no spaces at the ends, British spellings (_SPELLING_VARIANTS) as American."""
    text = " ".join(str(term).lower().replace("-", " ").split())
    return _WORD.sub(lambda word: _SPELLING_VARIANTS.get(word[0], word[0]), text)


@dataclass(frozen=True)
class AERow:
    row: str
    section: str = ""
    support: str = ""
    any_grade: bool = False
    details: bool = False


@dataclass(frozen=True)
class AELayout:
    """resources/ae_table_rows.yaml: term -> row, the rows in order, footnote wording."""

    terms: dict[str, str]
    rows: tuple[AERow, ...]
    supports: dict[str, str]

    @property
    def row_names(self) -> list[str]:
        return [r.row for r in self.rows]

    def row_of(self, terms: pd.Series) -> pd.Series:
        """The Table 2 row of each term (NaN for a term of no row), matched as
        ``normalise_term`` writes them."""
        by_form = {normalise_term(term): row for term, row in self.terms.items()}
        return terms.map(lambda term: by_form.get(normalise_term(term)))


def read_layout(path: str | Path) -> AELayout:
    """Load and check the Table 2 layout (every term's row must be one of the rows)."""
    with open(path, encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    try:
        rows = tuple(AERow(**item) for item in raw["rows"])
        terms = {str(k): str(v) for k, v in raw["terms"].items()}
        supports = {str(k): str(v) for k, v in (raw.get("supports") or {}).items()}
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: needs 'terms' and 'rows' as documented ({exc})") from exc
    layout = AELayout(terms, rows, supports)
    forms: dict[str, str] = {}
    for term in terms:  # two spellings of one term in different rows cannot both hold
        other = forms.setdefault(normalise_term(term), term)
        if other != term and terms[other] != terms[term]:
            raise InputError(
                f"{path}: terms {other!r} and {term!r} are one term (case, spaces, spelling) "
                f"but map to different rows ({terms[other]!r}, {terms[term]!r})"
            )
    unknown = sorted(set(terms.values()) - set(layout.row_names))
    if unknown:
        raise InputError(f"{path}: terms map to rows not listed under 'rows': {unknown}")
    missing = sorted({r.support for r in rows if r.support} - set(supports))
    if missing:
        raise InputError(f"{path}: support types without wording under 'supports': {missing}")
    return layout


@dataclass(frozen=True)
class AETable:
    """Table 2 as counts (one row per table row, part and grade class) and as footnotes."""

    counts: pd.DataFrame  # row, section, part, n_patients, grade_2, grade_3_4, grade_5, any_grade
    footnotes: pd.DataFrame  # footnote, part, n, N, text
    unmapped_terms: pd.DataFrame  # _UNMAPPED_COLUMNS: term, part, patients, episodes
    denominators: dict[str, int]


def _in_scope(
    table: pd.DataFrame, populations: Mapping[str, list[str]], cutoff, date_column: str
) -> pd.DataFrame:
    """Rows of each part's population, dated on or before the cut-off (undated rows kept)."""
    keep = pd.Series(False, index=table.index)
    for part, ids in populations.items():
        keep |= (table["part"] == part) & table["patient_id"].isin(ids)
    if date_column in table:
        date = table[date_column]
        keep &= date.isna() | (date <= pd.Timestamp(cutoff))
    return table[keep]


def _worst_grades(ae: pd.DataFrame, layout: AELayout) -> pd.DataFrame:
    """Worst grade per part, row and patient (events of unmapped terms are listed apart:
    ``unmapped_terms``)."""
    mapped = ae.assign(row=layout.row_of(ae["term"])).dropna(subset=["row"])
    return mapped.groupby(["part", "row", "patient_id"], as_index=False)["grade"].max()


def adverse_event_table(
    adverse_events: pd.DataFrame,
    supportive_care: pd.DataFrame,
    populations: Mapping[str, list[str]],
    layout: AELayout,
    cutoff,
) -> AETable:
    """Count Table 2 for the given populations ({"A": ids, "B": ids})."""
    ae = _in_scope(adverse_events, populations, cutoff, "onset_date")
    worst = _worst_grades(ae, layout)
    denominators = {part: len(ids) for part, ids in populations.items()}
    counts = []
    for spec in layout.rows:
        for part in populations:
            grades = worst[(worst["part"] == part) & (worst["row"] == spec.row)]["grade"]
            record = {
                "row": spec.row,
                "section": spec.section,
                "part": part,
                "N": denominators[part],
            }
            for key, values in _GRADE_CLASSES:
                record[key] = int(grades.isin(values).sum())
            record["any_grade"] = int(len(grades))
            counts.append(record)
    footnotes = _footnotes(ae, supportive_care, populations, layout, cutoff)
    return AETable(pd.DataFrame(counts), footnotes, unmapped_terms(ae, layout), denominators)


def unmapped_terms(ae: pd.DataFrame, layout: AELayout) -> pd.DataFrame:
    """Terms (as written) that map to no Table 2 row: patients and episodes per part."""
    unmapped = ae[layout.row_of(ae["term"]).isna()]
    table = (
        unmapped.groupby(["term", "part"])
        .agg(patients=("patient_id", "nunique"), episodes=("patient_id", "size"))
        .reset_index()
    )
    return table.reindex(columns=_UNMAPPED_COLUMNS)


def _pct_text(n: int, total: int) -> str:
    return count_percent(n, total, zero="–")


def _footnotes(ae, supportive_care, populations, layout, cutoff) -> pd.DataFrame:
    rows = []
    care = _in_scope(supportive_care, populations, cutoff, "start_date")
    for support, words in layout.supports.items():
        for part, ids in populations.items():
            n = care[(care["support"] == support) & (care["part"] == part)]["patient_id"]
            n = int(n.nunique())
            rows.append(_note(f"{words}", support, part, n, len(ids)))
    for spec in layout.rows:
        if spec.any_grade:
            for part, ids in populations.items():
                any_grade = ae[(ae["part"] == part) & (layout.row_of(ae["term"]) == spec.row)]
                n = int(any_grade["patient_id"].nunique())
                rows.append(_note(f"Any grade {spec.row.lower()}", spec.row, part, n, len(ids)))
        if spec.details:
            rows += _detail_notes(ae, layout, spec.row, populations)
    return pd.DataFrame(rows, columns=["footnote", "key", "part", "n", "N", "text"])


def _note(footnote: str, key: str, part: str, n: int, total: int) -> dict:
    pct = f"{percent(n, total)}%"
    return {
        "footnote": footnote,
        "key": key,
        "part": part,
        "n": n,
        "N": total,
        "text": f"n = {n} ({pct})",
    }


def _detail_notes(ae, layout, row, populations) -> list[dict]:
    """Details of each patient's worst-grade event(s) in the row, per part and grade class."""
    events = ae[layout.row_of(ae["term"]) == row]
    worst = events.groupby(["part", "patient_id"])["grade"].transform("max")
    events = events[events["grade"] == worst]
    out = []
    for part in populations:
        for key, grades in _GRADE_CLASSES:
            here = events[(events["part"] == part) & events["grade"].isin(grades)]
            if here.empty:
                continue
            detail = here["detail"].fillna("not specified") if "detail" in here else None
            per = (
                here.assign(detail=detail)
                .drop_duplicates(["patient_id", "detail"])
                .groupby("detail")["patient_id"]
                .nunique()
                .sort_index()
            )
            text = ", ".join(f"{d} (n = {k})" for d, k in per.items())
            out.append(
                {
                    "footnote": f"{row}, {_GRADE_LABELS[key].lower()}",
                    "key": row,
                    "part": part,
                    "n": int(here["patient_id"].nunique()),
                    "N": 0,
                    "text": text,
                }
            )
    return out


def display_table(table: AETable, part_labels: Mapping[str, str]) -> pd.DataFrame:
    """Table 2 as text, the paper's layout: 'n (%)' per part and grade class, '–' for none.

    A grade 5 column per part appears only when a grade 5 event was counted.
    """
    counts = table.counts
    show_5 = counts["grade_5"].sum() > 0
    classes = [k for k, _ in _GRADE_CLASSES if k != "grade_5" or show_5]
    records = []
    for (row, section), block in counts.groupby(["row", "section"], sort=False):
        record = {"section": section, "adverse event": row}
        for _, r in block.iterrows():
            label = f"{part_labels.get(r.part, r.part)} (n={r.N})"
            for key in classes:
                record[f"{label} {_GRADE_LABELS[key]} n (%)"] = _pct_text(int(r[key]), int(r.N))
        records.append(record)
    return pd.DataFrame(records)


def footnote_table(table: AETable, part_labels: Mapping[str, str]) -> pd.DataFrame:
    """Footnotes one per line, parts side by side."""
    notes = table.footnotes
    if notes.empty:
        return pd.DataFrame(columns=["footnote", *part_labels.values()])
    wide = notes.pivot_table(
        index=["footnote"], columns="part", values="text", aggfunc="first", sort=False
    )
    wide = wide.reindex(columns=list(part_labels)).fillna("none")
    wide.columns = [part_labels[c] for c in wide.columns]
    return wide.reset_index()

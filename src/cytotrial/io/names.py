"""The words a person reads for the pipeline's code names (populations, abbreviations).

Shared by text the domain writes into result tables (the paper check's items) and the
report (report.labels, which adds the headings and every other kind of value); the result
files keep the codes.
"""

from __future__ import annotations

import re

__all__ = ["CODE_NAME", "POPULATION_LABELS", "WORDS", "code_words", "population_label"]

# Populations of the demo template and the paper's panel; another population is shown by
# code_words (b_cells -> 'B cells' style: underscores as spaces, known words written out).
POPULATION_LABELS: dict[str, str] = {
    "non_debris": "Non-debris",
    "singlets": "Singlets",
    "viable": "Viable",
    "leukocytes": "Leukocytes",
    "lymphocytes": "Lymphocytes",
    "monocytes_scatter": "Monocytes (scatter)",
    "monocytes": "Monocytes",
    "t_cells": "T cells",
    "b_cells": "B cells",
    "nk_cells": "NK cells",
    "activated_nk": "Activated NK (CD16+CD56dim)",
    "plasma_cells": "Plasma cells",
}

WORDS = {
    "pct": "%",
    "ul": "µL",
    "mfi": "MFI",
    "cd38": "CD38",
    "nk": "NK",
    "qc": "QC",
    "n": "n",
    "b": "B",
    "t": "T",
    "pd": "PD",
    "mr": "MR",
    "pr": "PR",
    "cr": "CR",
}
# A code name: words joined by underscores (b_cells, pd_in_cycle1), not already text.
CODE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$")


def code_words(code: str) -> str:
    """A code name without a label as words: underscores as spaces, known abbreviations
    written out ('b_cells' -> 'B cells', 'pd_in_cycle1' -> 'PD in cycle1')."""
    words = [WORDS.get(word.lower(), word) for word in code.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def population_label(code: object) -> str:
    """A population as shown: its label, else its code as words."""
    text = str(code)
    return POPULATION_LABELS.get(text) or (code_words(text) if CODE_NAME.match(text) else text)

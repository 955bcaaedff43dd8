"""The one place that numbers the report's figures, as in the paper (Frerichs et al. 2021).

The paper: Figure 1 patient flow; 2A response, 2B-E PFS-B, OS-B, PFS-AB, OS-AB at the
RP2D; 3A-B PFS-B and PFS-AB by part A best response; 4A-B CD38 MFI in parts A and B;
supplemental Figure 1A-B absolute counts in parts A and B, supplemental Figure 2 T-cell
counts over both parts. Figures the paper does not have continue as S3, S4, ... in the
order the report shows them.
"""

from __future__ import annotations

from cytotrial.errors import InputError

__all__ = [
    "FIGURE_NUMBERS",
    "figure_title",
]

# key -> (number, title); the keys are the report's own names for its figures.
FIGURE_NUMBERS: dict[str, tuple[str, str]] = {
    "patient_flow": ("1", "Patient flow"),
    "response": ("2A", "Best overall response, part A and part B at the RP2D"),
    "km_pfs_b_all": ("2B", "PFS-B: progression-free survival from part B registration, RP2D"),
    "km_os_b_all": ("2C", "OS-B: overall survival from part B registration, RP2D"),
    "km_pfs_ab_all": ("2D", "PFS-AB: progression-free survival from start of part A, RP2D"),
    "km_os_ab_all": ("2E", "OS-AB: overall survival from start of part A, RP2D"),
    "km_pfs_b_by_response": ("3A", "PFS-B by part A best response, RP2D"),
    "km_pfs_ab_by_response": ("3B", "PFS-AB by part A best response, RP2D"),
    "mfi_A": ("4A", "CD38 expression on immune subsets, part A (daratumumab)"),
    "mfi_B": ("4B", "CD38 expression on immune subsets, part B (daratumumab + ATRA)"),
    "counts_A": ("S1A", "Absolute counts of immune subsets, part A"),
    "counts_B": ("S1B", "Absolute counts of immune subsets, part B"),
    "counts_t": ("S2", "Absolute T-cell counts, parts A and B"),
    # Not in the paper, in report order:
    "swimmer": ("S3", "Swimmer plot, part B at the RP2D"),
    "waterfall": ("S4", "Waterfall: best change of the response marker, part B at the RP2D"),
    "km_os_b_by_response": ("S5", "OS-B by part A best response, RP2D"),
    "km_os_ab_by_response": ("S6", "OS-AB by part A best response, RP2D"),
    "forest": ("S7", "Hazard ratios by part A best response (Cox)"),
    "mfi_paired": ("S8", "CD38 MFI, paired samples"),
    "counts_paired": ("S9", "Absolute counts, paired samples"),
    "gating": ("S10", "Gating audit plot"),
}


def figure_title(key: str, detail: str = "", part: int | None = None) -> str:
    """'Figure 2B. PFS-B at the RP2D' (+ ', detail'); `part` numbers one of a series
    under one number ('Figure S10.3. Gating audit plot, PT002_A_C1D1': each audit plot
    its own reference). An unknown key is an error, so no figure reaches the report
    unnumbered."""
    if key not in FIGURE_NUMBERS:
        raise InputError(f"figure {key!r} has no number in report_figure_numbers.FIGURE_NUMBERS")
    number, title = FIGURE_NUMBERS[key]
    if part is not None:
        number = f"{number}.{part}"
    return f"Figure {number}. {title}" + (f", {detail}" if detail else "")

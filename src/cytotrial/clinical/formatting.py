"""Number formatting shared by the clinical tables (percentages rounded half up, as SPSS)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "percent",
    "count_percent",
]


def percent(n: int, total: int, digits: int = 0) -> str:
    """100 n / total with ``digits`` decimals, halves rounded up (Python's round() would give
    2 for 2.5, the journal's tables 3); "-" when total is 0."""
    if total == 0:
        return "-"
    value = Decimal(100 * n) / Decimal(total)
    step = Decimal(1).scaleb(-digits)
    return str(value.quantize(step, rounding=ROUND_HALF_UP))


def count_percent(n: int, total: int, digits: int = 0, zero: str | None = None) -> str:
    """'n (pct)'; ``zero`` replaces the text when n is 0 (the paper's '–' or '0')."""
    if n == 0 and zero is not None:
        return zero
    return f"{n} ({percent(n, total, digits)})"

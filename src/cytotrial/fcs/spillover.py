"""Spillover matrix from the TEXT keywords ($SPILLOVER, SPILL or $SPILL).

Format: "n,name_1,...,name_n,v_11,v_12,...,v_nn", row-major; row i is the spill of
fluorochrome i into each detector. FCS 3.1 names it $SPILLOVER; BD Diva writes SPILL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from cytotrial.fcs.errors import FcsError

__all__ = [
    "parse_spillover",
]

SPILLOVER_KEYWORDS = ("$SPILLOVER", "SPILL", "$SPILL")


def parse_spillover(
    keywords: Mapping[str, str], *, source: str | None = None
) -> tuple[tuple[str, ...], np.ndarray] | None:
    """(channel names, n x n float64 matrix) or None when no spillover keyword is present.

    Keys are matched case-insensitively. A value of "0" (n = 0) means no matrix: None.
    Parameter numbers used as names (Accuri C6: "8,3,4,...") become their $PnN names.
    `source` (the file) is only used in error messages, and kept apart as the error's path.
    """
    upper = {key.upper(): value for key, value in keywords.items()}
    key = next((k for k in SPILLOVER_KEYWORDS if k in upper), None)
    if key is None:
        return None
    where = f"{source}: " if source else ""
    items = [item.strip() for item in upper[key].replace("\n", ",").split(",")]
    if items and items[-1] == "":
        items.pop()  # a trailing comma
    if not items or not items[0].isdigit():
        raise FcsError(
            f"{where}keyword {key} must start with the number of channels; "
            f"found {items[0][:20] if items else ''!r}",
            source,
        )
    n = int(items[0])
    if n == 0:
        return None
    if len(items) != 1 + n + n * n:
        raise FcsError(
            f"{where}keyword {key} declares {n} channels, so it needs {n} names and "
            f"{n * n} values ({1 + n + n * n} comma-separated items); found {len(items)} items",
            source,
        )
    names = _channel_names(tuple(items[1 : 1 + n]), upper)
    if any(not name for name in names) or len(set(names)) != n:
        raise FcsError(f"{where}keyword {key}: channel names must be non-empty and unique", source)
    try:
        matrix = np.array([float(v) for v in items[1 + n :]], dtype=np.float64).reshape(n, n)
    except ValueError:
        bad = next(v for v in items[1 + n :] if not _is_float(v))
        raise FcsError(
            f"{where}keyword {key}: value {bad[:20]!r} is not a number", source
        ) from None
    if not np.isfinite(matrix).all():
        raise FcsError(f"{where}keyword {key}: the matrix holds NaN or infinite values", source)
    return names, matrix


def _channel_names(names: tuple[str, ...], keywords: Mapping[str, str]) -> tuple[str, ...]:
    """Accuri C6 writes parameter numbers ("3,4,5") instead of $PnN names: map them,
    unless those numbers are real channel names."""
    if not all(name.isdigit() for name in names):
        return names
    channel_names = {v.strip() for k, v in keywords.items() if re.fullmatch(r"\$P\d+N", k)}
    mapped = tuple(keywords.get(f"$P{int(name)}N", "").strip() for name in names)
    if all(mapped) and not channel_names & set(names):
        return mapped
    return names


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

"""Every problem of an input reported at once, in one error (no pandas: per-sample jobs use it)."""

from __future__ import annotations

from cytotrial.errors import InputError

__all__ = ["MAX_REPORTED", "raise_problems"]

MAX_REPORTED = 20  # enough to see a pattern, short enough to read


def raise_problems(problems: list[str], what: str) -> None:
    """One InputError listing every problem (the first MAX_REPORTED of them)."""
    if not problems:
        return
    shown = problems[:MAX_REPORTED]
    more = len(problems) - len(shown)
    tail = f"\n  ... and {more} more" if more else ""
    raise InputError(f"{len(problems)} problem(s) in {what}:\n  " + "\n  ".join(shown) + tail)

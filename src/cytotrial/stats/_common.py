"""Input checks shared by the statistics modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from cytotrial.errors import InputError

__all__ = [
    "z_value",
    "survival_arrays",
    "group_levels",
]


def z_value(alpha: float) -> float:
    """Standard normal quantile ``qnorm(1 - alpha / 2)`` (R prints 1.95996398454005 for 95 %)."""
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha!r}")
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def survival_arrays(time, event) -> tuple[np.ndarray, np.ndarray]:
    """Check and convert (time, event) to float and bool arrays of equal length.

    ``event`` must be boolean or coded 0 (censored) / 1 (event); R's 1/2 coding (lung's
    ``status``) must be converted by the caller (``event = status == 2``), because a silent
    guess would turn censored patients into deaths.
    """
    t = np.asarray(time, dtype=float).reshape(-1)
    e_raw = np.asarray(event).reshape(-1)
    if t.shape != e_raw.shape:
        raise InputError(f"time has {t.size} values but event has {e_raw.size}")
    if np.isnan(t).any():
        raise InputError(f"time has {int(np.isnan(t).sum())} missing value(s)")
    if (t < 0).any():
        raise InputError(f"time has {int((t < 0).sum())} negative value(s): check the dates")
    if e_raw.dtype == bool:
        return t, e_raw.astype(bool)
    e = np.asarray(e_raw, dtype=float)
    if np.isnan(e).any():
        raise InputError(f"event has {int(np.isnan(e).sum())} missing value(s)")
    bad = ~np.isin(e, (0.0, 1.0))
    if bad.any():
        raise InputError(
            f"event must be 0/1 or boolean; found {sorted(set(e[bad].tolist()))[:5]} "
            "(R's 1 = censored / 2 = dead coding must be converted first)"
        )
    return t, e.astype(bool)


def group_levels(group, levels: Sequence | None = None) -> tuple[np.ndarray, list]:
    """Group labels as an object array and the level order.

    Level order: ``levels`` when given (all of them, also levels without subjects, so that an
    empty group shows up in the results instead of vanishing); else the categories of a pandas
    Categorical (R's factor order) that occur; else the sorted unique values.
    """
    if isinstance(group, pd.Series | pd.Categorical) and isinstance(
        getattr(group, "dtype", None), pd.CategoricalDtype
    ):
        cats = list(group.dtype.categories)
        g = np.asarray(group, dtype=object)
    else:
        g = np.asarray(group, dtype=object).reshape(-1)
        cats = None
    missing = pd.isna(g)
    if missing.any():
        raise InputError(f"group has {int(missing.sum())} missing value(s)")
    present = set(g.tolist())
    if levels is not None:
        order = list(levels)
        unknown = present - set(order)
        if unknown:
            raise InputError(f"group values {sorted(map(str, unknown))} are not in levels {order}")
        return g, order
    if cats is not None:
        return g, [lv for lv in cats if lv in present]
    return g, sorted(present, key=lambda v: (str(type(v)), v))

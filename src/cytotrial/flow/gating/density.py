"""One-dimensional densities and the valleys between their peaks.

A marker's negative and positive cells form two peaks in transformed units; the
gate threshold goes at the lowest density between them. Found per sample, the
threshold follows instrument drift and staining differences that a fixed gate
would miss.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "BINS",
    "spike_mask",
    "without_spikes",
    "Density",
    "density",
    "density_like",
    "peaks",
    "local_peaks",
    "valley_between",
    "valley_index",
    "prominent_pair",
    "half_width_sd",
    "order_statistics",
    "median",
    "percentiles",
]

BINS = 256
MIN_SMOOTHING_BINS = 2.0  # floor of the Gaussian kernel SD, in bins
# Peak detection (template options of a threshold, see resources/gating/pbmc_cd38.yaml):
MIN_PEAK_SHARE = 0.001  # min_peak_share: a peak's basin holds at least this share of the mass
MIN_PROMINENCE = 0.05  # peak_prominence: kept if it rises this far (share of the highest peak)
NOISE_SDS = 4.0  # peak_noise_sds: ... or this many SDs of the density's sampling noise
MIN_PEAK_EVENTS = 30  # peak_min_events: ... with at least this many events in its basin
KERNEL_ROUGHNESS = 1 / (2 * np.sqrt(np.pi))  # R(K) of the Gaussian kernel
SPIKE_SHARE = 0.001  # ties at the lowest/highest value holding this share are a spike


def spike_mask(values: np.ndarray) -> np.ndarray | None:
    """Events tied at the minimum or maximum of `values` when the ties hold SPIKE_SHARE
    of them (at least 5): the zero spike of mass cytometry, a pile-up at an ADC's floor,
    saturation. None when there is no spike. `values` must be finite."""
    if len(values) == 0:
        return None
    least = max(5, SPIKE_SHARE * len(values))
    spike = None
    for end in (values.min(), values.max()):
        at = values == end
        if np.count_nonzero(at) >= least:
            spike = at if spike is None else spike | at
    return spike


def without_spikes(values: np.ndarray) -> tuple[np.ndarray, float | None, float | None, tuple]:
    """`values` without ties at their minimum or maximum that hold SPIKE_SHARE of them
    (exact zeros of mass cytometry, saturation at the channel maximum); the low and
    high spike values (None: no spike) and the shares of each."""
    least = max(5, SPIKE_SHARE * len(values))
    spikes: list[float | None] = []
    shares = []
    keep = None
    for end in (values.min(), values.max()):
        at = values == end
        tied = int(np.count_nonzero(at))
        if tied >= least:
            spikes.append(float(end))
            keep = ~at if keep is None else keep & ~at
        else:
            spikes.append(None)
        shares.append(round(tied / len(values), 6) if tied >= least else 0.0)
    cleaned = values if keep is None else values[keep]
    return cleaned, spikes[0], spikes[1], (shares[0], shares[1])


@dataclass(frozen=True)
class Density:
    """Smoothed histogram density on an even grid.

    `kernel_sd`: the Gaussian kernel's SD (data units); `n`: the events it was estimated
    from (both 0 when unknown). Together they give the density's sampling noise.
    """

    centers: np.ndarray
    values: np.ndarray
    kernel_sd: float = 0.0
    n: int = 0

    @property
    def step(self) -> float:
        return float(self.centers[1] - self.centers[0])

    def noise(self, index: int) -> float:
        """SD of the density estimate at grid point `index` from sampling alone:
        sqrt(f R(K) / (n h)) (0 when n or h is unknown)."""
        if self.n <= 0 or self.kernel_sd <= 0:
            return 0.0
        return float(np.sqrt(self.values[index] * KERNEL_ROUGHNESS / (self.n * self.kernel_sd)))


def _bandwidth(
    values: np.ndarray, n: int | None = None, quartiles: tuple[float, float] | None = None
) -> float:
    """Silverman's rule of thumb: wider kernels for fewer events, so noise makes no peaks.

    The spread comes from `values` (which may be a subsample; `quartiles` are its 25th
    and 75th percentiles when already known), the event count `n` from the whole
    (default len(values)).
    """
    n = len(values) if n is None else n
    if len(values) < 2 or n < 2:
        return 0.0
    q25, q75 = np.percentile(values, [25, 75]) if quartiles is None else quartiles
    std = float(np.std(values))
    spread = min(std, float(q75 - q25) / 1.34) or std
    return 0.9 * spread * n**-0.2


def density(
    values: np.ndarray,
    low: float,
    high: float,
    bins: int = BINS,
    n_events: int | None = None,
    quartiles: tuple[float, float] | None = None,
) -> Density:
    """Histogram over [low, high] smoothed with a Gaussian kernel; integrates to 1.

    `values` may be a subsample of `n_events` events: the kernel width (Silverman's
    rule) then follows the full count, so the smoothing is that of the whole
    population. `quartiles`: the 25th and 75th percentiles of `values`, if known.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.isfinite(values.sum()):
            values = values[np.isfinite(values)]
            quartiles = None
    step = (high - low) / bins
    width = _bandwidth(values, len(values) if n_events is None else n_events, quartiles)
    sigma = max(MIN_SMOOTHING_BINS, width / step) if step > 0 else MIN_SMOOTHING_BINS
    centers = low + (np.arange(bins) + 0.5) * step
    return Density(centers, _smoothed(values, low, high, bins, sigma), sigma * step, len(values))


def density_like(dens: Density, values: np.ndarray) -> Density:
    """The density of `values` on `dens`'s grid with its kernel (e.g. a resample's)."""
    step = dens.step
    low = float(dens.centers[0]) - step / 2
    high = float(dens.centers[-1]) + step / 2
    sigma = dens.kernel_sd / step
    values_out = _smoothed(values, low, high, len(dens.centers), sigma)
    return Density(dens.centers, values_out, dens.kernel_sd, len(values))


def _smoothed(values: np.ndarray, low: float, high: float, bins: int, sigma: float) -> np.ndarray:
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    radius = int(4 * sigma)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    smoothed = np.convolve(counts.astype(np.float64), kernel / kernel.sum(), mode="same")
    total = smoothed.sum()
    step = edges[1] - edges[0]
    return smoothed / (total * step) if total > 0 else smoothed


def peaks(
    dens: Density,
    min_share: float = MIN_PEAK_SHARE,
    min_prominence: float = MIN_PROMINENCE,
    noise_sds: float = NOISE_SDS,
    min_events: int = MIN_PEAK_EVENTS,
) -> list[int]:
    """Indices of the local maxima that are populations, not noise (guide §1.2).

    Prominence is topographic: how far a peak rises above the higher of the two lowest
    points separating it from higher ground on either side (or the grid's end); those
    two points bound its basin. A peak is kept when its basin holds `min_share` of the
    mass and it rises `min_prominence` x the highest peak, or (rare populations next
    to a large one) `noise_sds` x the density's sampling noise at the peak with at
    least `min_events` events in its basin (needs `dens.n`, `dens.kernel_sd`).
    """
    y = dens.values
    if len(y) < 2:
        return []
    candidates = _local_maxima(y)
    top = float(y.max())
    if top <= 0:
        return []
    # A peak rises at most its own height above its basin (a density is >= 0): one lower
    # than both bars below cannot pass, and noise makes many such maxima in the tails
    # (skipping them spares their prominence, a scan of the grid each).
    floor = min_prominence * top if float(y.min()) >= 0 else -np.inf
    kept = []
    for index in candidates:
        height = float(y[index])
        if height < floor and not (dens.n and height >= noise_sds * dens.noise(index)):
            continue
        prominence, left, right = _prominence(y, index)
        mass = float(y[left : right + 1].sum() * dens.step)
        if mass < min_share:
            continue
        if prominence >= min_prominence * top or (
            dens.n
            and prominence >= noise_sds * dens.noise(index)
            and mass * dens.n >= min_events
            and dens.noise(index) > 0
        ):
            kept.append(index)
    return kept


def local_peaks(dens: Density, min_share: float = 0.01) -> list[int]:
    """Local maxima whose basin (downhill to the nearest rise on each side) holds
    `min_share` of the mass: scatter clouds (large populations, no prominence test)."""
    y = dens.values
    candidates = _local_maxima(y) if len(y) > 1 else []
    kept = []
    for index in candidates:
        left = index
        while left > 0 and y[left - 1] <= y[left]:
            left -= 1
        right = index
        while right < len(y) - 1 and y[right + 1] <= y[right]:
            right += 1
        if y[left : right + 1].sum() * dens.step >= min_share:
            kept.append(index)
    return kept


def _local_maxima(y: np.ndarray) -> list[int]:
    """Indices above the point before and at least the point after (an end: above its
    one neighbour), in order; len(y) >= 2."""
    inner = np.flatnonzero((y[1:-1] > y[:-2]) & (y[1:-1] >= y[2:])) + 1
    return [0] * bool(y[0] > y[1]) + inner.tolist() + [len(y) - 1] * bool(y[-1] > y[-2])


def _prominence(y: np.ndarray, index: int) -> tuple[float, int, int]:
    """Prominence of the peak at `index` and its basin (the lowest point on each side
    before higher ground or the end)."""
    height = y[index]
    higher = np.flatnonzero(y[:index] > height)
    start = higher[-1] + 1 if len(higher) else 0
    left = start + int(np.argmin(y[start : index + 1]))
    higher = np.flatnonzero(y[index + 1 :] > height)
    stop = index + 1 + higher[0] if len(higher) else len(y)
    right = index + int(np.argmin(y[index:stop]))
    return float(height - max(y[left], y[right])), left, right


def valley_between(dens: Density, first: int, second: int) -> float:
    """Position of the lowest density between two peak indices."""
    return float(dens.centers[valley_index(dens.values, first, second)])


def valley_index(values: np.ndarray, first: int, second: int) -> int:
    """Grid index of the lowest density between two peak indices (middle of ties)."""
    low, high = sorted((first, second))
    segment = values[low : high + 1]
    lowest = np.flatnonzero(segment == segment.min())
    return int(low + lowest[len(lowest) // 2])


def prominent_pair(dens: Density, found: list[int]) -> tuple[int, int] | None:
    """The two peaks with the deepest valley between them (most clearly separate)."""
    best, best_depth = None, -1.0
    for a_pos, a in enumerate(found):
        for b in found[a_pos + 1 :]:
            floor = dens.values[a : b + 1].min()
            depth = min(dens.values[a], dens.values[b]) - floor
            if depth > best_depth:
                best, best_depth = (a, b), depth
    return best


def half_width_sd(dens: Density, index: int, side: str) -> float:
    """A peak's spread from its half-height width on one side (`below` or `above`):
    the Gaussian SD with that half width at half maximum (at least one grid step)."""
    y = dens.values
    half = y[index] / 2
    if side == "below":
        under = np.flatnonzero(y[:index] < half)
        width = index - under[-1] if len(under) else index
    else:
        under = np.flatnonzero(y[index + 1 :] < half)
        width = under[0] + 1 if len(under) else len(y) - 1 - index
    return max(float(width), 1.0) * dens.step / 1.1774


def order_statistics(values: np.ndarray, ranks: list[int], overwrite: bool = False) -> np.ndarray:
    """The values that np.sort(values) holds at `ranks` (0-based), without sorting.

    Selection by halves: a partition of a copy at the middle wanted rank (one kth:
    numpy's SIMD selection, several times faster than a partition at several kths or a
    bracket from a sorted sample), then the ranks below it are selected within the
    part below it and those above within the part above. A rank next to one already
    selected is the largest (smallest) value of the part beside it. Exact: the same
    values np.sort puts there. `overwrite`: `values` may be reordered (no copy)."""
    values = np.asarray(values)
    n = len(values)
    wanted = sorted(set(int(r) for r in ranks))
    if not wanted:
        return np.empty(0, dtype=values.dtype)
    if wanted[0] < 0 or wanted[-1] >= n:
        raise IndexError(f"ranks {wanted[0]}..{wanted[-1]} outside 0..{n - 1}")
    work = values if overwrite and values.flags.c_contiguous else values.copy()
    found: dict[int, np.floating] = {}
    pending = [(0, wanted)]  # (rank of the part's first value, sorted ranks in the part)
    ends = {0: n}
    while pending:
        first, group = pending.pop()
        part = work[first : ends[first]]
        middle = group[len(group) // 2]
        part.partition(middle - first)
        found[middle] = part[middle - first]
        below = [r for r in group if r < middle]
        above = [r for r in group if r > middle]
        if below == [middle - 1]:
            found[middle - 1] = part[: middle - first].max()
        elif below:
            ends[first] = middle
            pending.append((first, below))
        if above == [middle + 1]:
            rest = part[middle - first + 1 :]
            found[middle + 1] = rest.min()
            if np.isnan(found[middle + 1]):  # min() propagates NaN; np.sort puts it last
                rest.partition(0)
                found[middle + 1] = rest[0]
        elif above:
            ends[middle + 1] = first + len(part)
            pending.append((middle + 1, above))
    return np.array([found[int(r)] for r in ranks], dtype=values.dtype)


def median(values: np.ndarray, overwrite: bool = False) -> np.floating:
    """np.median(values): the middle value, or the mean of the two middle values
    computed as np.median does (in the values' dtype). `overwrite`: `values` may be
    reordered (a temporary array: no copy)."""
    n = len(values)
    if n == 0:
        return np.float64(np.nan)
    middle = n // 2
    if n % 2:
        return order_statistics(values, [middle], overwrite)[0]
    lower, upper = order_statistics(values, [middle - 1, middle], overwrite)
    return (lower + upper) / 2


def percentiles(values: np.ndarray, q: list[float]) -> np.ndarray:
    """np.percentile(values, q) with its default 'linear' method (float64 result).

    Linear interpolation between the order statistics around q/100 * (n - 1), as
    numpy does it (the same formula; the last bit may differ for float32 values).
    """
    n = len(values)
    position = np.asarray(q, dtype=np.float64) / 100 * (n - 1)
    lower = np.floor(position).astype(np.int64)
    upper = np.minimum(lower + 1, n - 1)
    stats = order_statistics(values, [*lower.tolist(), *upper.tolist()]).astype(np.float64)
    a, b = stats[: len(lower)], stats[len(lower) :]
    gamma = position - lower
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)

"""The audit plot: every gate drawn on its parent's events, one panel per gate."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from cytotrial.atomic import atomic_path
from cytotrial.flow.gates import EllipseGate, PolygonGate, RectangleGate
from cytotrial.flow.gating_template import GatingTemplate
from cytotrial.flow.sample_analysis import SampleResult

MAX_POINTS = 20_000  # drawn per panel: enough to see the populations, cheap to render
COLUMNS = 4


def plot_gating(result: SampleResult, template: GatingTemplate, out_path: str | Path) -> None:
    """Write the sample's gating plot (PNG); a failed sample gets its reason instead."""
    # A bare Figure, not pyplot: pyplot's import (backends, font set-up) and figure
    # manager cost more than the panels themselves in a one-file job.
    from matplotlib.figure import Figure

    if result.status != "ok" or result.plot_data is None or result.applied is None:
        fig = Figure(figsize=(8, 2))
        ax = fig.subplots()
        ax.axis("off")
        ax.text(
            0.01,
            0.5,
            f"{result.sample_id}: {result.status}\n{result.reason}",
            wrap=True,
            va="center",
            fontsize=9,
            color="firebrick",
        )
    else:
        fig = _gate_panels(Figure, result, template)
    with atomic_path(out_path) as tmp:
        fig.savefig(tmp, format="png", dpi=72)


def _gate_panels(figure_class, result: SampleResult, template: GatingTemplate):
    gates = template.gates
    rows = math.ceil(len(gates) / COLUMNS)
    fig = figure_class(figsize=(3.2 * COLUMNS, 2.9 * rows))
    axes = fig.subplots(rows, COLUMNS)
    axes = np.atleast_1d(axes).ravel()
    data, applied = result.plot_data, result.applied
    every = np.ones(len(next(iter(data.values()))), dtype=bool)
    for ax, spec in zip(axes, gates, strict=False):
        gate = applied[spec.name]
        parent = every if spec.parent == "root" else applied[spec.parent].mask
        index = np.flatnonzero(parent)
        if len(index) > MAX_POINTS:  # even thinning keeps the picture, bounds the cost
            index = index[:: math.ceil(len(index) / MAX_POINTS)]
        dims = spec.markers
        if not dims:  # an imported boolean gate: nothing to draw on
            ax.axis("off")
        elif len(dims) == 1:
            _histogram(ax, data[dims[0]][index], gate.shape, dims[0])
        else:
            _density(ax, data[dims[0]][index], data[dims[1]][index], gate.shape, dims)
        parent_n = int(parent.sum())
        share = 100 * gate.events / parent_n if parent_n else 0.0
        ax.set_title(f"{spec.name}: {gate.events:,} ({share:.1f}% of {spec.parent})", fontsize=8)
        if gate.flags:
            ax.text(
                0.02,
                0.98,
                "\n".join(gate.flags),
                transform=ax.transAxes,
                va="top",
                fontsize=6,
                color="firebrick",
            )
    for ax in axes[len(gates) :]:
        ax.axis("off")
    flags = result.qc.flags if result.qc else ()
    fig.suptitle(f"{result.sample_id}  QC: {', '.join(flags) or 'no flags'}", fontsize=10)
    # Fixed spacing: tight_layout costs more than all the panels' drawing together.
    fig.subplots_adjust(left=0.05, right=0.98, bottom=0.07, top=0.92, wspace=0.28, hspace=0.42)
    return fig


def _limits(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return 0.0, 1.0
    low, high = np.percentile(finite, [0.5, 99.5])
    pad = 0.05 * (high - low) + 1e-3
    return float(low - pad), float(high + pad)


def _histogram(ax, values: np.ndarray, shape, dim: str) -> None:
    low, high = _limits(values)
    counts, edges = np.histogram(values, bins=128, range=(low, high))
    ax.stairs(counts, edges, fill=True, color="0.45")
    if isinstance(shape, RectangleGate):
        for cut in (*shape.minimum, *shape.maximum):
            if cut is not None and np.isfinite(cut):
                ax.axvline(cut, color="crimson", lw=1.2)
    ax.set_xlabel(dim, fontsize=8)
    ax.set_yticks([])  # counts per bin say nothing the shape does not
    _few_ticks(ax.xaxis)


def _few_ticks(axis) -> None:
    """Three ticks per axis: drawing ticks is most of a panel's cost."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(3))
    axis.set_tick_params(labelsize=6, length=2, pad=1)


def _density(ax, x: np.ndarray, y: np.ndarray, shape, dims: list[str]) -> None:
    from matplotlib.colors import LogNorm

    (x_low, x_high), (y_low, y_high) = _limits(x), _limits(y)
    if len(x):
        # One image of the binned counts: drawing it costs a fraction of hist2d's mesh.
        counts, _, _ = np.histogram2d(x, y, bins=96, range=[[x_low, x_high], [y_low, y_high]])
        if counts.any():
            ax.imshow(
                np.ma.masked_equal(counts.T, 0),  # empty bins stay white
                origin="lower",
                extent=(x_low, x_high, y_low, y_high),
                aspect="auto",
                interpolation="nearest",
                norm=LogNorm(),
                cmap="viridis",
            )
    if isinstance(shape, RectangleGate):
        for value in (shape.minimum[0], shape.maximum[0]):
            if value is not None and np.isfinite(value):
                ax.axvline(value, color="crimson", lw=1.2)
        for value in (shape.minimum[1], shape.maximum[1]):
            if value is not None and np.isfinite(value):
                ax.axhline(value, color="crimson", lw=1.2)
    elif isinstance(shape, PolygonGate | EllipseGate):
        outline = shape.outline() if isinstance(shape, EllipseGate) else np.array(shape.vertices)
        if len(outline):
            closed = np.vstack([outline, outline[:1]])
            ax.plot(closed[:, 0], closed[:, 1], color="crimson", lw=1.2)
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.set_xlabel(dims[0], fontsize=8)
    ax.set_ylabel(dims[1], fontsize=8)
    _few_ticks(ax.xaxis)
    _few_ticks(ax.yaxis)

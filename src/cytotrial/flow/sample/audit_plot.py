"""The audit plot: every gate drawn on its parent's events, one panel per gate.

Drawn with Pillow on numpy histograms rather than matplotlib: in a one-file job,
importing matplotlib and rendering its axes cost ~0.7 s of CPU, more than reading,
gating and measuring the file; this costs a few hundredths of a second.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from cytotrial.flow.gating.gates import EllipseGate, PolygonGate, RectangleGate
from cytotrial.flow.gating.template import GatingTemplate
from cytotrial.flow.prepare.transforms import Transform
from cytotrial.flow.sample.analysis import SampleResult
from cytotrial.flow.sample.plot_ticks import data_label, ticks
from cytotrial.io.atomic import atomic_path
from cytotrial.io.names import flag_text, parent_label, population_label

__all__ = [
    "COLUMNS",
    "HEADER",
    "NO_FLAGS",
    "GATE_COLOUR",
    "plot_gating",
    "plot_header",
    "corrected_note",
    "cut_lines",
    "display_cuts",
    "flag_lines",
    "panel_heading",
]

MAX_POINTS = 50_000  # binned per panel: enough to see the populations, bounds the cost
COLUMNS = 4
PLOT_W, PLOT_H = 192, 150  # plot area of a panel, pixels
BIN_PX = 2  # a 2-D histogram bin is 2 x 2 pixels (96 x 75 bins)
# Text >= 12 px: >= 9 pt at natural size, still >= 8 pt shown down to ~920 px wide.
FONT_PX, SMALL_FONT_PX = 14, 12  # Pillow font sizes (px)
# panel margins (ticks and names in data units); TITLE holds 4 lines: name, count, the
# cuts in data units, the same cuts in display units (what a correction is written in)
LEFT, TITLE, BOTTOM, GAP = 52, 68, 36, 14
CELL_W, CELL_H = LEFT + PLOT_W + GAP, TITLE + PLOT_H + BOTTOM
HEADER = 44  # two lines: the sample and its flags
# The plot is drawn per sample, before the cohort QC compares samples: the header claims
# only what it knows (sample QC and gates); the report's caption beside the plot gives the
# sample's cohort-QC flags. Re-drawing after the cohort QC would re-read and re-gate every
# FCS file (the plot is drawn from the per-sample job's events), doubling that cost.
NO_FLAGS = "sample QC and gate flags: none"
GATE_COLOUR = (220, 20, 60)  # crimson
FLAG_COLOUR = (178, 34, 34)  # firebrick
BAR_COLOUR = (115, 115, 115)
# viridis at 0, 1/4, 1/2, 3/4, 1 (matplotlib's); interpolated to 256 colours
_VIRIDIS_ANCHORS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=float
)
VIRIDIS = np.stack(
    [np.interp(np.linspace(0, 4, 256), np.arange(5), _VIRIDIS_ANCHORS[:, c]) for c in range(3)],
    axis=1,
).astype(np.uint8)


def plot_gating(
    result: SampleResult,
    template: GatingTemplate,
    out_path: str | Path,
    transforms: Mapping[str, Transform] | None = None,
) -> None:
    """Write the sample's gating plot (PNG); a failed sample gets its reason instead.
    `transforms` (marker -> the panel's transform, plot_ticks.marker_transforms) puts
    the ticks in data units; without it the axes give the display range."""
    from PIL import Image, ImageDraw

    font = _font(FONT_PX)
    if result.status != "ok" or result.plot_data is None or result.applied is None:
        text = f"{result.sample_id}: {result.status}\n" + "\n".join(
            textwrap.wrap(str(result.reason), 110)
        )
        image = Image.new("RGB", (760, 24 + 16 * text.count("\n")), "white")
        ImageDraw.Draw(image).multiline_text((8, 6), text, fill=FLAG_COLOUR, font=font)
    else:
        image = _gate_panels(result, template, font, transforms)
    # A 64-colour palette PNG: half the bytes of RGB, nothing visible lost (flat colours,
    # viridis steps), and the report embeds it as written instead of re-encoding it.
    palette = image.quantize(64, method=Image.Quantize.FASTOCTREE)
    with atomic_path(out_path) as tmp:
        palette.save(tmp, format="PNG", pnginfo=_text_size_info())


def _text_size_info():
    """The smallest text height (px) as a PNG text chunk, for the report's readability
    check (figure_text): the small font is the smallest text drawn."""
    from PIL.PngImagePlugin import PngInfo

    from cytotrial.io.figure_text import MIN_TEXT_KEY

    info = PngInfo()
    info.add_text(MIN_TEXT_KEY, f"{SMALL_FONT_PX:.2f}")
    return info


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)  # Pillow's built-in font: no system fonts needed


def plot_header(result: SampleResult) -> str:
    """The plot's title: sample, then its flags in words, as the report's tables write
    them: "none" only when neither the sample (QC, sample flags) nor any gate below
    carries one. The cohort QC runs later, on every sample: its flags are not known here."""
    flags = (*(result.qc.flags if result.qc else ()), *result.flags)  # sample flags too
    flagged = [population_label(n) for n, gate in (result.applied or {}).items() if gate.flags]
    if not flags and not flagged:
        return f"{result.sample_id}   {NO_FLAGS}"
    parts = []
    if flagged:
        gates = "1 gate" if len(flagged) == 1 else f"{len(flagged)} gates"
        parts.append(f"{gates} flagged: {', '.join(flagged)} (flags in red)")
    shown = ", ".join(flag_text(flag) for flag in flags)
    parts.append(f"sample flags: {shown}" if flags else "sample QC flags: none")
    return f"{result.sample_id}   " + "; ".join(parts)


def corrected_note(cuts) -> str:
    """'  (corrected: CD3 0.6)' for a gate with a reviewer's cut (config flow.review), so
    the audit plot says the line is not the engine's; '' otherwise."""
    fixed = [f"{c['marker']} {c['cut']:g}" for c in cuts if c.get("method") == "corrected"]
    return f"  (corrected: {', '.join(fixed)})" if fixed else ""


def _rectangle_cuts(shape) -> list[tuple[str, float]]:
    """(marker, cut in display units) of a rectangle gate's finite edges; [] otherwise."""
    if not isinstance(shape, RectangleGate):
        return []
    return [
        (dim, float(value))
        for dim, low, high in zip(shape.dims, shape.minimum, shape.maximum, strict=True)
        for value in (low, high)
        if value is not None and np.isfinite(value)
    ]


def display_cuts(shape) -> str:
    """'display cut: CD3 0.62' - a rectangle gate's cuts in the transformed units a
    reviewer's correction is written in (config flow.review); '' for other shapes."""
    cuts = [f"{dim} {value:.3g}" for dim, value in _rectangle_cuts(shape)]
    if not cuts:
        return ""
    return ("display cut: " if len(cuts) == 1 else "display cuts: ") + ", ".join(cuts)


def cut_lines(shape, transforms: Mapping[str, Transform] | None) -> tuple[str, str]:
    """A rectangle gate's cuts as the panel prints them: in data units, as the axes' ticks
    (the transform's inverse: 'cut (data units): CD3 1.07k'), then the same cuts in the
    display units a reviewer's correction is written in ('display units: 0.459'). A
    marker without a known transform keeps its display value, said so (('display cut:
    CD3 0.459', '')); ('', '') for other shapes."""
    cuts = _rectangle_cuts(shape)
    if not cuts:
        return "", ""
    known = {dim: (transforms or {}).get(dim) for dim, _ in cuts}
    if any(t is None for t in known.values()):  # the axes show display units too
        return display_cuts(shape), ""
    data = [f"{dim} {_data_value(known[dim], value)}" for dim, value in cuts]
    head = "cut (data units): " if len(cuts) == 1 else "cuts (data units): "
    display = "display units: " + ", ".join(f"{v:.3g}" for _, v in cuts)
    return head + ", ".join(data), display


def _data_value(transform: Transform, display: float) -> str:
    """A display-unit cut in data units, 3 significant digits, labelled as the ticks."""
    value = float(transform.inverse(np.array([display], dtype=np.float64))[0])
    rounded = float(f"{value:.3g}")
    return data_label(rounded)


def _gate_panels(result: SampleResult, template: GatingTemplate, font, transforms=None):
    from PIL import Image, ImageDraw

    gates = template.gates
    rows = math.ceil(len(gates) / COLUMNS)
    image = Image.new("RGB", (COLUMNS * CELL_W + GAP, HEADER + rows * CELL_H), "white")
    draw = ImageDraw.Draw(image)
    header = plot_header(result)
    colour = "black" if header.endswith(NO_FLAGS) else FLAG_COLOUR
    width = int(COLUMNS * CELL_W / (0.58 * FONT_PX))  # characters per line
    lines = textwrap.wrap(header, width)
    if len(lines) > 2:  # the QC table spells every flag out
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder=" ...")]
    draw.multiline_text((GAP, 4), "\n".join(lines), colour, font, spacing=2)
    small = _font(SMALL_FONT_PX)
    data, applied = result.plot_data, result.applied
    every = np.ones(len(next(iter(data.values()))), dtype=bool)
    for number, spec in enumerate(gates):
        x0 = GAP + (number % COLUMNS) * CELL_W
        y0 = HEADER + (number // COLUMNS) * CELL_H
        gate = applied[spec.name]
        parent = every if spec.parent == "root" else applied[spec.parent].mask
        index = np.flatnonzero(parent)
        if len(index) > MAX_POINTS:  # even thinning keeps the picture, bounds the cost
            index = index[:: math.ceil(len(index) / MAX_POINTS)]
        title, count = panel_heading(spec.name, spec.parent, gate, int(parent.sum()))
        draw.text((x0, y0 + 2), title, "black", font)
        draw.text((x0, y0 + 19), count, "black", small)
        data_cut, display_cut = cut_lines(gate.shape, transforms)
        draw.text((x0, y0 + 35), data_cut, GATE_COLOUR, small)
        draw.text((x0, y0 + 50), display_cut, BAR_COLOUR, small)
        dims = spec.markers
        if not dims:  # an imported boolean gate: nothing to draw on
            continue
        if len(dims) == 1:
            panel, x_range = _histogram(data[dims[0]][index], gate.shape)
            y_range = None
        else:
            panel, x_range, y_range = _density(data[dims[0]][index], data[dims[1]][index], gate)
        plot_x, plot_y = x0 + LEFT, y0 + TITLE
        image.paste(panel, (plot_x, plot_y))
        draw.rectangle(
            (plot_x - 1, plot_y - 1, plot_x + PLOT_W, plot_y + PLOT_H), outline=(90, 90, 90)
        )
        axes = [None if transforms is None else transforms.get(d) for d in dims]
        _axis_labels(image, draw, small, (plot_x, plot_y), dims, (x_range, y_range), axes)
        if gate.flags:
            _flag_text(draw, (plot_x, plot_y), gate.flags, small)
    return image


def _limits(values: np.ndarray, cuts=()) -> tuple[float, float]:
    """The bulk of the events (0.5-99.5th percentile), widened to show every cut."""
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return 0.0, 1.0
    low, high = np.percentile(finite, [0.5, 99.5])
    shown = [c for c in cuts if c is not None and np.isfinite(c)]
    low, high = min([low, *shown]), max([high, *shown])
    pad = 0.05 * (high - low) + 1e-3
    return float(low - pad), float(high + pad)


def _cuts(shape, dim: int) -> tuple:
    if isinstance(shape, RectangleGate):
        return (shape.minimum[dim], shape.maximum[dim])
    return ()


def _to_px(value: float, low: float, high: float, size: int) -> float:
    return (value - low) / (high - low) * size


def _histogram(values: np.ndarray, shape):
    """Grey bars of the parent's events, the gate's cuts as vertical lines."""
    from PIL import Image, ImageDraw

    low, high = _limits(values, _cuts(shape, 0))
    counts, _ = np.histogram(values, bins=PLOT_W // BIN_PX, range=(low, high))
    heights = np.round(counts / max(counts.max(), 1) * (PLOT_H - 4)).astype(int)
    rows = np.arange(PLOT_H)[:, None]
    filled = rows >= PLOT_H - np.repeat(heights, BIN_PX)[None, :]
    pixels = np.full((PLOT_H, PLOT_W, 3), 255, dtype=np.uint8)
    pixels[filled] = BAR_COLOUR
    panel = Image.fromarray(pixels)
    draw = ImageDraw.Draw(panel)
    if isinstance(shape, RectangleGate):
        for cut in (*shape.minimum, *shape.maximum):
            if cut is not None and np.isfinite(cut):
                x = _to_px(cut, low, high, PLOT_W)
                draw.line((x, 0, x, PLOT_H), fill=GATE_COLOUR, width=2)
    return panel, (low, high)


def _density(x: np.ndarray, y: np.ndarray, gate):
    """Log-scaled 2-D histogram (viridis, empty bins white) with the gate's outline."""
    from PIL import Image, ImageDraw

    shape = gate.shape
    (x_low, x_high), (y_low, y_high) = _limits(x, _cuts(shape, 0)), _limits(y, _cuts(shape, 1))
    bins = (PLOT_W // BIN_PX, PLOT_H // BIN_PX)
    counts, _, _ = np.histogram2d(x, y, bins=bins, range=[[x_low, x_high], [y_low, y_high]])
    counts = counts.T[::-1]  # rows from the top (high y) down
    level = np.log1p(counts)
    scaled = np.round(level / max(level.max(), 1e-9) * 255).astype(np.uint8)
    pixels = VIRIDIS[scaled]
    pixels[counts == 0] = 255
    pixels = pixels.repeat(BIN_PX, axis=0).repeat(BIN_PX, axis=1)
    panel = Image.fromarray(np.ascontiguousarray(pixels))
    draw = ImageDraw.Draw(panel)

    def px(xv: float, yv: float) -> tuple[float, float]:
        return (
            _to_px(xv, x_low, x_high, PLOT_W),
            PLOT_H - _to_px(yv, y_low, y_high, PLOT_H),
        )

    if isinstance(shape, RectangleGate):
        for value in (shape.minimum[0], shape.maximum[0]):
            if value is not None and np.isfinite(value):
                x_px = px(value, y_low)[0]
                draw.line((x_px, 0, x_px, PLOT_H), fill=GATE_COLOUR, width=2)
        for value in (shape.minimum[1], shape.maximum[1]):
            if value is not None and np.isfinite(value):
                y_px = px(x_low, value)[1]
                draw.line((0, y_px, PLOT_W, y_px), fill=GATE_COLOUR, width=2)
    elif isinstance(shape, PolygonGate | EllipseGate):
        outline = shape.outline() if isinstance(shape, EllipseGate) else np.array(shape.vertices)
        if len(outline):
            points = [px(float(a), float(b)) for a, b in outline]
            draw.line(points + points[:1], fill=GATE_COLOUR, width=2)
    return panel, (x_low, x_high), (y_low, y_high)


def panel_heading(name: str, parent: str, gate, parent_events: int) -> tuple[str, str]:
    """A panel's two title lines, with the population names the report's tables use:
    ('T cells', '1,234 = 75.8% of Lymphocytes'); a gate on the root is 'of all events'."""
    share = 100 * gate.events / parent_events if parent_events else 0.0
    title = population_label(name) + corrected_note(gate.cuts)
    return title, f"{gate.events:,} = {share:.1f}% of {parent_label(parent)}"


def flag_lines(flags) -> list[str]:
    """A gate's flags in words, as the report's tables write them ('low-confidence cut
    (CD3: depth 0.87, ...)'), wrapped to a panel's width; at most 6 lines."""
    width = int(PLOT_W / 6.6)  # characters per line; break at "(" and spaces, not in names
    return [line for flag in flags for line in textwrap.wrap(flag_text(flag), width)][:6]


def _flag_text(draw, origin, flags, font) -> None:
    """The gate's flags (flag_lines), red on a white box at the top of its panel."""
    plot_x, plot_y = origin
    text = "\n".join(flag_lines(flags))
    box = draw.multiline_textbbox((plot_x + 3, plot_y + 2), text, font=font, spacing=1)
    draw.rectangle((box[0] - 2, box[1] - 1, box[2] + 2, box[3] + 1), fill="white")
    draw.multiline_text((plot_x + 3, plot_y + 2), text, FLAG_COLOUR, font, spacing=1)


def _axis_labels(image, draw, font, origin, dims, ranges, axes) -> None:
    """Ticks in data units (plot_ticks) under and left of the panel, the marker names;
    an axis without a known transform shows its display range at its ends."""
    from PIL import Image, ImageDraw

    plot_x, plot_y = origin
    (x_low, x_high), y_range = ranges
    below = plot_y + PLOT_H + 2
    x_ticks = ticks(axes[0], x_low, x_high)
    if x_ticks:
        for position, label in x_ticks:
            x = plot_x + _to_px(position, x_low, x_high, PLOT_W)
            draw.line((x, below - 2, x, below + 2), fill="black")
            draw.text((x, below + 3), label, "black", font, anchor="ma")
        name = dims[0]
    else:
        draw.text((plot_x, below + 3), f"{x_low:.2g}", "black", font)
        draw.text((plot_x + PLOT_W, below + 3), f"{x_high:.2g}", "black", font, anchor="ra")
        name = f"{dims[0]} (display units)"
    draw.text((plot_x + PLOT_W / 2, below + 17), name, "black", font, anchor="ma")
    if y_range is None:
        return
    y_low, y_high = y_range
    y_ticks = ticks(axes[1], y_low, y_high)
    for position, label in y_ticks:
        y = plot_y + PLOT_H - _to_px(position, y_low, y_high, PLOT_H)
        draw.line((plot_x - 4, y, plot_x, y), fill="black")
        draw.text((plot_x - 6, y), label, "black", font, anchor="rm")
    if y_ticks:
        label = dims[1]
    else:
        label = f"{y_low:.2g}   {dims[1]} (display units)   {y_high:.2g}"
    width = int(draw.textlength(label, font=font)) + 4
    strip = Image.new("RGB", (max(width, PLOT_H), SMALL_FONT_PX + 4), "white")
    ImageDraw.Draw(strip).text((strip.width / 2, 1), label, "black", font, anchor="ma")
    rotated = strip.rotate(90, expand=True)  # reads bottom to top, low value at the bottom
    image.paste(rotated, (plot_x - LEFT + 2, plot_y + (PLOT_H - rotated.height) // 2))

"""The audit plot: every gate drawn on its parent's events, one panel per gate.

Drawn with Pillow on numpy histograms rather than matplotlib: in a one-file job,
importing matplotlib and rendering its axes cost ~0.7 s of CPU, more than reading,
gating and measuring the file; this costs a few hundredths of a second.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

from cytotrial.atomic import atomic_path
from cytotrial.flow.gates import EllipseGate, PolygonGate, RectangleGate
from cytotrial.flow.gating_template import GatingTemplate
from cytotrial.flow.sample_analysis import SampleResult

MAX_POINTS = 50_000  # binned per panel: enough to see the populations, bounds the cost
COLUMNS = 4
PLOT_W, PLOT_H = 192, 150  # plot area of a panel, pixels
BIN_PX = 2  # a 2-D histogram bin is 2 x 2 pixels (96 x 75 bins)
LEFT, TITLE, BOTTOM, GAP = 30, 30, 30, 14  # panel margins
CELL_W, CELL_H = LEFT + PLOT_W + GAP, TITLE + PLOT_H + BOTTOM
HEADER = 28
FONT_PX, SMALL_FONT_PX = 11, 9  # Pillow font sizes (px)
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


def plot_gating(result: SampleResult, template: GatingTemplate, out_path: str | Path) -> None:
    """Write the sample's gating plot (PNG); a failed sample gets its reason instead."""
    from PIL import Image, ImageDraw

    font = _font(FONT_PX)
    if result.status != "ok" or result.plot_data is None or result.applied is None:
        text = f"{result.sample_id}: {result.status}\n" + "\n".join(
            textwrap.wrap(str(result.reason), 110)
        )
        image = Image.new("RGB", (760, 24 + 16 * text.count("\n")), "white")
        ImageDraw.Draw(image).multiline_text((8, 6), text, fill=FLAG_COLOUR, font=font)
    else:
        image = _gate_panels(result, template, font)
    # A 64-colour palette PNG: half the bytes of RGB, nothing visible lost (flat colours,
    # viridis steps), and the report embeds it as written instead of re-encoding it.
    palette = image.quantize(64, method=Image.Quantize.FASTOCTREE)
    with atomic_path(out_path) as tmp:
        palette.save(tmp, format="PNG", pnginfo=_text_size_info())


def _text_size_info():
    """The smallest text height (px) as a PNG text chunk, for the report's readability
    check (figure_text): the small font is the smallest text drawn."""
    from PIL.PngImagePlugin import PngInfo

    from cytotrial.figure_text import MIN_TEXT_KEY

    info = PngInfo()
    info.add_text(MIN_TEXT_KEY, f"{SMALL_FONT_PX:.2f}")
    return info


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)  # Pillow's built-in font: no system fonts needed


def plot_header(result: SampleResult) -> str:
    """The plot's title line: sample, its QC and sample flags, and the gates flagged (the
    header must not say "no flags" while a panel below shows one)."""
    flags = (*(result.qc.flags if result.qc else ()), *result.flags)  # sample flags too
    header = f"{result.sample_id}   QC: {', '.join(flags) or 'no flags'}"
    flagged = [name for name, gate in (result.applied or {}).items() if gate.flags]
    if flagged:
        header += f"   gates flagged: {', '.join(flagged)}"
    return header


def corrected_note(cuts) -> str:
    """'  (corrected: CD3 0.6)' for a gate with a reviewer's cut (config flow.review), so
    the audit plot says the line is not the engine's; '' otherwise."""
    fixed = [f"{c['marker']} {c['cut']:g}" for c in cuts if c.get("method") == "corrected"]
    return f"  (corrected: {', '.join(fixed)})" if fixed else ""


def _gate_panels(result: SampleResult, template: GatingTemplate, font):
    from PIL import Image, ImageDraw

    gates = template.gates
    rows = math.ceil(len(gates) / COLUMNS)
    image = Image.new("RGB", (COLUMNS * CELL_W + GAP, HEADER + rows * CELL_H), "white")
    draw = ImageDraw.Draw(image)
    draw.text((GAP, 6), plot_header(result), "black", font)
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
        parent_n = int(parent.sum())
        share = 100 * gate.events / parent_n if parent_n else 0.0
        draw.text((x0, y0 + 2), spec.name + corrected_note(gate.cuts), "black", font)
        draw.text((x0, y0 + 15), f"{gate.events:,} = {share:.1f}% of {spec.parent}", "black", small)
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
        _axis_labels(image, draw, small, (plot_x, plot_y), dims, x_range, y_range)
        if gate.flags:
            draw.multiline_text((plot_x + 3, plot_y + 2), "\n".join(gate.flags), FLAG_COLOUR, small)
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


def _axis_labels(image, draw, font, origin, dims, x_range, y_range) -> None:
    """Marker names and the range shown, at the ends of each axis."""
    from PIL import Image, ImageDraw

    plot_x, plot_y = origin
    below = plot_y + PLOT_H + 3
    draw.text((plot_x, below), f"{x_range[0]:.2g}", "black", font)
    draw.text((plot_x + PLOT_W, below), f"{x_range[1]:.2g}", "black", font, anchor="ra")
    draw.text((plot_x + PLOT_W / 2, below + 12), dims[0], "black", font, anchor="ma")
    if y_range is None:
        return
    label = f"{y_range[0]:.2g}   {dims[1]}   {y_range[1]:.2g}"
    width = int(draw.textlength(label, font=font)) + 4
    strip = Image.new("RGB", (max(width, PLOT_H), 14), "white")
    ImageDraw.Draw(strip).text((strip.width / 2, 1), label, "black", font, anchor="ma")
    rotated = strip.rotate(90, expand=True)  # reads bottom to top, low value at the bottom
    image.paste(rotated, (plot_x - 16, plot_y + (PLOT_H - rotated.height) // 2))

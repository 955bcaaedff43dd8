"""Writing result tables (tab-separated, stable formatting) and figures (PNG + SVG), atomically."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from cytotrial.io.atomic import atomic_path

__all__ = [
    "write_tsv",
    "read_tsv",
    "read_tsv_or_empty",
    "save_figure",
]


def write_tsv(table: pd.DataFrame, path: str | Path) -> None:
    """Write `table` as TSV without index; never leaves a partial file."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, sep="\t", index=False, lineterminator="\n")


# Text whatever they hold: IDs ("007", "NA", "None") and group labels.
TEXT_COLUMNS = ("sample_id", "patient_id", "batch", "group")


def read_tsv(path: str | Path, text_columns: Iterable[str] = ()) -> pd.DataFrame:
    """A table written by `write_tsv`, read back as written: IDs and labels as text, only
    an empty cell missing (pandas' default turns a patient "NA" into NaN), '#' is data."""
    return pd.read_csv(
        path,
        sep="\t",
        dtype={column: str for column in (*TEXT_COLUMNS, *text_columns)},
        keep_default_na=False,
        na_values=[""],
    )


DPI = 150


def read_tsv_or_empty(path: str | Path | None) -> pd.DataFrame:
    """`read_tsv`, or an empty frame where the file is missing or empty (a report section
    then says there is nothing to show instead of failing)."""
    if path is None or not Path(path).is_file():
        return pd.DataFrame()
    try:
        return read_tsv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()


def save_figure(fig, png: str | Path, svg: str | Path, *, tight: bool = False) -> None:
    """A matplotlib figure as PNG (150 dpi) and SVG, each written atomically, then closed.

    The SVG is reproducible: no date, and element ids from a fixed salt (matplotlib draws
    them at random otherwise), so a rerun writes the same bytes. `tight` crops to the
    drawn content (bbox_inches="tight"). The PNG records its smallest text height in
    pixels (figure_text.MIN_TEXT_KEY), which the report checks as displayed.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    from cytotrial.io.figure_text import MIN_TEXT_KEY, smallest_text_pt

    extra = {"bbox_inches": "tight"} if tight else {}
    min_text_px = smallest_text_pt(fig) * DPI / 72
    png_metadata = {MIN_TEXT_KEY: f"{min_text_px:.2f}"}
    with matplotlib.rc_context({"svg.hashsalt": "cytotrial"}):
        for path, kind in ((png, "png"), (svg, "svg")):
            with atomic_path(path) as tmp:
                metadata = {"Date": None} if kind == "svg" else png_metadata
                fig.savefig(tmp, format=kind, dpi=DPI, metadata=metadata, **extra)
    plt.close(fig)

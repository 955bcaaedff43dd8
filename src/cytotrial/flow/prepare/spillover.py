"""Which spillover matrix compensates a sample, and what must be flagged about it.

Exact compensation uses every channel the matrix names: true = acquired @ inv(S) over
all of S's detectors. The inverse of the panel's sub-matrix is not the sub-matrix of
the inverse, so inverting only the panel's channels leaves in the spill of a dye the
panel does not use (30% from a bright extra channel into CD38 tripled a T-cell CD38
MFI). The whole matrix is kept here; compensation.channel_rows computes only the
channels the analysis needs from it (one column of inv(S) each), which is as cheap.

A sample whose fluorescence cannot be trusted to be compensated is flagged (the flag
reaches its record, sample_qc.tsv, populations.tsv and the report):
* no $SPILLOVER/$SPILL: left uncompensated;
* an identity matrix (the cytometer's default when no controls were run): the same;
* a diagonal of 100: the matrix is in percent. A spillover matrix is by definition
  normalised to each dye's own detector (diagonal 1), so 100 can only mean percent:
  it is divided by 100 (used as is, every compensated value would be 100x too small
  and the gates misplaced), and flagged so that someone confirms it.
A matrix named in the panel file is the user's explicit choice: not flagged (an
identity matrix there means "already compensated"); a percent one there is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cytotrial.errors import InputError
from cytotrial.flow.prepare.compensation import Spillover, read_spillover_csv
from cytotrial.io.panel import Panel

__all__ = [
    "choose_spillover",
    "SpilloverChoice",
]

NO_MATRIX = "no_spillover_matrix(fluorescence uncompensated)"
IDENTITY = "identity_spillover_matrix(fluorescence uncompensated)"
PERCENT = "percent_spillover_matrix(diagonal 100: divided by 100)"


@dataclass(frozen=True)
class SpilloverChoice:
    """The matrix to apply (None: none), the sample flags and notes it calls for."""

    spillover: Spillover | None
    flags: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def choose_spillover(
    found: tuple[Sequence[str], np.ndarray] | None,
    panel: Panel,
    file_channels: Sequence[str],
) -> SpilloverChoice:
    """The panel file's matrix if it names one, else the file's own (`found`, from
    parse_spillover), whole: every channel it names, in its order."""
    wanted = [c.channel for c in panel.channels if c.compensate]
    if not wanted:  # the panel compensates nothing
        return SpilloverChoice(None)
    if panel.spillover_matrix is not None:
        named = read_spillover_csv(panel.spillover_matrix)
        where = f"panel spillover_matrix {panel.spillover_matrix.name}"
        if _is_percent(named.matrix):
            raise InputError(f"{where}: the diagonal is 100 (percent); expected fractions (1)")
        note = f"spillover matrix from the panel file ({panel.spillover_matrix.name})"
        return SpilloverChoice(
            _whole(named.channels, named.matrix, wanted, file_channels), notes=(note,)
        )
    if found is None:
        note = "no spillover matrix in the file ($SPILLOVER/$SPILL): fluorescence uncompensated"
        return SpilloverChoice(None, (NO_MATRIX,), (note,))
    channels, matrix = found
    matrix = np.asarray(matrix, dtype=np.float64)
    if np.array_equal(matrix, np.eye(len(matrix))):
        note = "the file's spillover matrix is the identity: fluorescence uncompensated"
        return SpilloverChoice(None, (IDENTITY,), (note,))
    if _is_percent(matrix):
        note = "the file's spillover matrix has a diagonal of 100 (percent): divided by 100"
        return SpilloverChoice(
            _whole(channels, matrix / 100.0, wanted, file_channels), (PERCENT,), (note,)
        )
    return SpilloverChoice(_whole(channels, matrix, wanted, file_channels))


def _is_percent(matrix: np.ndarray) -> bool:
    return bool(np.allclose(np.diag(matrix), 100.0, rtol=1e-3, atol=0.0))


def _whole(
    channels: Sequence[str],
    matrix: np.ndarray,
    wanted: Sequence[str],
    file_channels: Sequence[str],
) -> Spillover:
    missing = [c for c in wanted if c not in channels]
    if missing:
        raise InputError(f"spillover matrix lacks panel channel(s) {', '.join(missing)}")
    absent = [c for c in channels if c not in file_channels]
    if absent:  # their spill into the panel's channels cannot be computed
        raise InputError(
            f"spillover matrix names channel(s) {', '.join(absent)} that the file does not "
            "have: their spill cannot be removed; expected every channel the matrix names "
            "in the file"
        )
    return Spillover(tuple(channels), np.asarray(matrix, dtype=np.float64))

"""A population map for Gating-ML imports."""

from __future__ import annotations

POPULATION_MAP = """\
mfi: {marker: CD38}
leukocyte_gate: leukocytes
populations:
  monocytes: monocytes
  b_cells: b_cells
  t_cells: t_cells
  nk_cells: nk_cells
  activated_nk: activated_nk
"""

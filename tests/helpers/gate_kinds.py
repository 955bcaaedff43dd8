"""Example gates of every new gate kind."""

from __future__ import annotations

NEW_GATES = [
    {
        "name": "hw_singlets",
        "parent": "non_debris",
        "singlets": {"height": "FSC-H", "width": "FSC-W"},
    },
    {
        "name": "b_cluster",
        "parent": "lymphocytes",
        "cluster": {"x": "CD3", "y": "CD19", "by": "high_y"},
    },
    {
        "name": "mono_cluster",
        "parent": "leukocytes",
        "cluster": {"x": "CD14", "y": "SSC-A", "by": "high_x"},
    },
    {
        "name": "fixed_polygon",
        "parent": "lymphocytes",
        "polygon": {
            "dims": ["CD3", "CD19"],
            "vertices": [[0.0, 0.5], [0.4, 0.5], [0.4, 1.0], [0.0, 1.0]],
        },
    },
    {
        "name": "fixed_ellipse",
        "parent": "lymphocytes",
        "ellipse": {
            "dims": ["CD16", "CD56"],
            "center": [0.5, 0.5],
            "half_axes": [0.3, 0.15],
            "angle": 20,
        },
    },
    {"name": "cd38_tail", "parent": "t_cells", "tail": {"marker": "CD38"}},
    {
        "name": "cd38_q",
        "parent": "t_cells",
        "tail": {"marker": "CD38", "quantile": 0.5, "control": "b_cells"},
    },
    {"name": "not_t", "parent": "lymphocytes", "boolean": {"not": "t_cells"}},
    {"name": "b_or_nk", "parent": "lymphocytes", "boolean": {"or": ["b_cells", "nk_cells"]}},
    {
        "name": "t_not_tail",
        "parent": "t_cells",
        "boolean": {"and": ["cd38_q", {"not": "cd38_tail"}]},
    },
]

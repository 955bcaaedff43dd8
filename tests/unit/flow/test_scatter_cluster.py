"""scatter_cluster: a small scatter cloud beside a dominant one is gated whole.

Seed 2048's demo sample PT043_B_C1D1 (2% monocytes beside 89% granulocytes on FSC/SSC)
once lost 60% of its monocytes without a flag: the cloud's centre was the median of its
band widened towards the granulocytes' peak, where the granulocytes' flank outnumbered
the monocytes, so the ellipse sat in that flank and took a slice of the monocytes.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from cytotrial.flow.gating.engine import gate_events
from cytotrial.flow.gating.template import read_gating_template

CLOUDS = (  # share, centre (FSC, SSC), SDs (FSC, SSC): a monocyte-poor blood
    (0.09, (0.25, 0.06), (0.03, 0.012)),  # lymphocytes
    (0.01, (0.47, 0.17), (0.06, 0.03)),  # monocytes
    (0.90, (0.43, 0.40), (0.06, 0.07)),  # granulocytes
)
GATE = {"x": "FSC-A", "y": "SSC-A", "components": 3, "pick": 2, "distance": 4, "widen": 0.5}


def _events(n: int, seed: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(n, [share for share, _, _ in CLOUDS])
    xs, ys = [], []
    for count, (_, centre, sd) in zip(counts, CLOUDS, strict=True):
        xs.append(rng.normal(centre[0], sd[0], count))
        ys.append(rng.normal(centre[1], sd[1], count))
    data = {"FSC-A": np.concatenate(xs), "SSC-A": np.concatenate(ys)}
    return data, np.repeat(np.arange(len(CLOUDS)), counts)


# Seeds whose side scatter shows the three peaks (no mixture fallback, no flag); the old
# centre kept 41-86% of the monocytes on these, without a flag (on 26 of the first 40
# seeds the monocytes make no peak of their own: a mixture is fitted instead, flagged).
@pytest.mark.parametrize(
    ("events", "seed"),
    [(20_000, 10), (20_000, 11), (5_000, 3), (5_000, 4), (5_000, 7), (5_000, 13)],
)
def test_small_cloud_beside_a_dominant_one_is_gated_whole(tmp_path, events, seed):
    data, labels = _events(events, seed)
    path = tmp_path / "template.yaml"
    entry = {"name": "monocytes_scatter", "parent": "root", "scatter_cluster": GATE}
    path.write_text(yaml.safe_dump({"gates": [entry]}), encoding="utf-8")
    applied = gate_events(data, read_gating_template(path))["monocytes_scatter"]
    truth = labels == 1
    recall = (applied.mask & truth).sum() / truth.sum()
    assert not applied.flags  # the three peaks were found: the band rule, not the fallback
    assert recall >= 0.95, f"{recall:.0%} of the monocytes gated"

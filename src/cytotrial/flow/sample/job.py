"""The per-sample job: analyse one file and write its outputs (table, record, plot, and
the gates as Gating-ML 2.0)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from cytotrial.flow.gating.template import read_gating_template
from cytotrial.flow.interop.gatingml_export import write_sample_gatingml
from cytotrial.flow.prepare.qc import QCSettings
from cytotrial.flow.sample.analysis import analyse_sample
from cytotrial.flow.sample.audit_plot import plot_gating
from cytotrial.flow.sample.outputs import write_populations
from cytotrial.flow.sample.plot_ticks import marker_transforms
from cytotrial.io.panel import read_panel
from cytotrial.io.records import write_record

__all__ = [
    "run_sample_job",
]

log = logging.getLogger(__name__)


def run_sample_job(
    sample_id: str,
    fcs_path: str | Path,
    panel_path: str | Path,
    template_path: str | Path,
    qc: dict[str, Any],
    populations_out: str | Path,
    record_out: str | Path,
    plot_out: str | Path,
    gatingml_out: str | Path | None = None,
    planned_sha256: str = "",
    pooled: dict[str, dict[str, dict]] | None = None,
    controls_file: str | Path | None = None,
    corrected: dict[str, dict[str, float]] | None = None,
) -> str:
    """Analyse one sample; a failed sample still writes all outputs (its failure record).

    `planned_sha256`: the file's SHA-256 when the run was planned (the job's param);
    the record holds the SHA-256 of the bytes read, whatever it is. `pooled`: the
    applied cuts of the sample's group (issue 16, cytotrial.flow.sample.pooling), if any;
    `controls_file`: its batch controls' negative levels (cytotrial.flow.sample.controls), if any;
    `corrected`: a reviewer's cuts for this sample (cytotrial.flow.sample.review), if any.
    """
    panel = read_panel(panel_path)
    template = read_gating_template(template_path, [c.marker for c in panel.channels])
    settings = QCSettings.from_config(qc)
    controls = None
    if controls_file is not None:
        controls = json.loads(Path(controls_file).read_text(encoding="utf-8"))["levels"]
    result = analyse_sample(
        sample_id,
        fcs_path,
        panel,
        template,
        settings,
        pooled=pooled,
        controls=controls,
        corrected=corrected,
    )
    if planned_sha256 and result.file_sha256 and result.file_sha256 != planned_sha256:
        # Snakemake recorded the planned value: the next run sees the change and reruns.
        log.warning(
            "%s: the FCS file changed after the run was planned (SHA-256 %s then, %s read); "
            "the results are of the bytes read, and the next run analyses the file again",
            sample_id,
            planned_sha256,
            result.file_sha256,
        )
    if gatingml_out is not None:
        clock = time.perf_counter()
        note = write_sample_gatingml(result, template, panel, gatingml_out)
        result.timings_s["export_gatingml"] = time.perf_counter() - clock
        if note and result.status == "ok":  # flagged, not silently missing
            result.notes.append(note)
            result.flags.append("gatingml_not_exported")
    write_populations(result, populations_out)
    write_record(result.record(template), record_out)
    # ticks in data units by the panel's transforms; an imported (Gating-ML) strategy
    # brings its own, so its plot keeps display units (said on the axis)
    axes = marker_transforms(panel) if template.strategy is None else None
    plot_gating(result, template, plot_out, axes)
    log.info("%s: %s %s", sample_id, result.status, result.reason)
    return result.status

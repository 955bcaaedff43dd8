"""Across samples: the tables, the cohort QC, the paired tests and Figure 4.

* ``aggregate``: one tidy table per patient x timepoint x population, and the QC table.
* ``qc``: each sample's cuts and frequencies against its groups (patient, batch, timepoint).
* ``comparisons``: paired timepoint comparisons (Wilcoxon matched pairs) of a subset value.
* ``figures``: Figure 4 dot plots.
* ``job``: the flow statistics job.
"""

__all__ = ["aggregate", "comparisons", "figures", "job", "qc"]

"""The flow branch: from one FCS file's events to the cohort's paired tests and Figure 4.

Subpackages, in the order the data pass through them. Each imports only the ones before
it, with two exceptions (tests/unit/project/test_import_layers.py holds them to that): the template
reader (``gating.template``, ``gating.inputs``) reads imported Gating-ML/FlowJo strategies
from ``interop``, and ``prepare.qc`` uses the exact float bound of ``gating.gates``.

* ``prepare``: a file's events made ready to gate: transforms, compensation, the spillover
  choice, quality control, the stains against the panel.
* ``gating``: the gating engine: 1-D densities and cuts, gate geometry, the gate kinds,
  the template and its checks.
* ``interop``: Gating-ML 2.0 and FlowJo 10: import a template, export each sample's gates.
* ``sample``: one sample (or a group of samples) analysed end to end: the per-sample job,
  its output files and audit plot, pooled cuts, batch controls, the review decisions and
  each population's status.
* ``cohort``: across samples: the tidy tables, the cohort QC, the paired comparisons and
  Figure 4.

``settings`` is the config's ``flow:`` section as typed objects (``QCSettings`` itself
lives in ``prepare.qc``, which uses it).

The Snakemake scripts call only the ``job`` modules (and ``cohort.aggregate``,
``cohort.qc``, ``sample.pooling``, ``sample.controls``, ``interop.gatingml_import``,
``interop.flowjo_job``): one function per rule. The subpackages import none of their
modules, so importing one is cheap.
"""

__all__ = ["cohort", "gating", "interop", "prepare", "sample", "settings"]

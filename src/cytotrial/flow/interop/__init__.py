"""Gating-ML 2.0 and FlowJo 10, in and out.

* ``gatingml_strategy``: fixed gates (from Gating-ML or FlowJo) and how to apply them.
* ``gatingml_import``: a Gating-ML file or FlowJo workspace imported as our own fixed gating,
  with the population map that says which gates are reported.
* ``gatingml_export``: each sample's final gates as Gating-ML 2.0 (FlowKit re-applies them).
* ``gatingml_read``: our own export read back without FlowKit.
* ``flowjo_export``, ``flowjo_job``: one FlowJo workspace per batch, for review in FlowJo.
"""

__all__ = [
    "flowjo_export",
    "flowjo_job",
    "gatingml_export",
    "gatingml_import",
    "gatingml_read",
    "gatingml_strategy",
]

"""The paper's tables: Table 1 (baseline), Table 2 (adverse events), Table 3 (subsequent
therapy) and the 3+3 dose-escalation table.

* ``baseline``: Table 1 cells, per part and population.
* ``adverse_events``: Table 2 from the CTCAE terms and the row layout (resources), with
  footnotes and the terms no row takes.
* ``subsequent_therapy``: Table 3 and the summary sentence.
* ``dose_escalation``: the 3+3 table and the MTD sentence.
"""

__all__ = ["baseline", "adverse_events", "subsequent_therapy", "dose_escalation"]

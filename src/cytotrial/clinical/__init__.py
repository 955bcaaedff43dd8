"""The clinical branch: response, survival, Tables 1-3, dose escalation, patient flow.

Small modules, one job each; the Snakemake scripts call only ``cytotrial.clinical.job``.

* ``settings``: the ``clinical:`` config section (and the cut-off) as one typed object.
* ``population``: the RP2D population and the part A best-response groups.
* ``endpoints``: PFS-B, OS-B, PFS-AB, OS-AB times and events from dates and the cut-off.
* ``response``: n (%) per IMWG category, ORR/CBR/DCR with exact CIs, the primary endpoint.
* ``survival``: Kaplan-Meier medians (every CI method), log-rank, Cox HRs, S(t), follow-up.
* ``baseline_table``, ``adverse_events``, ``subsequent_therapy``, ``dose_escalation``:
  Table 1, Table 2 (+ footnotes), Table 3 and the 3+3 table.
* ``flow_diagram``: CONSORT-style boxes (children sum to parent, checked) and their drawing.
* ``figures_km``, ``figures_response``: Kaplan-Meier plots, response bars, swimmer plot.
* ``report_sections``: the report sections in the paper's order.
* IMWG 2016 responses from the optional lab_values.csv: ``lab_values`` (reading),
  ``imwg_settings``, ``imwg_baseline`` (measurable disease), ``imwg_response`` (categories
  per assessment, reason codes), ``imwg_progression`` (PD criteria), ``imwg_confirmation``
  (confirmation, best response, progression date, part B eligibility), ``imwg_engine``
  (over a trial), ``concordance`` (derived vs reported, effective tables),
  ``figures_waterfall``, ``report_imwg``.

Importing this package is cheap: matplotlib and lifelines are imported where used.
"""

"""Flow branch: per-sample processing of FCS event data.

- ``transforms``    linear / logicle / asinh per channel (fast logicle table)
- ``compensation``  spillover -> compensated values
- ``qc``            event count, flow-rate anomalies, saturation, non-finite values
"""

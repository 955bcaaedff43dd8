"""IMWG 2016 responses from serial lab values (the optional lab_values.csv, read by
cytotrial.io.lab_values).

* ``settings``: the ``clinical.imwg`` config section as one typed object.
* ``baseline``: a part's baseline and measurable disease.
* ``assessment``: the response category of each assessment, with reason codes.
* ``progression``: the progression criteria (from the running nadir).
* ``confirmation``: confirmation, best response, progression date, part B eligibility.
* ``engine``: all of the above over a trial.
* ``concordance``: derived against reported responses, and the tables the analyses use.
"""

__all__ = [
    "settings",
    "baseline",
    "assessment",
    "progression",
    "confirmation",
    "engine",
    "concordance",
]

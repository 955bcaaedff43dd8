"""IMWG 2016 responses from serial lab values (the optional lab_values.csv).

* ``lab_values``: reading and checking lab_values.csv.
* ``settings``: the ``clinical.imwg`` config section as one typed object.
* ``baseline``: a part's baseline and measurable disease.
* ``assessment``: the response category of each assessment, with reason codes.
* ``progression``: the progression criteria (from the running nadir).
* ``confirmation``: confirmation, best response, progression date, part B eligibility.
* ``engine``: all of the above over a trial.
* ``concordance``: derived against reported responses, and the tables the analyses use.
"""

from cytotrial.clinical.imwg.concordance import concordance, concordance_summary, effective_tables
from cytotrial.clinical.imwg.engine import derive_responses
from cytotrial.clinical.imwg.lab_values import empty_lab_values, labs_up_to, read_lab_values
from cytotrial.clinical.imwg.settings import ImwgSettings

__all__ = [
    "ImwgSettings",
    "concordance",
    "concordance_summary",
    "derive_responses",
    "effective_tables",
    "empty_lab_values",
    "labs_up_to",
    "read_lab_values",
]

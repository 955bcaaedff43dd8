"""Fast FCS reader that is right where the common readers are wrong.

    from cytotrial.fcs import read_fcs
    data = read_fcs("sample.fcs")            # data.events: float32 (n_events, n_channels)

Numpy reads the exact DATA slice with one dtype (raw-read speed for float32 files) and
handles what flowio/fcsparser get wrong on real files: inconsistent HEADER vs TEXT
offsets (the DATA segment is the candidate consistent with $TOT x bytes per event, the
TEXT position and the file size), 24-bit and mixed-width integers, $PnR bit masks,
several data sets ($NEXTDATA), blank HEADER offsets, empty values in TEXT, cut-off TEXT.
Every decision that deviates from a plain reading of the file is listed in `notes`.

Decisions worth knowing:
* scale=True (default): $PnE log decoding for integer data, $PnG gain for linear
  channels, $TIMESTEP for the 'Time' channel (flowio/FlowKit's formulas). Integer masking
  happens always. scale=False gives the stored channel values.
* Zero events ($TOT 0) is not an error: an empty (0, n_channels) array and a note.
* Duplicate $PnN names are made unique ("FL1-H", "FL1-H_2") and noted.
* NaN/inf in float data are kept and noted.
* Nothing here logs; notes and errors never quote keyword values such as $SRC or $FIL.
"""

from cytotrial.fcs.errors import FcsError
from cytotrial.fcs.reader import (
    FcsDataSet,
    channel_numbers,
    count_data_sets,
    read_fcs,
    read_fcs_text,
)
from cytotrial.fcs.spillover import parse_spillover

__all__ = [
    "FcsDataSet",
    "FcsError",
    "channel_numbers",
    "count_data_sets",
    "parse_spillover",
    "read_fcs",
    "read_fcs_text",
]

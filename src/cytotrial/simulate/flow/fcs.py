"""FCS 3.1 keywords of a simulated acquisition and the file writer.

Writing uses `flowio.create_fcs` (FCS 3.1, $DATATYPE F, little-endian, list mode): it
writes every keyword needed here. Input is an `array('f')` built from the float32 bytes,
the fast path (a Python list is about 3x slower).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import flowio
import numpy as np

from cytotrial.io.atomic import atomic_path
from cytotrial.simulate.flow.populations import rng_for

__all__ = [
    "spillover_text",
    "build_keywords",
    "write_fcs",
]

STREAM_KEYWORDS = 41
STREAM_IDENTITY = 42

CYTOMETER = "LSRFortessa (simulated)"
PN_RANGE = "262144"
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

# Fake identities for $SRC: a stand-in for the patient name and birth date that real
# cytometer software often stores. The pipeline must never copy it into any output.
_SURNAMES = (
    "DOE", "ROE", "JANSEN", "DE VRIES", "BAKKER", "VISSER", "SMIT", "MEIJER", "DE BOER",
    "MULDER", "BOS", "VOS", "PETERS", "HENDRIKS", "DEKKER", "BROUWER", "DE WIT", "DIJKSTRA",
)  # fmt: skip
_GIVEN = (
    "JANE", "JOHN", "ANNA", "PIETER", "MARIA", "JAN", "ELS", "KEES", "INGE", "HENK", "SASKIA",
    "WILLEM", "MARIEKE", "JOOST", "EVA", "BART",
)  # fmt: skip


def _fcs_date(iso_date: str) -> str:
    """'2016-07-14' -> '14-JUL-2016' (FCS 3.1 $DATE, locale independent)."""
    day = date.fromisoformat(str(iso_date)[:10])
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year:04d}"


def _fake_source(patient_id: str, seed: int) -> str:
    """A fake, name-like $SRC ("SURNAME^GIVEN yyyy-mm-dd"), the same in all a patient's files."""
    rng = rng_for(seed, STREAM_IDENTITY, patient_id)
    surname = _SURNAMES[rng.integers(len(_SURNAMES))]
    given = _GIVEN[rng.integers(len(_GIVEN))]
    birth = date(1935, 1, 1) + timedelta(days=int(rng.integers(0, 30 * 365)))
    return f"{surname}^{given} {birth.isoformat()}"


def _fake_identifying_keywords(patient_id: str, sample_id: str, seed: int) -> dict[str, str]:
    """Keywords that identify a person in real files, filled with fake values.

    Acquisition software writes names and hospital numbers into $SMNO, $OP, $PROJ, $INST,
    $COM and custom keywords (BD FACSDiva: "PATIENT ID"). The demo carries fake ones so
    the tests can check that none of them reaches an output.
    """
    name = _fake_source(patient_id, seed).rsplit(" ", 1)[0]  # drop the birth date
    rng = rng_for(seed, STREAM_IDENTITY, f"{patient_id}/hospital-number")
    hospital_number = f"{int(rng.integers(10**7, 10**8))}"
    operator = _GIVEN[int(rng_for(seed, STREAM_KEYWORDS, sample_id).integers(len(_GIVEN)))]
    return {
        "$SMNO": f"{hospital_number}-{sample_id[-4:]}",
        "$OP": f"{operator} (operator)",
        "$PROJ": f"ATRA-DARA {name}",
        "$INST": "Fake General Hospital, Haematology",
        "$COM": f"{name} hospital number {hospital_number}",
        "PATIENT ID": hospital_number,
    }


def _serial_number(seed: int) -> str:
    """One instrument per simulated trial."""
    return f"SIM{int(rng_for(seed, STREAM_KEYWORDS, 'cytsn').integers(10**6)):06d}"


def _acquisition_clock(sample_id: str, seed: int, duration_s: float) -> tuple[str, str]:
    """$BTIM and $ETIM (hh:mm:ss) from the seed, never from the wall clock."""
    rng = rng_for(seed, STREAM_KEYWORDS, sample_id)
    begin = datetime(2000, 1, 1, 8, 30) + timedelta(seconds=int(rng.integers(0, 8 * 3600)))
    end = begin + timedelta(seconds=int(np.ceil(duration_s)))
    return begin.strftime("%H:%M:%S"), end.strftime("%H:%M:%S")


def spillover_text(channels: Sequence[str], matrix: np.ndarray) -> str:
    """FCS 3.1 $SPILLOVER: 'n,ch1,...,chn,v11,v12,...' row-major, row = source fluorochrome."""
    values = ",".join(repr(float(v)) for v in np.asarray(matrix, dtype=float).ravel())
    return f"{len(channels)},{','.join(channels)},{values}"


def build_keywords(
    *,
    sample_id: str,
    patient_id: str,
    acquisition_date: str,
    seed: int,
    duration_s: float,
    channels: Sequence[str],
    markers: Mapping[str, str],
    spill_channels: Sequence[str],
    spillover: np.ndarray,
    timestep: float,
) -> dict[str, str]:
    """TEXT keywords of one file (excluding the layout ones flowio computes)."""
    btim, etim = _acquisition_clock(sample_id, seed, duration_s)
    keywords = {
        "$DATE": _fcs_date(acquisition_date),
        "$BTIM": btim,
        "$ETIM": etim,
        "$CYT": CYTOMETER,
        "$CYTSN": _serial_number(seed),
        "$SRC": _fake_source(patient_id, seed),
        "$FIL": f"{sample_id}.fcs",
        "$TIMESTEP": repr(float(timestep)),
        "$SPILLOVER": spillover_text(spill_channels, spillover),
        **_fake_identifying_keywords(patient_id, sample_id, seed),
    }
    for number, channel in enumerate(channels, start=1):
        keywords[f"$P{number}N"] = channel
        if channel in markers:
            keywords[f"$P{number}S"] = markers[channel]
        keywords[f"$P{number}B"] = "32"
        keywords[f"$P{number}E"] = "0,0"
        keywords[f"$P{number}G"] = "1.0"
        keywords[f"$P{number}R"] = PN_RANGE
    return keywords


def write_fcs(path: Path, events: np.ndarray, keywords: Mapping[str, str]) -> None:
    """Write float32 list-mode `events` (n, p) with `keywords` as FCS 3.1, atomically."""
    par = events.shape[1]
    names = [keywords[f"$P{i}N"] for i in range(1, par + 1)]
    markers = [keywords.get(f"$P{i}S") for i in range(1, par + 1)]
    # Channel keywords go through create_fcs's own arguments; the rest as metadata.
    # $PnR and $PnG are read from the metadata; $PnB/$PnE are fixed to 32 / 0,0 for floats.
    metadata = {
        key: value
        for key, value in keywords.items()
        if not (key[:2] == "$P" and key[-1] in "NSBE" and key[2:-1].isdigit())
    }
    data = array("f")
    data.frombytes(np.ascontiguousarray(events, dtype="<f4").tobytes())
    if sys.byteorder != "little":  # create_fcs declares $BYTEORD 1,2,3,4 and writes native
        data.byteswap()
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        flowio.create_fcs(handle, data, names, opt_channel_names=markers, metadata_dict=metadata)

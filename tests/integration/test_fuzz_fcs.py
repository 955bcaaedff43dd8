"""Fuzzing the FCS reader with hypothesis: mutated real files never crash, hang or blow up.

Seeds are real corpus files (one per quirk the reader handles: 10/16/24/32-bit and mixed
integers, floats, two data sets, blank HEADER offsets, disagreeing offsets, a header-only
file) plus one file written by the demo simulator, so the test also runs where ../shared
is absent. Each example applies a few mutations (byte overwrites biased to HEADER and
TEXT, keyword values replaced by hostile numbers, truncation, inserted or deleted bytes)
and then calls every public entry point. Allowed outcomes: a result whose shape agrees
with the file, or FcsError. Anything else (IndexError, MemoryError, OverflowError ...)
is a bug. Each example has a deadline (no hang) and a traced-memory limit (a file that
claims 10^12 events is refused before allocating).

Longer run (documented in the README):
    CYTOTRIAL_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/unit/fcs/test_fuzz_fcs.py -q
"""

from __future__ import annotations

import contextlib
import os
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from helpers.fcs_edit import replace_keyword
from helpers.paths import SHARED
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cytotrial.fcs import FcsError, count_data_sets, read_fcs, read_fcs_text

EXAMPLES = int(os.environ.get("CYTOTRIAL_FUZZ_EXAMPLES", "500"))
CORPUS = SHARED / "data" / "fcs-corpus"
SEED_FILES = (
    "whitews_FlowKit/simple_line_example/data_set_simple_line_100.fcs",  # float 3.1
    "pypi_fcsparser/FlowCytometers/cytek-nl-2000/sample_header.fcs",  # HEADER + TEXT only
    "whitews_FlowIO/fcs_files/variable_int_example.fcs",  # 16 + 32-bit integers
    "whitews_FlowIO/fcs_files/data_start_offset_discrepancy_example.fcs",
    "whitews_FlowKit/index_sorted/index_sorted_example.fcs",
    "bpteague_cytoflow/examples-basic/Yeast_B4_B04.fcs",
    "pypi_fcsparser/FlowCytometers/cyflow_cube_8/cyflow_cube_8.fcs",
    "RGLab_flowCore/extdata/compdata/data/060909.003",  # CellQuest FCS 2.0
    "bpteague_cytoflow/instruments/System II listmode with extra info in bits D10-D15.LMD",
    "whitews_FlowIO/fcs_files/coulter.lmd",  # two data sets
    "taborlab_FlowCal/test/Data003.fcs",  # 24-bit integers
    "pypi_fcsparser/FlowCytometers/fake_large_fcs/fake_large_fcs.fcs",  # blank HEADER DATA
)
HOSTILE_VALUES = (
    "0",
    "1",
    "-1",
    "",
    " ",
    "abc",
    "1e12",
    "1000000000000",
    "99999999999999999999",
    "4294967296",
    "2147483647",
    "7",
    "24",
    "64",
    "65",
    "3,3,3,3",
    "4,3,2,1",
    "1,2",
    "D",
    "A",
    "C",
    "*",
    "0,0",
    "4,0",
    "nan",
)
KEYWORDS = (
    "$TOT",
    "$PAR",
    "$P1B",
    "$P2B",
    "$P1R",
    "$P1E",
    "$P1N",
    "$BEGINDATA",
    "$ENDDATA",
    "$NEXTDATA",
    "$DATATYPE",
    "$BYTEORD",
    "$MODE",
    "$BEGINSTEXT",
    "$ENDSTEXT",
    "$SPILLOVER",
    "$TIMESTEP",
)
MEMORY_SLACK = 64 << 20  # interpreter noise, keyword dicts, small arrays
DEADLINE_MS = 5000


@dataclass(frozen=True)
class Seed:
    name: str
    content: bytes

    @property
    def text_end(self) -> int:
        """End of HEADER + TEXT as the HEADER says (where mutations matter most)."""
        field = self.content[26:34].strip()
        return min(int(field) if field.isdigit() else 256, len(self.content))


def simulated_seed(directory: Path) -> Seed:
    from cytotrial.simulate.flow.fcs import write_fcs

    rng = np.random.default_rng(7)
    events = rng.uniform(0, 1000, size=(50, 4)).astype(np.float32)
    keywords = {"$TOT": "50", "$PAR": "4", "$SRC": "Jane Doe"}
    for n in range(1, 5):
        keywords.update({f"$P{n}N": f"C{n}", f"$P{n}B": "32", f"$P{n}R": "1024"})
        keywords[f"$P{n}E"] = "0,0"
    path = directory / "simulated.fcs"
    write_fcs(path, events, keywords)
    return Seed("simulated.fcs", path.read_bytes())


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> list[Seed]:
    found = [simulated_seed(tmp_path_factory.mktemp("seed"))]
    for relpath in SEED_FILES:
        path = CORPUS / relpath
        if path.exists():
            found.append(Seed(relpath, path.read_bytes()))
    return found


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "mutated.fcs"


# ---------------------------------------------------------------- mutations


def overwrite(content: bytes, position: int, value: bytes) -> bytes:
    position %= max(len(content), 1)
    return content[:position] + value + content[position + len(value) :]


@st.composite
def mutated(draw, seeds: list[Seed]) -> tuple[str, bytes]:
    seed = draw(st.sampled_from(seeds))
    content = seed.content
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["byte", "keyword", "keyword", "truncate", "insert", "cut"]))
        if kind == "byte":  # mostly in HEADER/TEXT: DATA bytes are just other numbers
            limit = seed.text_end if draw(st.integers(0, 4)) else len(content)
            position = draw(st.integers(0, max(limit - 1, 0)))
            content = overwrite(content, position, draw(st.binary(min_size=1, max_size=8)))
        elif kind == "keyword":
            key = draw(st.sampled_from(KEYWORDS))
            value = draw(st.sampled_from(HOSTILE_VALUES) | st.integers(-5, 10**15).map(str))
            content = replace_keyword(content, key, value)
        elif kind == "truncate":
            content = content[: draw(st.integers(0, len(content)))]
        elif kind == "insert":
            position = draw(st.integers(0, len(content)))
            junk = draw(st.binary(min_size=1, max_size=16))
            content = content[:position] + junk + content[position:]
        else:
            position = draw(st.integers(0, len(content)))
            content = content[:position] + content[position + draw(st.integers(1, 64)) :]
    return seed.name, content


# ---------------------------------------------------------------- the property


def read_everything(path: Path) -> None:
    """Every public entry point on every data set; results must agree with the file."""
    with contextlib.suppress(FcsError):
        read_fcs_text(path)
    try:
        n_sets = count_data_sets(path)
    except FcsError:
        return
    assert 1 <= n_sets <= 1000
    for index in range(n_sets):
        for scale in (True, False):
            try:
                data = read_fcs(path, index, scale=scale)
            except FcsError as error:
                assert str(error).startswith(str(path)), str(error)
                continue
            n_events, n_channels = data.events.shape
            assert n_channels == len(data.channels) == len(data.markers)
            assert len(set(data.channels)) == n_channels
            # every decoded value came out of the file: events x channels is bounded by it
            assert n_events * n_channels <= 8 * path.stat().st_size + 1


@pytest.mark.parametrize("run", ["mutations"])
def test_mutated_files_never_crash_hang_or_overallocate(seeds, target, run):
    @settings(
        max_examples=EXAMPLES,
        deadline=DEADLINE_MS,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        derandomize=EXAMPLES <= 1000,  # the default run is reproducible; long runs explore
        database=None,
    )
    @given(case=mutated(seeds))
    def check(case: tuple[str, bytes]) -> None:
        _name, content = case
        target.write_bytes(content)
        tracemalloc.start()
        try:
            read_everything(target)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        # float32/float64 output plus one integer copy: a few times the file, never more
        assert peak <= 24 * len(content) + MEMORY_SLACK, f"peak {peak} bytes"

    check()


def test_a_claim_of_10_to_12_events_is_refused_before_allocation(seeds, target):
    seed = seeds[0]
    content = replace_keyword(seed.content, "$TOT", "1000000000000")
    target.write_bytes(content)
    tracemalloc.start()
    try:
        with pytest.raises(FcsError, match=r"\$TOT 1000000000000 x 16 bytes per event"):
            read_fcs(target)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20  # under 1 MB: nothing sized by $TOT was allocated


@pytest.mark.parametrize("prefix", [b"", b"FCS3.1    ", b"FCS2.0          58     300"])
def test_arbitrary_bytes_never_crash(target, prefix):
    """No seed at all: random bytes after a plausible start of a HEADER."""

    @settings(
        max_examples=max(EXAMPLES // 5, 50),
        deadline=DEADLINE_MS,
        derandomize=EXAMPLES <= 1000,
        database=None,
    )
    @given(tail=st.binary(max_size=2000))
    def check(tail: bytes) -> None:
        target.write_bytes(prefix + tail)
        read_everything(target)

    check()

"""cytotrial.fcs on the real FCS/LMD corpus in ../shared/data/fcs-corpus.

Skipped when ../shared is not beside this clone. Every data file of MANIFEST.tsv is read
(every data set) or fails with the expected FcsError; values equal flowio 1.4.0's where
flowio reads the file with agreeing offsets; the special cases of the corpus README each
have an explicit test.
"""

from __future__ import annotations

import csv
import functools
import re
import warnings
from pathlib import Path

import flowio
import numpy as np
import pytest
from flowio.exceptions import FCSParsingError, MultipleDataSetsError
from helpers.paths import SHARED, shared_path

from cytotrial.fcs import FcsError, count_data_sets, parse_spillover, read_fcs, read_fcs_text

CORPUS = SHARED / "data" / "fcs-corpus"
NOT_DATA = {".wsp", ".xml", ".csv", ".txt", ".tsv"}
IDENTIFYING = ("$SRC", "$FIL", "$SMNO", "$PROJ")

FCSPARSER = "pypi_fcsparser/FlowCytometers"
INSTRUMENTS = "bpteague_cytoflow/instruments"
FLOWIO_FILES = "whitews_FlowIO/fcs_files"
EXPECTED_ERRORS = {
    f"{FCSPARSER}/corrupted/corrupted.fcs": "not an FCS file: it starts with b'oi21j08cn",
    f"{FCSPARSER}/cytek-nl-2000/sample_header.fcs": (
        "DATA segment (bytes 5912..2165911, HEADER) points past the end of the file "
        "(file has 3931 bytes) — the file holds only HEADER and TEXT"
    ),
}
# HEADER and TEXT disagree on the DATA start: strict flowio refuses them (tests below).
OFFSET_DISCREPANCY = {
    f"{INSTRUMENTS}/Accuri - C6.fcs",
    f"{INSTRUMENTS}/Beckman Coulter - Cyan.fcs",
    f"{FLOWIO_FILES}/data_start_offset_discrepancy_example.fcs",
    f"{FLOWIO_FILES}/data_stop_offset_discrepancy_example.fcs",
}
GUAVA = f"{FCSPARSER}/GuavaMuse/Guava Muse.fcs"


def manifest_rows() -> list[dict[str, str]]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    with open(manifest, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def is_data_file(row: dict[str, str]) -> bool:
    """.fcs/.lmd in any case, or another name (0877408774.B08, 060909.001) the manifest
    does not call 'not FCS' (it does for compdata/compmatrix and the like)."""
    suffix = Path(row["path"]).suffix.lower()
    if suffix in (".fcs", ".lmd"):
        return True
    return suffix not in NOT_DATA and not row["flowio_result"].startswith("n/a (not FCS")


ROWS = [row for row in manifest_rows() if is_data_file(row)]
ABSENT = [pytest.param(None, marks=pytest.mark.skip(reason=f"{CORPUS} not found"))]
DATA_FILES = [row["path"] for row in ROWS] or ABSENT
# flowio decodes these (PARTIAL = as_array failed; only multi-data-set files keep one that works)
FLOWIO_COMPARABLE = [
    row["path"]
    for row in ROWS
    if row["flowio_result"].startswith(("OK", "PARTIAL: FlowData() raised MultipleDataSets"))
    and row["path"] not in OFFSET_DISCREPANCY
] or ABSENT


@pytest.fixture(scope="module")
def corpus() -> Path:
    return shared_path("data", "fcs-corpus")


def test_manifest_lists_106_data_files(corpus):
    assert len(ROWS) == 106
    assert {Path(p).suffix for p in DATA_FILES} >= {".fcs", ".FCS", ".LMD", ".lmd", ".B08", ".001"}


@pytest.mark.parametrize("relpath", DATA_FILES)
def test_every_data_set_reads_or_fails_as_expected(corpus, relpath):
    path = corpus / relpath
    if relpath in EXPECTED_ERRORS:
        with pytest.raises(FcsError) as error:
            read_fcs(path)
        assert str(error.value).startswith(f"{path}: ")
        assert EXPECTED_ERRORS[relpath] in str(error.value)
        return
    for index in range(count_data_sets(path)):
        data = read_fcs(path, index)
        n_events, n_channels = int(data.keywords["$TOT"]), int(data.keywords["$PAR"])
        assert data.events.shape == (n_events, n_channels)
        assert data.events.dtype == np.float32 and data.events.flags["C_CONTIGUOUS"]
        assert len(set(data.channels)) == n_channels == len(data.markers)
        _assert_private(data.keywords, data.notes)


def _assert_private(keywords: dict[str, str], notes: tuple[str, ...]) -> None:
    for key in IDENTIFYING:
        value = keywords.get(key, "").strip()
        if len(value) >= 4:
            assert not any(value in note for note in notes), f"a note quotes {key}"


@functools.cache
def flowio_data_sets(path: Path) -> list[flowio.FlowData]:
    """Strict flowio; only the off-by-one DATA end is tolerated (offsets still agree)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return _flowio_read(path, ignore_offset_error=False)
        except FCSParsingError as error:
            assert "off by 1" in str(error)
            return _flowio_read(path, ignore_offset_error=True)


def _flowio_read(path: Path, ignore_offset_error: bool) -> list[flowio.FlowData]:
    try:
        return [flowio.FlowData(str(path), ignore_offset_error=ignore_offset_error)]
    except MultipleDataSetsError:
        return flowio.read_multiple_data_sets(str(path), ignore_offset_error=ignore_offset_error)


def flowio_events(data_set: flowio.FlowData, preprocess: bool) -> np.ndarray | None:
    try:
        return data_set.as_array(preprocess=preprocess).astype(np.float32)
    except ValueError:  # 10-/24-bit integers: flowio cannot decode them
        return None


@pytest.mark.parametrize("relpath", FLOWIO_COMPARABLE)
def test_values_equal_flowio(corpus, relpath):
    path = corpus / relpath
    compared = 0
    for index, reference in enumerate(flowio_data_sets(path)):
        raw = flowio_events(reference, preprocess=False)
        if raw is None:
            continue
        np.testing.assert_array_equal(read_fcs(path, index, scale=False).events, raw)
        compared += 1
        scaled = read_fcs(path, index).events
        if relpath.endswith("variable_int_example.fcs"):
            continue  # flowio's preprocessing raises on $TIMESTEP 'xxxxxxxxx'
        expected = flowio_events(reference, preprocess=True)
        if relpath == GUAVA:  # flowio log-decodes (and divides) columns holding decades
            hlog = [j for j, name in enumerate(reference.pnn_labels) if name.endswith("HLog")]
            expected[:, hlog] = raw[:, hlog]
        np.testing.assert_array_equal(scaled, expected)
    assert compared


# ---------------------------------------------------------------- README special cases


def flowio_with(path: Path, **flags: bool) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = flowio.FlowData(str(path), **flags)
    return reference.as_array(preprocess=False).astype(np.float32)


def test_accuri_c6_uses_the_header_offset(corpus):
    path = corpus / INSTRUMENTS / "Accuri - C6.fcs"
    data = read_fcs(path, scale=False)
    expected = flowio_with(path, use_header_offsets=True, ignore_offset_error=True)
    np.testing.assert_array_equal(data.events, expected)
    assert (
        "HEADER and $BEGINDATA/$ENDDATA disagree (2960..3399976 vs 2526..3399542); used 2960, "
        "the only offset consistent with $TOT, $PAR, $PnB and the file size"
    ) in data.notes[1]
    assert "DATA end offset 3399976 is one byte past the data" in data.notes[2]


def test_cyan_event_count_reads_2_3_4(corpus):
    path = corpus / INSTRUMENTS / "Beckman Coulter - Cyan.fcs"
    data = read_fcs(path)
    count = data.events[:, data.channels.index("Event Count")]
    np.testing.assert_array_equal(count, np.arange(2, len(count) + 2))
    assert (
        "HEADER and $BEGINDATA/$ENDDATA disagree (2284..141219 vs 2330..141265); both fit $TOT "
        "and the file size; used HEADER (2284)"
    ) in data.notes
    np.testing.assert_array_equal(
        read_fcs(path, scale=False).events, flowio_with(path, use_header_offsets=True)
    )


@pytest.mark.parametrize("which", ["start", "stop"])
def test_offset_discrepancy_examples_decode_at_the_text_offset(corpus, which):
    path = corpus / FLOWIO_FILES / f"data_{which}_offset_discrepancy_example.fcs"
    data = read_fcs(path, scale=False)
    np.testing.assert_array_equal(data.events, flowio_with(path, ignore_offset_discrepancy=True))
    same_data = read_fcs(corpus / FLOWIO_FILES / "variable_int_example.fcs", scale=False)
    np.testing.assert_array_equal(data.events, same_data.events)
    assert data.notes[0].startswith("$BEGINDATA/$ENDDATA and HEADER disagree (6081..6188 vs ")


def test_variable_width_integers(corpus):
    data = read_fcs(corpus / FLOWIO_FILES / "variable_int_example.fcs", scale=False)
    widths = [int(data.keywords[f"$P{n}B"]) for n in range(1, 27)]
    assert set(widths) == {16, 32} and data.events.shape == (2, 26)
    assert data.events[0, 25] == 8265081 and data.events[1, 25] == 15691602  # 32-bit Time


def independent_24_bit_decode(path: Path, data_start: int, n_events: int, n_channels: int):
    """Plain Python, event by event: the reference for the vectorised decoder."""
    raw = path.read_bytes()[data_start : data_start + 3 * n_channels * n_events]
    values = [int.from_bytes(raw[i : i + 3], "big") for i in range(0, len(raw), 3)]
    return np.array(values, dtype=np.int64).reshape(n_events, n_channels)


@pytest.mark.parametrize(
    "relpath", [f"{FCSPARSER}/Cytek_xP5/Cytek_xP5.fcs", "taborlab_FlowCal/test/Data003.fcs"]
)
def test_24_bit_files(corpus, relpath):
    path = corpus / relpath
    data = read_fcs(path, scale=False)
    assert data.keywords["$BYTEORD"] == "4,3,2,1"
    ranges = np.array([int(data.keywords[f"$P{n}R"]) for n in range(1, 9)])
    reference = independent_24_bit_decode(path, int(data.keywords["$BEGINDATA"]), 200, 8)
    masks = [(1 << (int(r) - 1).bit_length()) - 1 for r in ranges]
    np.testing.assert_array_equal(data.events[:200], reference & masks)
    assert (data.events >= 0).all() and (data.events < ranges).all()


def test_data003_acquisition_time_matches_flowcal(corpus):
    data = read_fcs(corpus / "taborlab_FlowCal/test/Data003.fcs")  # $TIMESTEP 0.1
    time = data.events[:, data.channels.index("TIME")]
    assert float(time[-1]) - float(time[0]) == pytest.approx(134.8)  # FlowCal's test value


def test_masked_lmd_values(corpus):
    cleaned = read_fcs(corpus / FCSPARSER / "fake_bitmask_error/fcs1_cleaned.lmd", scale=False)
    np.testing.assert_array_equal(cleaned.events[:4], np.full((4, 7), 528))  # fcsparser's test
    path = corpus / INSTRUMENTS / "System II listmode with extra info in bits D10-D15.LMD"
    data = read_fcs(path, scale=False)
    stored = np.fromfile(path, dtype="<u2", count=data.events.size, offset=2048)
    assert (stored > 1023).all()  # every value carries extra bits D10-D15
    np.testing.assert_array_equal(data.events, (stored & 1023).reshape(data.events.shape))
    assert data.notes[0].startswith("cleared bits above the $PnR range in channel(s) FS ($P1R)")


def test_guava_muse_has_four_data_sets(corpus):
    path = corpus / GUAVA
    assert count_data_sets(path) == 4
    sizes = [read_fcs(path, k).events.shape for k in range(4)]
    assert sizes == [(108, 10), (50081, 10), (111496, 10), (50037, 10)]
    first = read_fcs(path)
    assert first.notes[0] == "file holds 4 data sets; read data set 0"
    assert any("$PnE is not 0,0 on floating-point channel(s) FSC-HLog" in n for n in first.notes)
    assert first.events[:, first.channels.index("RED-HLog")].max() <= 4.0  # decades, kept


@pytest.mark.parametrize(
    ("relpath", "channel_counts"),
    [
        (f"{INSTRUMENTS}/Beckman Coulter - Cytomics FC500.LMD", [4, 8]),
        (f"{INSTRUMENTS}/Beckman Coulter - Gallios.LMD", [6, 5]),
        (f"{FLOWIO_FILES}/coulter.lmd", [8, 8]),
    ],
)
def test_coulter_lmd_files_hold_two_data_sets(corpus, relpath, channel_counts):
    path = corpus / relpath
    assert count_data_sets(path) == 2
    data = [read_fcs(path, k, scale=False) for k in range(2)]
    assert [d.events.shape[1] for d in data] == channel_counts
    assert [d.version for d in data] == ["2.0", "3.0"]
    assert len(data[0].events) == len(data[1].events)


def test_fc500_10_bit_data_set_matches_its_20_bit_copy(corpus):
    path = corpus / INSTRUMENTS / "Beckman Coulter - Cytomics FC500.LMD"
    ten_bit, wide = (read_fcs(path, k, scale=False).events for k in range(2))
    assert read_fcs(path).keywords["$P1B"] == "10" and ten_bit.max() <= 1023
    np.testing.assert_array_equal(np.floor(wide[:, :2] / 1024), ten_bit[:, :2])  # FS, SS


def test_fake_large_fcs_uses_begindata(corpus):
    data = read_fcs(corpus / FCSPARSER / "fake_large_fcs/fake_large_fcs.fcs")
    assert data.notes == (
        "HEADER DATA offsets are 0 or blank (as in files over 99,999,999 bytes); "
        "used $BEGINDATA/$ENDDATA (2462..512201)",
    )
    same = read_fcs(corpus / FCSPARSER / "Fortessa/FCS_3.0_Fortessa_PBS_Specimen_001_A1_A01.fcs")
    np.testing.assert_array_equal(data.events, same.events)


def test_header_only_file_text_is_readable(corpus):
    version, keywords = read_fcs_text(corpus / FCSPARSER / "cytek-nl-2000/sample_header.fcs")
    assert version == "3.1"
    assert len(keywords) == 199  # fcsparser counts 200 with its '__header__' entry
    assert keywords["$P9B"] == "32" and keywords["$PAR"] == "27"


def test_supplemental_text_is_merged(corpus):
    name = "EY_2013-07-19_PBS_FCS_3.1_Well_A1.001.fcs"
    data = read_fcs(corpus / FCSPARSER / "MiltenyiBiotec/FCS3.1" / name)
    assert "read 99 keyword(s) from the supplemental TEXT (bytes 2722..127220)" in data.notes
    assert "@MB_P1_BASE" in data.keywords


MACSQUANT_31 = f"{FCSPARSER}/MiltenyiBiotec/FCS3.1"
SPILLOVER_NAMES_ONLY = {  # $SPILLOVER lists 6 names and no values
    f"{MACSQUANT_31}/EY_2013-07-19_PBS_FCS_3.1_{kind}Well_A1.001.fcs"
    for kind in ("", "Custom_Add_", "Custom_Without_Add_")
}


def test_spillover_matrices_of_the_corpus(corpus):
    parsed = 0
    for relpath in DATA_FILES:
        if relpath in EXPECTED_ERRORS:
            continue
        _, keywords = read_fcs_text(corpus / relpath)
        if relpath in SPILLOVER_NAMES_ONLY:
            with pytest.raises(FcsError, match="declares 6 channels, so it needs 6 names and 36"):
                parse_spillover(keywords, source=relpath)
            continue
        found = parse_spillover(keywords, source=relpath)
        if found is None:
            continue
        names, matrix = found
        channels = {keywords[f"$P{n}N"] for n in range(1, int(keywords["$PAR"]) + 1)}
        anonymised = {name for name in names if set(name) == {"x"}}  # FlowIO's examples
        assert set(names) - anonymised <= channels, relpath
        np.testing.assert_allclose(np.diag(matrix), 1.0, atol=1e-6)
        parsed += 1
    assert parsed >= 40


def test_accuri_spillover_names_are_parameter_numbers(corpus):
    _, keywords = read_fcs_text(corpus / INSTRUMENTS / "Accuri - C6.fcs")
    assert keywords["$SPILLOVER"].startswith("8,3,4,5,6,9,10,11,12,")
    names, _ = parse_spillover(keywords)
    assert names == tuple(keywords[f"$P{n}N"] for n in (3, 4, 5, 6, 9, 10, 11, 12))


# ---------------------------------------------------------------- independent references
#
# What "decoded correctly" means, per file:
# * every data file: each data set's shape equals what flowio 1.4.0 and fcsparser 0.2.8
#   report in MANIFEST.tsv (where they read it), the number of data sets equals flowio's,
#   and $TOT x bytes per event (from $DATATYPE/$PnB, computed here) fits in the file;
# * files both readers decode with agreeing offsets: values equal flowio's
#   (test_values_equal_flowio), raw and scaled;
# * the README's special files: the tests above (CyAn 'Event Count' 2, 3, 4 ...,
#   fcs1_cleaned.lmd 528, 24-bit values decoded event by event in plain Python, 10-bit
#   FC500 values equal to its 20-bit copy / 1024, Guava Muse's 4 data set sizes,
#   fake_large_fcs equal to the Fortessa file it was made from, expected errors);
# * files re-written by flowCore after compensation and transformation (FlowSOM ff.fcs,
#   PeacoQC 111_Comp_Trans.fcs): their untransformed channels equal the original's.

ROW_BY_PATH = {row["path"]: row for row in ROWS}


def flowio_shapes(result: str) -> list[tuple[int, int]]:
    """(events, channels) per data set as MANIFEST's flowio column lists them."""
    return [(int(n), int(p)) for n, p in re.findall(r"events=(\d+) channels=(\d+)", result)]


def fcsparser_shape(result: str) -> tuple[int, int] | None:
    """Shape of data set 0 as fcsparser read it (it reads only the first)."""
    match = re.match(r"OK shape=\((\d+), (\d+)\)", result)
    return (int(match[1]), int(match[2])) if match else None


def event_bytes(keywords: dict[str, str]) -> int:
    n_channels = int(keywords["$PAR"])
    datatype = keywords["$DATATYPE"].strip().upper()
    if datatype in ("F", "D"):
        return (4 if datatype == "F" else 8) * n_channels
    return sum((int(keywords[f"$P{n}B"]) + 7) // 8 for n in range(1, n_channels + 1))


@pytest.mark.parametrize("relpath", DATA_FILES)
def test_shapes_equal_flowio_and_fcsparser(corpus, relpath):
    path, row = corpus / relpath, ROW_BY_PATH.get(relpath, {})
    by_flowio = flowio_shapes(row["flowio_result"])
    by_fcsparser = fcsparser_shape(row["fcsparser_result"])
    if relpath in EXPECTED_ERRORS:
        assert not by_flowio and by_fcsparser is None  # neither reader decodes it either
        return
    assert by_flowio or by_fcsparser, "no independent reference for this file"
    assert count_data_sets(path) == max(len(by_flowio), 1)
    if by_fcsparser:
        assert read_fcs(path, scale=False).events.shape == by_fcsparser
    for index, shape in enumerate(by_flowio):
        data = read_fcs(path, index, scale=False)
        assert data.events.shape == shape
        assert len(data.events) * event_bytes(data.keywords) < path.stat().st_size


def same_columns(first, second, channels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    pick = [first.channels.index(c) for c in channels], [second.channels.index(c) for c in channels]
    return first.events[:, pick[0]], second.events[:, pick[1]]


def test_flowsom_rewritten_file_keeps_time_and_scatter(corpus):
    original = read_fcs(corpus / "SofieVG_FlowSOM/extdata/68983.fcs")
    rewritten = read_fcs(corpus / "saeyslab_FlowSOM_Python/tests/data/ff.fcs")
    assert original.events.shape == rewritten.events.shape == (19225, 18)  # = gatingResult.csv
    untouched = ["Time", "FSC-A", "FSC-H", "FSC-W", "SSC-A", "SSC-H", "SSC-W"]
    mine, theirs = same_columns(original, rewritten, untouched)
    np.testing.assert_array_equal(mine, theirs)
    cd3 = original.channels.index("APC-A")  # compensated + logicle: now a few decades at most
    assert original.events[:, cd3].max() > 1000 > rewritten.events[:, cd3].max()


def test_peacoqc_cleaned_file_is_an_ordered_subset_of_the_original(corpus):
    original = read_fcs(corpus / "saeyslab_PeacoQC/extdata/111.fcs")
    cleaned = read_fcs(corpus / "saeyslab_PeacoQC/extdata/111_Comp_Trans.fcs")
    assert original.events.shape == (10000, 22) and cleaned.events.shape == (9617, 22)
    mine, theirs = same_columns(original, cleaned, ["FSC-A", "FSC-H", "Time"])
    position = 0  # every cleaned event is a later original event, in file order
    for event in theirs:
        while position < len(mine) and not np.array_equal(mine[position], event):
            position += 1
        assert position < len(mine), "a cleaned event is not in the original file"
        position += 1

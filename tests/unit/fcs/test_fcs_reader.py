"""cytotrial.fcs on small files written here: exact values and exact error fragments.

Files flowio cannot write (big-endian, integers, two data sets, broken offsets ...) are
assembled byte by byte with `make_fcs`.
"""

from __future__ import annotations

import logging
from array import array
from pathlib import Path

import flowio
import numpy as np
import pytest

from cytotrial.errors import InputError
from cytotrial.fcs import (
    FcsError,
    channel_numbers,
    count_data_sets,
    parse_spillover,
    read_fcs,
    read_fcs_text,
)
from cytotrial.fcs.text import parse_text

TEXT_START = 64


# ---------------------------------------------------------------- file builders


def render_text(keywords: dict[str, str], delimiter: str = "/") -> bytes:
    body = "".join(
        f"{key}{delimiter}{value.replace(delimiter, delimiter * 2)}{delimiter}"
        for key, value in keywords.items()
    )
    return (delimiter + body).encode("utf-8")


def channel_keywords(
    names: list[str],
    tot: int,
    *,
    datatype: str = "F",
    byteord: str = "1,2,3,4",
    bits: list[int] | None = None,
    ranges: list[int] | None = None,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    bits = bits or [32 if datatype == "F" else 64 if datatype == "D" else 16] * len(names)
    ranges = ranges or [262144] * len(names)
    keywords = {
        "$BYTEORD": byteord,
        "$DATATYPE": datatype,
        "$MODE": "L",
        "$NEXTDATA": "0",
        "$PAR": str(len(names)),
        "$TOT": str(tot),
    }
    for n, (name, nbits, nrange) in enumerate(zip(names, bits, ranges, strict=True), 1):
        keywords.update({f"$P{n}N": name, f"$P{n}B": str(nbits), f"$P{n}R": str(nrange)})
        keywords[f"$P{n}E"] = "0,0"
    keywords.update(extra or {})
    return keywords


def make_fcs(
    keywords: dict[str, str],
    data: bytes,
    *,
    version: str = "FCS3.1",
    header_data: tuple[int, int] | str | None = "auto",
    text_data: tuple[int, int] | str | None = "auto",
    gap: int = 0,
    tail: bytes = b"",
    text_suffix: bytes = b"",
    delimiter: str = "/",
) -> bytes:
    """HEADER + TEXT (+ gap) + DATA + tail. 'auto' offsets are the true ones, None omits
    them ($BEGINDATA/$ENDDATA absent, HEADER DATA offsets blank)."""
    keywords = dict(keywords)
    if text_data is not None:
        keywords["$BEGINDATA"] = keywords["$ENDDATA"] = "0" * 12  # fixed width
    text = render_text(keywords, delimiter) + text_suffix
    begin = TEXT_START + len(text) + gap
    end = begin + len(data) - 1
    if text_data is not None:
        text_begin, text_end = (begin, end) if text_data == "auto" else text_data
        keywords["$BEGINDATA"], keywords["$ENDDATA"] = f"{text_begin:012d}", f"{text_end:012d}"
        text = render_text(keywords, delimiter) + text_suffix
    if header_data is None:
        data_fields = " " * 16
    else:
        head_begin, head_end = (begin, end) if header_data == "auto" else header_data
        data_fields = f"{head_begin:>8}{head_end:>8}"
    header = f"{version}    {TEXT_START:>8}{TEXT_START + len(text) - 1:>8}{data_fields}"
    header += f"{0:>8}{0:>8}"
    assert len(header) == 58
    return header.encode().ljust(TEXT_START) + text + b"\0" * gap + data + tail


def write(tmp_path: Path, content: bytes, name: str = "sample.fcs") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def float_file(tmp_path: Path, events: np.ndarray, **kwargs) -> Path:
    names = [f"C{j + 1}" for j in range(events.shape[1])]
    keywords = channel_keywords(names, len(events), **kwargs)
    little = keywords["$BYTEORD"].startswith("1")
    data = events.astype(("<" if little else ">") + "f4").tobytes()
    return write(tmp_path, make_fcs(keywords, data))


EVENTS = np.array([[1.5, -2.25, 3.0], [1e6, 0.0, -7.125], [42.0, 1e-3, 5.5]], dtype=np.float32)


# ---------------------------------------------------------------- float data


def test_flowio_written_file_round_trips_exactly(tmp_path):
    events = np.random.default_rng(1).normal(100, 50, (500, 4)).astype(np.float32)
    path = tmp_path / "flowio.fcs"
    with open(path, "wb") as handle:
        flowio.create_fcs(
            handle,
            array("f", events.ravel().tolist()),
            ["FSC-A", "SSC-A", "FL1-A", "Time"],
            opt_channel_names=["", "", "CD3", ""],
            metadata_dict={"TIMESTEP": "0.5"},
        )
    data = read_fcs(path, scale=False)
    assert data.version == "3.1"
    assert data.channels == ("FSC-A", "SSC-A", "FL1-A", "Time")
    assert data.markers == ("", "", "CD3", "")
    assert data.events.dtype == np.float32 and data.events.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(data.events, events)
    assert data.notes == ()
    assert data.keywords["$TOT"] == "500" and data.keywords["$P3S"] == "CD3"
    scaled = read_fcs(path)  # Time x $TIMESTEP, nothing else
    np.testing.assert_array_equal(scaled.events[:, :3], events[:, :3])
    np.testing.assert_array_equal(
        scaled.events[:, 3], (events[:, 3].astype(np.float64) * 0.5).astype(np.float32)
    )


def test_big_endian_float32(tmp_path):
    path = float_file(tmp_path, EVENTS, byteord="4,3,2,1")
    data = read_fcs(path)
    np.testing.assert_array_equal(data.events, EVENTS)
    assert data.events.dtype.isnative


def test_float64_keeps_double_precision(tmp_path):
    events = np.array([[0.1, 1 / 3], [2.0**60 + 1, -1e-300]])
    keywords = channel_keywords(["A", "B"], 2, datatype="D", byteord="8,7,6,5,4,3,2,1")
    path = write(tmp_path, make_fcs(keywords, events.astype(">f8").tobytes()))
    data = read_fcs(path)
    assert data.events.dtype == np.float64
    np.testing.assert_array_equal(data.events, events)


def test_nan_and_inf_are_kept_and_noted(tmp_path):
    events = EVENTS.copy()
    events[0, 1] = np.nan
    events[2, 1] = np.inf
    data = read_fcs(float_file(tmp_path, events))
    np.testing.assert_array_equal(data.events, events)
    assert "NaN or infinite values kept as stored in channel(s) C2 (2)" in data.notes
    assert data.all_finite is False  # the reader's pass, which the QC reuses


def test_reader_says_whether_all_values_are_finite_as_qc_would(tmp_path):
    from cytotrial.flow.prepare.qc import all_values_finite

    data = read_fcs(float_file(tmp_path, EVENTS.copy()))
    assert data.all_finite is True
    assert data.all_finite == all_values_finite(data.events)


def test_channel_selection_reorders_and_copies_cheaply(tmp_path):
    path = float_file(tmp_path, EVENTS)
    data = read_fcs(path, channels=["C3", "C1"])
    assert data.channels == ("C3", "C1")
    np.testing.assert_array_equal(data.events, EVENTS[:, [2, 0]])
    assert data.events.flags["C_CONTIGUOUS"]
    with pytest.raises(FcsError, match=r"sample\.fcs: channel\(s\) \['FSC'\] not in the file"):
        read_fcs(path, channels=["FSC"])


def test_float_pne_and_log_gain_are_not_applied(tmp_path):
    extra = {"$P1E": "4.0,1.0", "$P1G": "2.95", "$P2G": "2"}  # as in Guava Muse
    data = read_fcs(float_file(tmp_path, EVENTS, extra=extra))
    np.testing.assert_array_equal(data.events[:, 0], EVENTS[:, 0])
    np.testing.assert_array_equal(data.events[:, 1], EVENTS[:, 1] / np.float32(2))
    assert any("$PnE is not 0,0 on floating-point channel(s) C1" in n for n in data.notes)
    assert "$PnG ignored on log-amplified channel(s) C1" in data.notes


def test_float_width_comes_from_the_datatype(tmp_path):
    data = read_fcs(float_file(tmp_path, EVENTS, extra={"$P2B": "0"}))
    np.testing.assert_array_equal(data.events, EVENTS)
    assert "$DATATYPE F with $PnB [0] (expected 32); read 4-byte floats" in data.notes


# ---------------------------------------------------------------- integer data


def int_file(
    tmp_path: Path,
    data: bytes,
    n_events: int,
    bits: list[int],
    ranges: list[int],
    byteord: str = "1,2,3,4",
    extra: dict[str, str] | None = None,
) -> Path:
    names = [f"I{j + 1}" for j in range(len(bits))]
    keywords = channel_keywords(
        names, n_events, datatype="I", byteord=byteord, bits=bits, ranges=ranges, extra=extra
    )
    return write(tmp_path, make_fcs(keywords, data))


def test_16_bit_big_endian_masked_to_pnr(tmp_path):
    raw = np.array([[0xFC00 | 528, 1023], [0x0400 | 7, 65535]], dtype=">u2")
    path = int_file(tmp_path, raw.tobytes(), 2, [16, 16], [1024, 65536], "4,3,2,1")
    data = read_fcs(path, scale=False)
    np.testing.assert_array_equal(data.events, [[528, 1023], [7, 65535]])
    assert "cleared bits above the $PnR range in channel(s) I1 ($P1R)" in data.notes


def test_pnr_not_a_power_of_two_masks_to_next_power(tmp_path):
    raw = np.array([[1500], [1000 | 0x800]], dtype="<u2")
    data = read_fcs(int_file(tmp_path, raw.tobytes(), 2, [16], [1000]), scale=False)
    np.testing.assert_array_equal(data.events[:, 0], [1500 & 1023, 1000])


@pytest.mark.parametrize("byteord", ["1,2,3,4", "4,3,2,1"])
def test_24_bit_integers(tmp_path, byteord):
    values = [[0x123456, 1], [0xFFFFFF, 0x800000], [0, 0xABCDEF]]
    order = "little" if byteord.startswith("1") else "big"
    data = b"".join(v.to_bytes(3, order) for row in values for v in row)
    path = int_file(tmp_path, data, 3, [24, 24], [1 << 24, 1 << 24], byteord)
    np.testing.assert_array_equal(read_fcs(path, scale=False).events, values)


def test_10_bit_values_in_16_bit_words(tmp_path):
    raw = np.array([[0xFC00 | 1023, 5], [0x5400 | 300, 0x0400 | 2]], dtype="<u2")
    path = int_file(tmp_path, raw.tobytes(), 2, [10, 10], [1024, 1024], "1,2")
    data = read_fcs(path, scale=False)
    np.testing.assert_array_equal(data.events, [[1023, 5], [300, 2]])
    assert any("integer channels of [10] bits are stored" in n for n in data.notes)


def test_mixed_widths_8_16_32(tmp_path):
    rows = [(200, 60000, 4_000_000_000), (7, 1, 16_000_000)]
    data = b"".join(
        a.to_bytes(1, "little") + b.to_bytes(2, "little") + c.to_bytes(4, "little")
        for a, b, c in rows
    )
    path = int_file(tmp_path, data, 2, [8, 16, 32], [256, 65536, 1 << 32])
    events = read_fcs(path, scale=False).events
    np.testing.assert_array_equal(events, np.array(rows, dtype=np.float32))
    np.testing.assert_array_equal(
        read_fcs(path, channels=["I3", "I1"], scale=False).events, events[:, [2, 0]]
    )


def test_integers_above_2_to_24_are_noted(tmp_path):
    raw = np.array([[(1 << 24) + 1]], dtype="<u4")
    data = read_fcs(int_file(tmp_path, raw.tobytes(), 1, [32], [1 << 32]), scale=False)
    assert data.events[0, 0] == np.float32((1 << 24) + 1)
    assert any("hold integers above 2^24" in note for note in data.notes)


def test_scaling_log_gain_and_timestep(tmp_path):
    raw = np.array([[0, 512, 100, 40], [1023, 256, 50, 41]], dtype="<u2")
    extra = {
        "$P1E": "4,0",  # f2 = 0 means 1
        "$P2E": "4.0,0.1024",
        "$P3G": "4",
        "$P4N": "Time",
        "$P4G": "0.01",  # never applied to time
        "$TIMESTEP": "0.25",
    }
    path = int_file(tmp_path, raw.tobytes(), 2, [16] * 4, [1024] * 4, extra=extra)
    data = read_fcs(path)
    x = raw.astype(np.float64)
    expected = np.column_stack(
        [
            10 ** (4.0 * x[:, 0] / 1024.0) * 1.0,
            10 ** (4.0 * x[:, 1] / 1024.0) * 0.1024,
            x[:, 2] / 4.0,
            x[:, 3] * 0.25,
        ]
    ).astype(np.float32)
    np.testing.assert_array_equal(data.events, expected)
    np.testing.assert_array_equal(read_fcs(path, scale=False).events, raw)


def test_absurd_scaling_keywords_do_not_overflow_silently(tmp_path):
    """Fuzzing found these: $PnE beyond float range is ignored, a tiny gain gives inf."""
    raw = np.array([[3, 5]], dtype="<u2")
    extra = {"$P1E": "1000,1", "$P2G": "1e-300"}
    data = read_fcs(int_file(tmp_path, raw.tobytes(), 1, [16, 16], [1024, 1024], extra=extra))
    assert data.events[0, 0] == 3 and np.isposinf(data.events[0, 1])
    assert "unreadable $P1E; treated as linear, gain 1" in data.notes
    assert "NaN or infinite values kept as stored in channel(s) I2 (1)" in data.notes


def test_unreadable_timestep_is_noted_not_fatal(tmp_path):
    raw = np.array([[3]], dtype="<u2")
    extra = {"$P1N": "TIME", "$TIMESTEP": "xxxxxxxxx"}
    data = read_fcs(int_file(tmp_path, raw.tobytes(), 1, [16], [1024], extra=extra))
    assert data.events[0, 0] == 3
    assert "$TIMESTEP is not a positive number; left the time channel unscaled" in data.notes


# ---------------------------------------------------------------- ASCII data


def test_fixed_width_ascii(tmp_path):
    keywords = channel_keywords(["A", "B"], 2, datatype="A", bits=[4, 6], byteord="")
    path = write(tmp_path, make_fcs(keywords, b"  12 3.5e2-1.5     7"))
    np.testing.assert_array_equal(read_fcs(path).events, [[12, 350], [-1.5, 7]])


def test_free_format_ascii(tmp_path):
    keywords = channel_keywords(["A", "B"], 2, datatype="A", bits=[0, 0], byteord="")
    keywords.update({"$P1B": "*", "$P2B": "*"})
    path = write(tmp_path, make_fcs(keywords, b"1,2.5\n3 4\n"))
    np.testing.assert_array_equal(read_fcs(path).events, [[1, 2.5], [3, 4]])


# ---------------------------------------------------------------- data sets


def two_data_sets(tmp_path: Path, second_next: str = "0" * 10) -> Path:
    first = channel_keywords(["A", "B"], 2, extra={"$NEXTDATA": "0" * 10})
    data0 = np.array([[1, 2], [3, 4]], dtype="<f4").tobytes()
    length0 = len(make_fcs(first, data0))
    first["$NEXTDATA"] = f"{length0:010d}"
    second = channel_keywords(["A", "B", "C"], 1, extra={"$NEXTDATA": second_next})
    data1 = np.array([[5, 6, 7]], dtype="<f4").tobytes()
    return write(tmp_path, make_fcs(first, data0) + make_fcs(second, data1), "two.lmd")


def test_two_data_sets(tmp_path):
    path = two_data_sets(tmp_path)
    assert count_data_sets(path) == 2
    first = read_fcs(path)
    assert first.index == 0 and first.events.shape == (2, 2)
    assert first.notes[0] == "file holds 2 data sets; read data set 0"
    second = read_fcs(path, data_set=1)
    assert second.channels == ("A", "B", "C")
    np.testing.assert_array_equal(second.events, [[5, 6, 7]])
    assert read_fcs_text(path, 1)[1]["$PAR"] == "3"
    with pytest.raises(FcsError, match=r"two\.lmd: data set 2 does not exist; the file holds 2"):
        read_fcs(path, data_set=2)


def test_nextdata_loop_and_past_eof_end_the_chain(tmp_path):
    content = two_data_sets(tmp_path).read_bytes()
    second = content.index(b"FCS3.1", 1)
    # data set 1 points at itself: relative reading lands nowhere, absolute one is a loop
    content = content.replace(
        b"$NEXTDATA/0000000000/$PAR/3", f"$NEXTDATA/{second:010d}/$PAR/3".encode()
    )
    path = write(tmp_path, content, "loop.lmd")
    assert count_data_sets(path) == 2
    notes = read_fcs(path).notes
    assert any(f"$NEXTDATA of data set 1 ({second}) does not point" in n for n in notes)
    keywords = channel_keywords(["A"], 1, extra={"$NEXTDATA": "99999999"})
    past = write(tmp_path, make_fcs(keywords, b"\0\0\0\0"), "past.fcs")
    assert count_data_sets(past) == 1


def test_unreadable_second_data_set(tmp_path):
    keywords = channel_keywords(["A"], 1, extra={"$NEXTDATA": "0" * 10})
    first = make_fcs(keywords, b"\0\0\x80?")
    keywords["$NEXTDATA"] = f"{len(first):010d}"
    broken = b"FCS3.0    " + b"x" * 48
    path = write(tmp_path, make_fcs(keywords, b"\0\0\x80?") + broken, "broken.lmd")
    assert count_data_sets(path) == 2
    data = read_fcs(path)
    assert data.events[0, 0] == 1.0
    assert data.notes == (
        "file holds 2 data sets; read data set 0",
        f"data set 1 (at byte {len(first)}) has an unreadable HEADER or TEXT; "
        "reading it raises an error",
    )
    with pytest.raises(FcsError, match=r"broken\.lmd \(data set 1 at byte \d+\): HEADER TEXT"):
        read_fcs(path, data_set=1)


# ---------------------------------------------------------------- offsets


def test_blank_header_offsets_use_begindata(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    path = write(tmp_path, make_fcs(keywords, EVENTS.tobytes(), header_data=None))
    data = read_fcs(path)
    np.testing.assert_array_equal(data.events, EVENTS)
    assert any(n.startswith("HEADER DATA offsets are 0 or blank") for n in data.notes)


def test_header_start_inside_text_loses_to_begindata(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    content = make_fcs(keywords, EVENTS.tobytes(), header_data=(100, 135))
    data = read_fcs(write(tmp_path, content))
    np.testing.assert_array_equal(data.events, EVENTS)
    assert any(
        "the only offset consistent with $TOT, $PAR, $PnB and the file size "
        "(HEADER: it overlaps the HEADER or TEXT" in n
        for n in data.notes
    )


def test_begindata_inside_text_loses_to_header(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    content = make_fcs(keywords, EVENTS.tobytes(), text_data=(70, 70 + 35))
    data = read_fcs(write(tmp_path, content))
    np.testing.assert_array_equal(data.events, EVENTS)
    assert any("($BEGINDATA/$ENDDATA: it overlaps the HEADER or TEXT" in n for n in data.notes)


def test_both_consistent_and_disagreeing_prefers_header(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    data, other = EVENTS.tobytes(), (EVENTS * 2).tobytes()
    content = make_fcs(keywords, data, tail=other)  # the tail fits $TOT too
    begin = len(content) - 2 * len(data)
    content = make_fcs(
        keywords, data, tail=other, text_data=(begin + len(data), begin + 2 * len(data) - 1)
    )
    result = read_fcs(write(tmp_path, content))
    np.testing.assert_array_equal(result.events, EVENTS)
    assert any("both fit $TOT and the file size; used HEADER" in n for n in result.notes)


def test_end_offset_one_past_the_data_is_tolerated(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    probe = make_fcs(keywords, EVENTS.tobytes())
    begin = len(probe) - EVENTS.nbytes
    end = begin + EVENTS.nbytes  # one past
    content = make_fcs(
        keywords, EVENTS.tobytes(), header_data=(begin, end), text_data=(begin, end), tail=b"X"
    )
    data = read_fcs(write(tmp_path, content))
    np.testing.assert_array_equal(data.events, EVENTS)
    assert f"DATA end offset {end} is one byte past the data (36 bytes end at {end - 1})" in (
        data.notes
    )


def test_no_consistent_offset_names_everything_tried(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    content = make_fcs(
        keywords, EVENTS.tobytes(), header_data=(100, 199), text_data=(300, 350), tail=b"\0" * 64
    )
    with pytest.raises(FcsError) as error:
        read_fcs(write(tmp_path, content))
    message = str(error.value)
    assert "sample.fcs: cannot locate the DATA segment" in message
    assert "$TOT 3 x 12 bytes per event ($PAR 3, $PnB 32) = 36 bytes" in message
    assert "tried HEADER 100..199 (length 100), $BEGINDATA/$ENDDATA 300..350 (length 51)" in message
    assert f"({len(content)} bytes)" in message


def test_truncated_file_says_how_many_bytes_are_missing(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    content = make_fcs(keywords, EVENTS.tobytes())[:-10]
    with pytest.raises(FcsError, match=r"sample\.fcs: file is truncated: .* 10 bytes are missing"):
        read_fcs(write(tmp_path, content))


def test_header_only_file(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 100, extra={"$CYT": "Aurora"})
    full = make_fcs(keywords, b"\0" * 1200, delimiter="\x0c")
    text_end = int(full[18:26])
    content = full[: text_end - 3]  # HEADER and TEXT only, TEXT cut before its final delimiter
    path = write(tmp_path, content, "header_only.fcs")
    with pytest.raises(FcsError) as error:
        read_fcs(path)
    assert str(error.value).startswith(f"{path}: DATA segment (bytes ")
    assert (
        f"points past the end of the file (file has {len(content)} bytes) — the file holds "
        "only HEADER and TEXT"
    ) in str(error.value)
    version, text = read_fcs_text(path)
    assert version == "3.1" and text["$CYT"] == "Aurora" and text["$PAR"] == "3"


def test_huge_tot_the_file_cannot_hold(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 10**12)
    with pytest.raises(FcsError, match=r"\$TOT 1000000000000 x 12 bytes per event .* but the"):
        read_fcs(write(tmp_path, make_fcs(keywords, EVENTS.tobytes())))


def test_zero_events_give_an_empty_matrix(tmp_path):
    keywords = channel_keywords(["A", "B"], 0)
    data = read_fcs(write(tmp_path, make_fcs(keywords, b"", header_data=None, text_data=None)))
    assert data.events.shape == (0, 2) and data.events.dtype == np.float32
    assert "$TOT is 0: the data set holds no events" in data.notes


def test_missing_tot_is_inferred_from_the_data_length(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    del keywords["$TOT"]
    data = read_fcs(write(tmp_path, make_fcs(keywords, EVENTS.tobytes(), version="FCS2.0")))
    np.testing.assert_array_equal(data.events, EVENTS)
    assert "$TOT is missing; inferred 3 events from the HEADER DATA length" in data.notes


def test_text_end_on_the_first_data_byte(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    content = bytearray(make_fcs(keywords, EVENTS.tobytes()))
    text_end = int(content[18:26])
    content[18:26] = f"{text_end + 1:>8}".encode()
    data = read_fcs(write(tmp_path, bytes(content)))
    np.testing.assert_array_equal(data.events, EVENTS)
    assert f"HEADER TEXT end {text_end + 1} is the DATA start; read TEXT up to {text_end}" in (
        data.notes
    )


# ---------------------------------------------------------------- broken files


def test_garbage_file(tmp_path):
    path = write(tmp_path, b"oi21j08cn\n", "corrupted.fcs")
    with pytest.raises(FcsError, match=r"corrupted\.fcs: not an FCS file: it starts with b'oi21"):
        read_fcs(path)


def test_empty_file(tmp_path):
    path = write(tmp_path, b"", "empty.fcs")
    with pytest.raises(FcsError, match=r"empty\.fcs: file is empty \(0 bytes\); expected an FCS"):
        count_data_sets(path)


def test_header_cut_off(tmp_path):
    with pytest.raises(FcsError, match=r"the FCS HEADER is cut off: 10 bytes, expected 58"):
        read_fcs_text(write(tmp_path, b"FCS3.1    "))


def test_missing_file_is_an_fcs_error(tmp_path):
    with pytest.raises(FcsError, match=r"nope\.fcs: cannot open the file"):
        read_fcs(tmp_path / "nope.fcs")


def test_fcs_error_is_an_input_error():
    assert issubclass(FcsError, InputError)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"$TOT": "abc"}, "keyword $TOT is 'abc', expected a whole number"),
        ({"$PAR": "x3"}, "keyword $PAR is 'x3', expected a whole number"),
        ({"$MODE": "C"}, "unsupported $MODE 'C'; only list mode (L) is supported"),
        ({"$DATATYPE": "X"}, "unsupported $DATATYPE 'X'; expected I (integer), F (float32)"),
        ({"$BYTEORD": "3,4,1,2"}, "unsupported $BYTEORD '3,4,1,2'; expected little-endian"),
        ({"$P2B": "?"}, "keyword $P2B is '?'; expected the number of bits of channel 2"),
        ({"$P2B": "128"}, "keyword $P2B is 128: integers wider than 64 bits are not supported"),
    ],
)
def test_bad_keywords(tmp_path, change, fragment):
    keywords = channel_keywords(["A", "B", "C"], 3, datatype="I", byteord="4,3,2,1")
    keywords.update(change)
    data = np.arange(9, dtype=">u2").tobytes()
    path = write(tmp_path, make_fcs(keywords, data))
    with pytest.raises(FcsError) as error:
        read_fcs(path)
    assert str(error.value).startswith(f"{path}: ")
    assert fragment in str(error.value)


def test_missing_par(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3)
    del keywords["$PAR"]
    with pytest.raises(FcsError, match=r"keyword \$PAR is missing or 0"):
        read_fcs(write(tmp_path, make_fcs(keywords, EVENTS.tobytes())))


# ---------------------------------------------------------------- TEXT quirks


def test_duplicate_channel_names_are_made_unique(tmp_path):
    keywords = channel_keywords(["FL1-H", "FL1-H_2", "FL1-H"], 3)
    data = read_fcs(write(tmp_path, make_fcs(keywords, EVENTS.tobytes())))
    assert data.channels == ("FL1-H", "FL1-H_2", "FL1-H_3")
    assert "duplicate $PnN names made unique: FL1-H -> FL1-H_3" in data.notes
    np.testing.assert_array_equal(read_fcs(data.path, channels=["FL1-H_3"]).events, EVENTS[:, 2:])


def test_selecting_a_duplicated_name_is_ambiguous(tmp_path):
    keywords = channel_keywords(["FL1-H", "SSC-H", "FL1-H"], 3)
    path = write(tmp_path, make_fcs(keywords, EVENTS.tobytes()))
    with pytest.raises(FcsError) as error:
        read_fcs(path, channels=["SSC-H", "FL1-H"])
    assert str(error.value) == (
        f"{path}: channel 'FL1-H' is ambiguous: $P1N and $P3N are both 'FL1-H'; expected "
        "unique $PnN names (read all channels to get them as 'FL1-H', 'FL1-H_2' ...)"
    )
    assert channel_numbers(read_fcs(path).keywords, "FL1-H") == (1, 3)
    np.testing.assert_array_equal(read_fcs(path, channels=["FL1-H_2"]).events, EVENTS[:, 2:])


def test_par_larger_than_the_text_is_refused_before_looping(tmp_path):
    keywords = channel_keywords(["A", "B", "C"], 3, extra={"$PAR": "397912189573889"})
    with pytest.raises(FcsError, match=r"keyword \$PAR claims 397912189573889 channels but TEXT"):
        read_fcs(write(tmp_path, make_fcs(keywords, EVENTS.tobytes())))


def test_escaped_and_empty_values(tmp_path):
    keywords = channel_keywords(["A/B", "C", "D"], 3)  # a literal '/' is written '//'
    data = read_fcs(write(tmp_path, make_fcs(keywords, EVENTS.tobytes())))
    assert data.channels[0] == "A/B" and data.notes == ()
    content = make_fcs(keywords | {"$P1N": "A", "$COM": "xxxxxx"}, EVENTS.tobytes())
    content = content.replace(b"$COM/xxxxxx/", b"$COM//$SRC//")  # Attune's empty values
    data = read_fcs(write(tmp_path, content, "attune.fcs"))
    assert data.keywords["$COM"] == "" and data.keywords["$SRC"] == ""
    assert any("empty values written as a doubled delimiter" in n for n in data.notes)


def test_text_padding_and_supplemental_text(tmp_path):
    supplemental = b"|SUPPLEMENT|yes|$PAR|99|"
    keywords = channel_keywords(["A", "B", "C"], 3)
    keywords |= {"$BEGINSTEXT": "000000", "$ENDSTEXT": "000000"}  # fixed width

    def build() -> bytes:
        return make_fcs(keywords, EVENTS.tobytes(), text_suffix=b"  \0", gap=len(supplemental))

    gap_start = len(build()) - EVENTS.nbytes - len(supplemental)
    keywords["$BEGINSTEXT"] = f"{gap_start:06d}"
    keywords["$ENDSTEXT"] = f"{gap_start + len(supplemental) - 1:06d}"
    content = build()
    content = content[:gap_start] + supplemental + content[gap_start + len(supplemental) :]
    data = read_fcs(write(tmp_path, content))
    np.testing.assert_array_equal(data.events, EVENTS)
    assert data.keywords["SUPPLEMENT"] == "yes" and data.keywords["$PAR"] == "3"
    assert any("read 1 keyword(s) from the supplemental TEXT" in n for n in data.notes)


@pytest.mark.parametrize(
    ("raw", "keywords", "note"),
    [
        (b"/$A/1/$B/2", {"$A": "1", "$B": "2"}, "the value of keyword $B may be incomplete"),
        (b"/$A/1/$B/2//", {"$A": "1", "$B": "2"}, "TEXT ends with a doubled delimiter"),
        (b"/$A/1/$B//", {"$A": "1", "$B": ""}, "empty values written as a doubled delimiter"),
        (b"/$A/1/DOE JANE/", {"$A": "1"}, "ends with a non-standard keyword without a value"),
        (b"/$A/1/$A/2/", {"$A": "2"}, "TEXT repeats keyword $A; kept the last value"),
        (b"|$A|x||y|  \0", {"$A": "x|y"}, None),
    ],
)
def test_text_parser(raw, keywords, note):
    parsed = parse_text(raw)
    assert parsed.keywords == keywords
    if note is None:
        assert parsed.notes == ()
    else:
        assert any(note in n for n in parsed.notes), parsed.notes


# ---------------------------------------------------------------- privacy


def test_no_identifying_values_in_notes_errors_or_logs(tmp_path, caplog):
    secret = {"$SRC": "DOE^JANE 1950-01-01", "$FIL": "jane-doe.fcs", "$SMNO": "P-1234"}
    keywords = channel_keywords(["A", "A", "C"], 3, extra=secret | {"$TIMESTEP": "bad"})
    keywords["$P1N"] = "Time"
    content = make_fcs(keywords, EVENTS.tobytes(), header_data=None, tail=b"\0")
    caplog.set_level(logging.DEBUG)
    data = read_fcs(write(tmp_path, content))
    assert data.notes and data.keywords["$SRC"] == secret["$SRC"]
    with pytest.raises(FcsError) as error:
        read_fcs(write(tmp_path, content[:-20], "cut.fcs"))
    texts = [*data.notes, str(error.value), *(r.getMessage() for r in caplog.records)]
    for value in secret.values():
        assert not any(value in text for text in texts)
    assert not caplog.records


# ---------------------------------------------------------------- spillover


def test_spillover_parameter_numbers_become_names():
    keywords = {"$P1N": "FSC-A", "$P2N": "FL1-A", "$P3N": "FL2-A"}
    names, _ = parse_spillover(keywords | {"$SPILLOVER": "2,2,3,1,0,0,1"})
    assert names == ("FL1-A", "FL2-A")
    keywords["$P1N"] = "2"  # a channel really named "2": keep the names as written
    names, _ = parse_spillover(keywords | {"$SPILLOVER": "2,2,3,1,0,0,1"})
    assert names == ("2", "3")


def test_parse_spillover():
    names, matrix = parse_spillover({"$SPILLOVER": "2,FL1-A,FL2-A,1,0.1,0.02,1"})
    assert names == ("FL1-A", "FL2-A")
    np.testing.assert_array_equal(matrix, [[1, 0.1], [0.02, 1]])
    names, _ = parse_spillover({"SPILL": "1, PE-A ,1.0"})
    assert names == ("PE-A",)
    assert parse_spillover({"$TOT": "1"}) is None
    assert parse_spillover({"$SPILL": "0"}) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("x,A,1", "keyword $SPILLOVER must start with the number of channels; found 'x'"),
        ("2,A,B,1,0,0", "declares 2 channels, so it needs 2 names and 4 values (7 "),
        ("2,A,A,1,0,0,1", "channel names must be non-empty and unique"),
        ("1,A,one", "value 'one' is not a number"),
    ],
)
def test_malformed_spillover(value, fragment):
    with pytest.raises(FcsError) as error:
        parse_spillover({"$SPILLOVER": value}, source="s.fcs")
    assert str(error.value).startswith("s.fcs: ")
    assert fragment in str(error.value)

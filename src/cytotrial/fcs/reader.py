"""read_fcs, read_fcs_text, count_data_sets: the public entry points.

Nothing here logs: keyword values ($SRC, $FIL, ...) may identify a patient. Notes and
error messages name keywords, offsets, sizes and channel names only.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from cytotrial.fcs import offsets
from cytotrial.fcs.datasets import Chain, DataSetText, FcsFile, read_chain
from cytotrial.fcs.decode import (
    decode_ascii_fixed,
    decode_ascii_free,
    decode_integers,
    float_dtype,
    to_native,
)
from cytotrial.fcs.errors import FcsError
from cytotrial.fcs.layout import Layout, read_layout
from cytotrial.fcs.scale import ChannelScale, apply_scales, channel_scales

__all__ = [
    "FcsDataSet",
    "read_fcs",
    "read_fcs_text",
    "count_data_sets",
    "channel_numbers",
]

_FLOAT32_EXACT = 1 << 24  # integers above this lose low bits in float32


@dataclass(frozen=True, eq=False)  # identity equality: comparing arrays is ambiguous
class FcsDataSet:
    """One decoded data set of an FCS file."""

    path: str
    index: int  # data set index within the file (0-based)
    version: str  # "2.0", "3.0", "3.1" ...
    keywords: dict[str, str]  # TEXT keywords, keys upper-cased with '$' kept
    channels: tuple[str, ...]  # $PnN, made unique ("FL1-H", "FL1-H_2")
    markers: tuple[str, ...]  # $PnS ('' when absent)
    events: np.ndarray  # (n_events, n_channels) float32 (float64 for $DATATYPE D)
    notes: tuple[str, ...]  # what the reader had to decide
    # isfinite(events.sum()) when the reader computed it (float data or scaled values;
    # None: not computed): whether every value is finite, false only on NaN/inf or an
    # overflowing sum, as cytotrial.flow.prepare.qc.all_values_finite says; it spares that pass
    all_finite: bool | None = None


def read_fcs(
    path: str | os.PathLike[str],
    data_set: int = 0,
    *,
    channels: Sequence[str] | None = None,
    scale: bool = True,
) -> FcsDataSet:
    """Read one data set of an FCS 2.0/3.x file into a float32 events matrix.

    Integer values are always masked to the bits their $PnR needs. With `scale=True` the
    standard FCS transforms are applied: $PnE log decoding (integer data), $PnG gain
    (linear channels) and $TIMESTEP (the 'Time' channel); see cytotrial.fcs.scale.
    With `scale=False` the values are the stored (masked) channel values.
    `channels` selects and orders columns by $PnN name (after de-duplication).
    Raises FcsError with the file name and what was expected when the file is unreadable.
    `path` may be an open FcsFile: it is read as it is open (and left open).
    """
    with _opened(path) as fcs:
        chain = read_chain(fcs)
        text = _pick(chain, data_set, fcs.path)
        notes = list(text.notes)
        layout = read_layout(text.keywords, text.where, notes)
        names, markers = _channel_names(text.keywords, layout.n_channels, notes)
        columns = _select(names, channels, text.where, text.keywords)
        raw = _read_raw(fcs, text, layout, columns, names, notes)
    selected = [names[c] for c in columns]
    events, all_finite = _finish(raw, text.keywords, layout, columns, selected, scale, notes)
    if chain.count > 1:
        notes.insert(0, f"file holds {chain.count} data sets; read data set {data_set}")
    notes.extend(chain.notes)
    return FcsDataSet(
        path=fcs.path,
        index=data_set,
        version=text.header.version,
        keywords=text.keywords,
        channels=tuple(selected),
        markers=tuple(markers[c] for c in columns),
        events=events,
        notes=tuple(notes),
        all_finite=all_finite,
    )


@contextmanager
def _opened(path: str | os.PathLike[str]) -> Iterator[FcsFile]:
    """An FcsFile given by the caller (who closes it), or one opened here for the call."""
    if isinstance(path, FcsFile):
        if path.size == 0:
            raise path.empty_error()
        yield path
    else:
        with FcsFile(path) as fcs:
            yield fcs


def read_fcs_text(path: str | os.PathLike[str], data_set: int = 0) -> tuple[str, dict[str, str]]:
    """(version, keywords) of one data set without decoding DATA.

    Works on files that hold only HEADER and TEXT; a TEXT cut off before its final
    delimiter is read up to the cut.
    """
    with FcsFile(path) as fcs:
        chain = read_chain(fcs, last_index=data_set)
        text = _pick(chain, data_set, fcs.path)
    return text.header.version, dict(text.keywords)


def count_data_sets(path: str | os.PathLike[str]) -> int:
    """Number of data sets, following $NEXTDATA (loops and offsets past EOF end the chain)."""
    with FcsFile(path) as fcs:
        chain = read_chain(fcs)
    return chain.count


def _pick(chain: Chain, data_set: int, path: str) -> DataSetText:
    if 0 <= data_set < len(chain.data_sets):
        return chain.data_sets[data_set]
    if data_set == len(chain.data_sets) and chain.broken is not None:
        raise chain.broken
    raise FcsError(
        f"{path}: data set {data_set} does not exist; the file holds "
        f"{chain.count} data set(s), numbered from 0"
    )


def _channel_names(
    keywords: Mapping[str, str], n_channels: int, notes: list[str]
) -> tuple[list[str], list[str]]:
    markers = [keywords.get(f"$P{n}S", "").strip() for n in range(1, n_channels + 1)]
    names, missing = [], []
    for n in range(1, n_channels + 1):
        # Stray whitespace ("APC-A ") is no part of a name: panels and $SPILLOVER match.
        name = keywords.get(f"$P{n}N", "").strip()
        if not name:
            missing.append(n)
            name = markers[n - 1] or f"P{n}"
        names.append(name)
    if missing:
        notes.append(f"$PnN missing for channel(s) {missing}; named them by $PnS or 'P<n>'")
    return _unique(names, notes), markers


def _unique(names: list[str], notes: list[str]) -> list[str]:
    """Later duplicates get _2, _3 ... (never colliding with another name)."""
    counts = Counter(names)
    if all(count == 1 for count in counts.values()):
        return names
    taken = set(names)
    seen: set[str] = set()
    unique = []
    for name in names:
        new = name
        suffix = 2
        while new in seen or (new != name and new in taken):
            new = f"{name}_{suffix}"
            suffix += 1
        seen.add(new)
        unique.append(new)
    renamed = [f"{old} -> {new}" for old, new in zip(names, unique, strict=True) if old != new]
    notes.append(f"duplicate $PnN names made unique: {', '.join(renamed)}")
    return unique


def channel_numbers(keywords: Mapping[str, str], name: str) -> tuple[int, ...]:
    """The channel numbers n (1-based) whose $PnN is `name` as written. More than one means
    the name is ambiguous (read_fcs renames the later ones 'name_2' ...)."""
    par = keywords.get("$PAR", "").strip()
    n_channels = int(par) if par.isdigit() else 0
    return tuple(n for n in range(1, n_channels + 1) if _pnn(keywords, n) == name)


def _pnn(keywords: Mapping[str, str], n: int) -> str:
    return keywords.get(f"$P{n}N", "").strip()


def _select(
    names: list[str], wanted: Sequence[str] | None, where: str, keywords: Mapping[str, str]
) -> list[int]:
    if wanted is None:
        return list(range(len(names)))
    if isinstance(wanted, str):
        wanted = [wanted]
    index = {name: j for j, name in enumerate(names)}
    unknown = [name for name in wanted if name not in index]
    if unknown:
        raise FcsError(f"{where}: channel(s) {unknown} not in the file; its $PnN names are {names}")
    for name in wanted:  # which of two channels called 'GFP' is meant cannot be guessed
        written = [n for n in range(1, len(names) + 1) if _pnn(keywords, n) == name]
        if len(written) > 1:
            raise FcsError(
                f"{where}: channel {name!r} is ambiguous: "
                f"{' and '.join(f'$P{n}N' for n in written)} are both {name!r}; expected "
                "unique $PnN names (read all channels to get them as "
                f"{name!r}, {name + '_2'!r} ...)"
            )
    return [index[name] for name in wanted]


def _read_raw(
    fcs: FcsFile,
    text: DataSetText,
    layout: Layout,
    columns: list[int],
    names: list[str],
    notes: list[str],
) -> np.ndarray:
    """The selected columns as stored: floats, masked unsigned integers or ASCII floats."""
    if layout.event_bytes is None:
        return _read_free_ascii(fcs, text, layout, columns, notes)
    found = offsets.candidates(text.header, text.keywords, notes)
    n_events = layout.n_events
    if n_events is None:
        n_events = _infer_events(found, layout.event_bytes, text.where, notes)
    if n_events == 0:
        notes.append("$TOT is 0: the data set holds no events")
        return np.empty((0, len(columns)), dtype=_output_dtype(layout))
    segment = _segment(fcs, text, layout, n_events)
    start = offsets.choose(found, segment, text.where, notes)
    buffer = _read_exact(fcs, text.base + start, segment.expected, text.where)
    if layout.datatype in ("F", "D"):
        matrix = to_native(buffer.view(float_dtype(layout))).reshape(n_events, -1)
        return matrix if columns == list(range(layout.n_channels)) else matrix[:, columns]
    if layout.datatype == "I":
        values, junk = decode_integers(buffer, layout, n_events, columns)
        if junk:
            cleared = [f"{names[columns[j]]} ($P{columns[j] + 1}R)" for j in junk]
            notes.append(f"cleared bits above the $PnR range in channel(s) {_listing(cleared)}")
        return values
    return decode_ascii_fixed(buffer, layout, n_events, columns, text.where)


def _segment(fcs: FcsFile, text: DataSetText, layout: Layout, n_events: int) -> offsets.Segment:
    assert layout.event_bytes is not None
    widths = sorted(set(layout.bits))
    describe = (
        f"$TOT {n_events} x {layout.event_bytes} bytes per event "
        f"($PAR {layout.n_channels}, $PnB {'/'.join(map(str, widths))})"
    )
    return offsets.Segment(
        expected=n_events * layout.event_bytes,
        available=fcs.size - text.base,
        text_start=text.header.text_start,
        text_end=text.text_end,
        file_size=fcs.size,
        describe=describe,
    )


def _infer_events(
    found: list[offsets.Candidate], event_bytes: int, where: str, notes: list[str]
) -> int:
    for candidate in found:
        for length in (candidate.length, candidate.length - 1):
            if length > 0 and length % event_bytes == 0:
                notes.append(
                    f"$TOT is missing; inferred {length // event_bytes} events from the "
                    f"{candidate.label} DATA length"
                )
                return length // event_bytes
    raise FcsError(
        f"{where}: keyword $TOT is missing and no DATA offsets give a whole number of "
        f"{event_bytes}-byte events; expected $TOT (the number of events)"
    )


def _read_exact(fcs: FcsFile, position: int, count: int, where: str) -> np.ndarray:
    """`count` bytes at `position` into a fresh uint8 array (one copy from the page cache)."""
    buffer = np.empty(count, dtype=np.uint8)
    fcs.handle.seek(position)
    view = memoryview(buffer)
    got = 0
    while got < count:
        n = fcs.handle.readinto(view[got:])
        if not n:
            raise FcsError(
                f"{where}: file ended while reading DATA: {count - got} of {count} bytes missing"
            )
        got += n
    return buffer


def _read_free_ascii(
    fcs: FcsFile, text: DataSetText, layout: Layout, columns: list[int], notes: list[str]
) -> np.ndarray:
    found = offsets.candidates(text.header, text.keywords, notes)
    segment = offsets.Segment(
        0, fcs.size - text.base, text.header.text_start, text.text_end, fcs.size, "ASCII"
    )
    start, end = offsets.free_format_start(found, segment, text.where)
    raw = fcs.read_at(text.base + start, end - start + 1)
    return decode_ascii_free(raw, layout, layout.n_events, columns, text.where)


def _output_dtype(layout: Layout) -> np.dtype:
    return np.dtype(np.float64 if layout.datatype == "D" else np.float32)


def _finish(
    raw: np.ndarray,
    keywords: Mapping[str, str],
    layout: Layout,
    columns: list[int],
    names: list[str],
    scale: bool,
    notes: list[str],
) -> tuple[np.ndarray, bool | None]:
    """Output dtype, optional scaling and the checks that only the values can answer;
    the events and isfinite(their sum) (None: not computed)."""
    dtype = _output_dtype(layout)
    out = raw if raw.dtype == dtype else raw.astype(dtype)
    scales = None
    if scale and len(out):
        numbers = [c + 1 for c in columns]
        scales = channel_scales(keywords, numbers, names, layout.datatype == "I", notes)
        apply_scales(out, raw, scales)
    if layout.datatype == "I":
        _note_float32_precision(raw, layout, columns, names, scales, notes)
    all_finite = None
    out = np.ascontiguousarray(out)
    if layout.datatype in ("F", "D") or scales is not None:  # absurd $PnG/$PnE overflow
        all_finite = _note_non_finite(out, names, notes)
    return out, all_finite


def _note_non_finite(events: np.ndarray, names: list[str], notes: list[str]) -> bool:
    """isfinite(events.sum()) (the test cytotrial.flow.prepare.qc.all_values_finite makes), and a
    note naming the channels with NaN/inf values if there are any."""
    # One cheap pass in the array's own dtype (about 3 ms per 14M float32 values): the sum
    # is NaN/inf when any value is. An overflowing sum only costs the exact check below.
    if events.size == 0:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(events.sum()):
            return True
    bad = (~np.isfinite(events)).sum(axis=0)
    if bad.any():
        listed = ", ".join(f"{names[j]} ({bad[j]})" for j in np.flatnonzero(bad))
        notes.append(f"NaN or infinite values kept as stored in channel(s) {listed}")
    return False


def _note_float32_precision(
    raw: np.ndarray,
    layout: Layout,
    columns: list[int],
    names: list[str],
    scales: list[ChannelScale] | None,
    notes: list[str],
) -> None:
    wide = []
    for j, c in enumerate(columns):
        mask = layout.masks[c]
        if scales is not None and not scales[j].identity:
            continue  # scaled columns are computed in float64 from the exact integers
        could_exceed = layout.bits[c] > 24 and (mask is None or mask >= _FLOAT32_EXACT)
        if could_exceed and len(raw) and raw[:, j].max() > _FLOAT32_EXACT:
            wide.append(names[j])
    if wide:
        notes.append(
            f"{len(wide)} channel(s) ({_listing(wide)}) hold integers above 2^24; float32 "
            "keeps 24 significant bits (relative error below 6e-8)"
        )


def _listing(items: list[str], limit: int = 6) -> str:
    """'a, b, c' or 'a, b ... and 12 more': notes stay one readable line."""
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")

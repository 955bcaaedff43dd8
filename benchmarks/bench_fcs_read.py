"""Read speed of cytotrial.fcs.read_fcs against a raw read, flowio and FlowKit.

    python benchmarks/bench_fcs_read.py [--events 1000000] [--channels 14] [--repeat 9]

Writes a synthetic float32 FCS 3.1 file (flowio.create_fcs) into a temporary directory and
prints the median and minimum wall time of each reader over interleaved repeats (the
machine is shared and noisy: compare medians). Every reader's output is checked against
the written events first.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from array import array
from collections.abc import Callable
from pathlib import Path

import flowio
import numpy as np

from cytotrial.fcs import read_fcs


def write_file(path: Path, n_events: int, n_channels: int) -> np.ndarray:
    """A seeded lognormal float32 matrix written as FCS 3.1; returns the matrix."""
    rng = np.random.default_rng(7)
    events = rng.lognormal(6.0, 1.5, size=(n_events, n_channels)).astype(np.float32)
    names = [f"CH{j + 1}-A" for j in range(n_channels)]
    data = array("f")
    data.frombytes(events.tobytes())  # array('f') is create_fcs's fast path
    with open(path, "wb") as handle:
        flowio.create_fcs(handle, data, names)
    return events


def readers(path: Path) -> dict[str, Callable[[], np.ndarray]]:
    """Name -> callable returning an (n, p) array, skipping FlowKit when absent."""
    found: dict[str, Callable[[], np.ndarray]] = {
        "np.fromfile (raw bytes)": lambda: np.fromfile(path, dtype=np.uint8),
        "cytotrial read_fcs": lambda: read_fcs(path).events,
        "flowio FlowData+as_array": lambda: flowio.FlowData(str(path)).as_array(),
    }
    try:
        import flowkit
    except ImportError:
        return found
    found["flowkit Sample"] = lambda: flowkit.Sample(str(path)).get_events(source="raw")
    return found


def check(funcs: dict[str, Callable[[], np.ndarray]], expected: np.ndarray) -> None:
    for name, func in funcs.items():
        if name.startswith("np.fromfile"):
            continue
        result = func()
        if not np.array_equal(np.asarray(result, dtype=np.float32), expected):
            sys.exit(f"{name} returned different values")


def measure(funcs: dict[str, Callable[[], np.ndarray]], repeat: int) -> dict[str, list[float]]:
    """Interleaved runs so that a burst of load hits every reader alike."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return times


def report(times: dict[str, list[float]], n_events: int, n_channels: int, size: int) -> None:
    raw = statistics.median(times["np.fromfile (raw bytes)"])
    print(f"{n_events:,} events x {n_channels} channels float32, file {size / 1e6:.1f} MB")
    print(f"{'reader':28s} {'median ms':>10s} {'min ms':>8s} {'x raw':>6s}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:28s} {median * 1e3:10.1f} {min(values) * 1e3:8.1f} {median / raw:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--channels", type=int, default=14)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # FlowKit/flowio chatter is not what is measured
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "synthetic.fcs"
        expected = write_file(path, args.events, args.channels)
        funcs = readers(path)
        check(funcs, expected)
        times = measure(funcs, args.repeat)
        report(times, args.events, args.channels, path.stat().st_size)


if __name__ == "__main__":
    main()

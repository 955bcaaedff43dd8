"""Atomic writes: all or nothing, and the output's permissions follow the umask."""

from __future__ import annotations

import os
import stat

import pytest

from cytotrial.io.atomic import atomic_path, current_umask, write_text_atomic


@pytest.fixture
def umask():
    """Set the process umask for one test, then restore it."""
    saved = os.umask(0o022)
    os.umask(saved)
    yield lambda mask: os.umask(mask)
    os.umask(saved)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_output_mode_follows_umask(tmp_path, umask, mask, mode):
    umask(mask)
    assert current_umask() == mask
    write_text_atomic(tmp_path / "table.tsv", "a\tb\n")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # what any other tool's output gets
    assert stat.S_IMODE((tmp_path / "table.tsv").stat().st_mode) == mode
    assert stat.S_IMODE(plain.stat().st_mode) == mode


def test_failure_leaves_old_output_and_no_part_file(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_success_replaces_output_and_leaves_nothing_else(tmp_path):
    target = tmp_path / "sub" / "out.tsv"
    write_text_atomic(target, "new\n")
    assert target.read_text() == "new\n"
    assert list(target.parent.iterdir()) == [target]


@pytest.mark.parametrize("tight", [False, True])
def test_save_figure_writes_the_same_bytes_twice(tmp_path, tight):
    """PNG and SVG are reproducible: a rerun of a figure job rewrites identical files
    (matplotlib draws SVG element ids at random unless salted)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from cytotrial.io.results import save_figure

    written = []
    for run in ("first", "second"):
        fig, ax = plt.subplots()
        ax.plot([0, 1, 2], [1, 0, 1], marker="o")  # markers and clip paths get ids
        ax.set_title("CD38")
        png, svg = tmp_path / f"{run}.png", tmp_path / f"{run}.svg"
        save_figure(fig, png, svg, tight=tight)
        assert not plt.fignum_exists(fig.number)  # closed after saving
        written.append((png.read_bytes(), svg.read_bytes()))
    assert b"clip-path" in written[0][1]
    assert written[0] == written[1]

"""CONSORT-style patient flow: boxes computed from the data, drawn with matplotlib.

``consort_boxes`` extends ``cytotrial.cohort.patient_flow`` (part A -> part B / not in part B
-> phase 1 per dose / phase 2, the RP2D box) with the reasons for part B entry, the RP2D
population's make-up and its status at the cut-off. Every box with children must equal the
sum of its children (``cohort.check_flow_sums``); a box with ``equals`` set must have the same
count as the box it names (e.g. the entry reasons add up to the part B box). A count that does
not reconcile raises ValueError before anything is drawn.
"""

from __future__ import annotations

import pandas as pd

from cytotrial.clinical.figures.common import printed, pyplot
from cytotrial.cohort import check_flow_sums, patient_flow

__all__ = [
    "ENTRY_REASON_LABELS",
    "consort_boxes",
    "check_flow",
    "draw_flow_diagram",
]

# The box titles of the part B entry reasons (the paper's wording; the paper check uses them).
ENTRY_REASON_LABELS = {
    "pd_in_cycle1": "PD during cycle 1",
    "below_mr_after_cycle2": "< MR after cycle 2",
    "below_pr_after_cycle3": "< PR after cycle 3",
    "pd_after_response": "PD after initial response (>= PR)",
}
_END_REASONS = {
    "progression": "progressive disease",
    "death": "death",
    "adverse_event": "adverse event",
    "withdrawal": "withdrawal",
    "other": "other reason",
}
_COLUMNS = ["box", "label", "n", "parent", "equals"]


# The status box's title, in the figure and in the table (one wording).
STATUS_TITLE = "Status at data cut-off"


def _box(box: str, label: str, n: int, parent: str = "", equals: str = "") -> dict:
    return {"box": box, "label": label, "n": int(n), "parent": parent, "equals": equals}


def consort_boxes(
    patients: pd.DataFrame, dates: pd.DataFrame, rp2d_mg_m2: float, cutoff
) -> pd.DataFrame:
    """All flow boxes (columns box, label, n, parent, equals), checked."""
    base = patient_flow(patients, rp2d_mg_m2).assign(equals="")
    rows = base[_COLUMNS].to_dict("records")
    in_b = patients[patients["part_b_cohort"] != "none"]
    rows.append(_box("part_b_entry", "Reason for part B entry", len(in_b), equals="part_b"))
    reasons = in_b["part_b_entry_reason"].fillna("not recorded")
    for reason in [*ENTRY_REASON_LABELS, *sorted(set(reasons) - set(ENTRY_REASON_LABELS))]:
        n = int((reasons == reason).sum())
        if n:
            label = ENTRY_REASON_LABELS.get(reason, reason.replace("_", " "))
            rows.append(_box(f"part_b_entry:{reason}", label, n, "part_b_entry"))
    at_rp2d = in_b[in_b["atra_dose_mg_m2"] == rp2d_mg_m2]
    dose = f"{rp2d_mg_m2:g}"
    for cohort, label, equals in (
        ("phase1", f"from phase 1 ({dose} mg/m2)", f"phase1:{dose}"),
        ("phase2", "from phase 2", "phase2"),
    ):
        n = int((at_rp2d["part_b_cohort"] == cohort).sum())
        rows.append(_box(f"rp2d:{cohort}", label, n, "rp2d", equals))
    rows += _status_boxes(at_rp2d["patient_id"].tolist(), dates, cutoff)
    table = pd.DataFrame(rows, columns=_COLUMNS)
    check_flow(table)
    return table


def _status_boxes(ids: list[str], dates: pd.DataFrame, cutoff) -> list[dict]:
    d = dates.set_index("patient_id").reindex(ids)
    end = d["part_b_end_of_treatment"]
    stopped = end.notna() & (end <= pd.Timestamp(cutoff))
    rows = [
        _box("rp2d_status", STATUS_TITLE, len(ids), equals="rp2d"),
        _box(
            "rp2d_status:on_treatment", "still on treatment", int((~stopped).sum()), "rp2d_status"
        ),
        _box("rp2d_status:discontinued", "discontinued", int(stopped.sum()), "rp2d_status"),
    ]
    reasons = d.loc[stopped, "part_b_end_reason"].fillna("not recorded")
    for reason in [*_END_REASONS, *sorted(set(reasons) - set(_END_REASONS))]:
        n = int((reasons == reason).sum())
        if n:
            label = _END_REASONS.get(reason, reason.replace("_", " "))
            rows.append(_box(f"discontinued:{reason}", label, n, "rp2d_status:discontinued"))
    return rows


def check_flow(table: pd.DataFrame) -> None:
    """Children sum to their parent, and 'equals' boxes match the box they name."""
    check_flow_sums(table.assign(parent=table["parent"].fillna("")))
    counts = table.set_index("box")["n"]
    for row in table[table["equals"].fillna("") != ""].itertuples():
        other = int(counts.get(row.equals, 0))  # an absent box holds nobody
        if other != row.n:
            raise ValueError(
                f"patient flow: box {row.box!r} has {row.n} patients but {row.equals!r} has "
                f"{other}; they must agree"
            )


# --- drawing ------------------------------------------------------------------------------

_BOX = dict(boxstyle="round,pad=0.6", facecolor="white", edgecolor="#333333", linewidth=1.0)
_SIDE = dict(boxstyle="round,pad=0.6", facecolor="#F3F3F3", edgecolor="#777777", linewidth=0.8)


def _n(table: pd.DataFrame, box: str) -> int:
    hit = table.loc[table["box"] == box, "n"]
    return int(hit.iloc[0]) if len(hit) else 0


def _children(table: pd.DataFrame, parent: str) -> list[tuple[str, int]]:
    rows = table[table["parent"] == parent]
    return [(r.label, int(r.n)) for r in rows.itertuples()]


def _lines(items: list[tuple[str, int]]) -> str:
    return "\n".join(f"  {label}: {n}" for label, n in items)


def draw_flow_diagram(table: pd.DataFrame, rp2d_mg_m2: float):
    """The CONSORT diagram of ``consort_boxes`` (checked again first) as a matplotlib figure."""
    check_flow(table)
    plt = pyplot()
    # Cropped to the boxes (tight): about 7.2 x 7.4 in, within an A4 portrait page's
    # 7.32 in width. Printed at its own size it fits below the report's header but not
    # below the header and the printed contents: it opens page 2 with its heading.
    fig, ax = plt.subplots(figsize=(9.1, 9.2))
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    dose = f"{rp2d_mg_m2:g}"

    def put(x, y, text, style=_BOX):  # (x, y) = top centre of the box
        return ax.text(
            x,
            y,
            printed(text),
            ha="center",
            va="top",
            fontsize=9,
            bbox=style,
            multialignment="left",
        )

    part_a = put(
        0.5, 0.96, f"Enrolled in part A\n(daratumumab monotherapy)\nn = {_n(table, 'part_a')}"
    )
    not_b = put(
        0.83,
        0.86,
        f"Not enrolled in part B\nn = {_n(table, 'not_part_b')}\n"
        + _lines(_children(table, "not_part_b")),
        _SIDE,
    )
    entry = put(
        0.18, 0.86, "Reason for part B entry\n" + _lines(_children(table, "part_b_entry")), _SIDE
    )
    part_b = put(0.5, 0.70, f"Enrolled in part B\n(daratumumab + ATRA)\nn = {_n(table, 'part_b')}")
    phase1 = put(
        0.27,
        0.53,
        f"Part B phase 1 (dose finding)\nn = {_n(table, 'phase1')}\n"
        + _lines(_children(table, "phase1")),
    )
    phase2 = put(0.73, 0.53, f"Part B phase 2 (expansion)\nn = {_n(table, 'phase2')}")
    rp2d = put(
        0.5,
        0.33,
        f"Treated at the RP2D (ATRA {dose} mg/m2)\nn = {_n(table, 'rp2d')}\n"
        + _lines(_children(table, "rp2d"))
        + "\nevaluated for safety and efficacy",
    )
    discontinued = _children(table, "rp2d_status:discontinued")
    status = put(
        0.5,
        0.15,
        f"{STATUS_TITLE}\n"
        f"  still on treatment: {_n(table, 'rp2d_status:on_treatment')}\n"
        f"  discontinued: {_n(table, 'rp2d_status:discontinued')}\n"
        + "\n".join(f"    {label}: {n}" for label, n in discontinued),
    )
    fig.canvas.draw()  # the boxes' sizes are known only once drawn
    texts = {
        "part_a": part_a,
        "not_b": not_b,
        "entry": entry,
        "part_b": part_b,
        "phase1": phase1,
        "phase2": phase2,
        "rp2d": rp2d,
        "status": status,
    }
    box = {name: _extent(ax, t) for name, t in texts.items()}

    def path(points, head=True, **kw):
        """Orthogonal connector through ``points``; an arrow head on the last segment."""
        style = dict(color="#333333", lw=1.0, **kw)
        lines = points[:-1] if head else points
        ax.plot([p[0] for p in lines], [p[1] for p in lines], **style)
        if head:
            ax.annotate(
                "",
                xy=points[-1],
                xytext=points[-2],
                arrowprops=dict(arrowstyle="-|>", shrinkA=0, shrinkB=0, **style),
            )

    def top(b, dx=0.0):
        return (b.cx + dx, b.y1)

    def bottom(b, dx=0.0):
        return (b.cx + dx, b.y0)

    a, b = box["part_a"], box["part_b"]
    path([bottom(a), top(b)])
    path([(a.x1, a.cy), (box["not_b"].cx, a.cy), top(box["not_b"])])
    e = box["entry"]
    path([(b.x0, b.cy), (e.cx, b.cy), bottom(e)], head=False, linestyle="--")
    p1, p2, r = box["phase1"], box["phase2"], box["rp2d"]
    split = (b.y0 + max(p1.y1, p2.y1)) / 2
    for child in (p1, p2):
        path([bottom(b), (b.cx, split), (child.cx, split), top(child)])
    merge = (min(p1.y0, p2.y0) + r.y1) / 2
    path([bottom(p1), (p1.cx, merge), (r.cx - 0.08, merge), top(r, -0.08)])
    path([bottom(p2), (p2.cx, merge), (r.cx + 0.08, merge), top(r, 0.08)])
    ax.text(
        p1.cx + 0.01,
        merge + 0.005,
        f"{dose} mg/m\u00b2 only",
        fontsize=8,
        color="#555555",
        va="bottom",
    )
    path([bottom(r), top(box["status"])])
    ax.text(0.5, 1.0, "Patient flow", ha="center", va="bottom", fontsize=11, weight="bold")
    return fig


class _Extent:
    """A drawn box's edges in data coordinates."""

    def __init__(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.x0, self.y0, self.x1, self.y1 = x0, y0, x1, y1
        self.cx, self.cy = (x0 + x1) / 2, (y0 + y1) / 2


def _extent(ax, text) -> _Extent:
    window = text.get_bbox_patch().get_window_extent()
    (x0, y0), (x1, y1) = ax.transData.inverted().transform(window.get_points())
    return _Extent(x0, y0, x1, y1)

"""Bad-input catalogue, gating templates and panels (issue 15, item 4).

Each case is the shipped template or panel with one realistic mistake; the error must
name the file, the gate (or channel) and the key, and for a misspelt key the closest
valid one. Every case is caught when the file is read (the workflow reads both at
parse time, before any job: cytotrial.flow.gating.inputs.check_flow_inputs).
"""

from __future__ import annotations

import re

import pytest
from helpers.paths import REPO

from cytotrial.errors import InputError
from cytotrial.flow.gating.template import read_gating_template
from cytotrial.io.panel import read_panel

TEMPLATE = (REPO / "resources/gating/pbmc_cd38.yaml").read_text(encoding="utf-8")
PANEL = (REPO / "resources/panel.yaml").read_text(encoding="utf-8")
PANEL_MARKERS = [c.marker for c in read_panel(REPO / "resources/panel.yaml").channels]


def _once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} is not unique in the shipped file"
    return text.replace(old, new)


TEMPLATE_CASES = {
    "misspelt threshold key": (
        ("negative_below: 0.35", "negativ_below: 0.35"),
        "gate 'leukocytes', key 'threshold.negativ_below': unknown key 'negativ_below'; "
        "did you mean 'negative_below'?",
    ),
    "plural of fallback_sd": (
        ("{marker: CD3, side: above}", "{marker: CD3, side: above, fallback_sds: 3}"),
        "gate 't_cells', key 'threshold.fallback_sds': unknown key 'fallback_sds'; "
        "did you mean 'fallback_sd'?",
    ),
    "misspelt key inside a quadrant axis": (
        ("y: {marker: CD19, side: above", "y: {marker: CD19, sid: above"),
        "gate 'b_cells', key 'quadrant.y.sid': unknown key 'sid'; did you mean 'side'?",
    ),
    "number as text": (
        ("distance: 5, widen: 0.2", "distance: 5, widen: a lot"),
        "gate 'lymphocytes', key 'scatter_cluster.widen': 'a lot' is not of type 'number'",
    ),
    "misspelt gate kind": (
        ("singlets: {area: FSC-A", "singlet: {area: FSC-A"),
        "gate 'singlets', key 'singlet': unknown key 'singlet'; did you mean 'singlets'?",
    ),
    "misspelt top-level key": (
        ("leukocyte_gate: leukocytes", "leukocytes_gate: leukocytes"),
        "key 'leukocytes_gate': unknown key 'leukocytes_gate'; did you mean 'leukocyte_gate'?",
    ),
    "side not allowed": (
        ("{marker: Viability, side: below", "{marker: Viability, side: under"),
        "gate 'viable', key 'threshold.side': 'under' is not one of 'above', 'below'",
    ),
    "unknown marker": (
        ("{marker: CD14, side: above", "{marker: CD41, side: above"),
        "gate 'monocytes', key 'threshold.marker': marker 'CD41' is not in the panel "
        "(panel markers: FSC-A, ",
    ),
    "parent listed after the child": (
        ("  - name: t_cells\n    parent: lymphocytes", "  - name: t_cells\n    parent: nk_cells"),
        "gate 't_cells', key 'parent': 'nk_cells' must be 'root' or a gate listed above",
    ),
    "parent misspelt": (
        ("  - name: t_cells\n    parent: lymphocytes", "  - name: t_cells\n    parent: lymphocyte"),
        "gate 't_cells', key 'parent': 'lymphocyte' must be 'root' or a gate listed above; "
        "did you mean 'lymphocytes'?",
    ),
    "gate name used twice": (
        ("  - name: monocytes_scatter", "  - name: lymphocytes"),
        "gate 'lymphocytes', key 'name': gate name 'lymphocytes' is used twice",
    ),
    "population of an unknown gate": (
        ("  t_cells: t_cells", "  t_cells: t_cell"),
        "key 'populations.t_cells': 't_cell' is not a gate; did you mean 't_cells'?",
    ),
    "leukocyte gate unknown": (
        ("leukocyte_gate: leukocytes", "leukocyte_gate: leucocytes"),
        "key 'leukocyte_gate': 'leucocytes' is not a gate (or 'root'); did you mean 'leukocytes'?",
    ),
    "mfi marker unknown": (
        ("  marker: CD38", "  marker: CD83"),
        "key 'mfi.marker': marker 'CD83' is not in the panel",
    ),
    "pick beyond components": (
        ("components: 3, pick: 2", "components: 3, pick: 4"),
        "gate 'monocytes_scatter', key 'scatter_cluster.pick': 4 is more than components (3)",
    ),
    "static threshold without value": (
        ("{marker: CD3, side: above}", "{marker: CD3, side: above, method: static}"),
        "gate 't_cells', key 'threshold.value': missing key 'value': "
        "a static threshold needs its cut",
    ),
}


@pytest.mark.parametrize("case", sorted(TEMPLATE_CASES))
def test_template_mistake_names_file_gate_key_and_closest(tmp_path, case):
    (old, new), expected = TEMPLATE_CASES[case]
    path = tmp_path / "my_template.yaml"
    path.write_text(_once(TEMPLATE, old, new), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_gating_template(path, PANEL_MARKERS)
    message = str(caught.value)
    assert f"{path}, " in message
    assert expected in message, message


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "my_template.yaml"
    text = _once(TEMPLATE, "{marker: CD3, side: above}", "{marker: CD3, side: above")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}, line \d+: not valid YAML"):
        read_gating_template(path, PANEL_MARKERS)


def test_every_problem_is_listed_at_once(tmp_path):
    path = tmp_path / "my_template.yaml"
    text = _once(TEMPLATE, "negative_below: 0.35", "negativ_below: 0.35")
    text = _once(text, "distance: 5, widen: 0.2", "distance: 5, widen: a lot")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_gating_template(path, PANEL_MARKERS)
    message = str(caught.value)
    assert message.startswith(f"2 problem(s) in {path}:")
    assert "'negativ_below'" in message and "scatter_cluster.widen" in message


PANEL_CASES = {
    "asinh without a cofactor": (
        ("{type: linear, scale: 1}", "{type: asinh}"),
        "channel 'Time', key 'transform.cofactor': missing key 'cofactor': asinh needs a "
        "cofactor: 150 is usual for fluorescence, 5 for mass cytometry",
    ),
    "misspelt cofactor": (
        ("{type: linear, scale: 1}", "{type: asinh, cofator: 5}"),
        "channel 'Time', key 'transform.cofator': unknown key 'cofator'; did you mean 'cofactor'?",
    ),
    "logicle without T": (
        (
            "marker: CD19, role: fluorescence, compensate: true,\n"
            "     transform: {type: logicle, T: 262144, ",
            "marker: CD19, role: fluorescence, compensate: true,\n     transform: {type: logicle, ",
        ),
        "channel 'PE-Cy7-A', key 'transform.T': missing key 'T': logicle needs T, the top of "
        "the instrument's range ($PnR, e.g. 262144)",
    ),
    "lower-case logicle parameter": (
        ("{type: linear, scale: 1}", "{type: logicle, T: 262144, w: 0.5}"),
        "channel 'Time', key 'transform.w': unknown key 'w'; did you mean 'W'?",
    ),
    "unknown transform type": (
        ("{type: linear, scale: 1}", "{type: log10}"),
        "channel 'Time', key 'transform.type': 'log10' is not one of 'linear', 'logicle', 'asinh'",
    ),
    "misspelt channel key": (
        ("compensate: true,\n     aliases: [Live", "compensated: true,\n     aliases: [Live"),
        "channel 'BV510-A', key 'compensated': unknown key 'compensated'; "
        "did you mean 'compensate'?",
    ),
    "role misspelt": (
        ("{channel: Time, marker: Time, role: time", "{channel: Time, marker: Time, role: tim"),
        "channel 'Time', key 'role': 'tim' is not one of 'scatter', 'fluorescence', 'time'",
    ),
    "scale as text": (
        ("{type: linear, scale: 1}", "{type: linear, scale: one}"),
        "channel 'Time', key 'transform.scale': 'one' is not of type 'number'",
    ),
    "fluorescence channel without a transform": (
        (
            "{channel: APC-A, marker: CD38, role: fluorescence, compensate: true,\n"
            "     transform: {type: logicle, T: 262144, W: 0.5, M: 4.5, A: 0}}",
            "{channel: APC-A, marker: CD38, role: fluorescence, compensate: true}",
        ),
        "channel 'APC-A', key 'transform': missing key 'transform'",
    ),
}


@pytest.mark.parametrize("case", sorted(PANEL_CASES))
def test_panel_mistake_names_file_channel_key_and_closest(tmp_path, case):
    (old, new), expected = PANEL_CASES[case]
    path = tmp_path / "my_panel.yaml"
    path.write_text(_once(PANEL, old, new), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_panel(path)
    message = str(caught.value)
    assert f"{path}, " in message
    assert expected in message, message


def test_panel_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "my_panel.yaml"
    path.write_text(_once(PANEL, "{channel: Time,", "{channel: Time"), encoding="utf-8")
    with pytest.raises(InputError, match=rf"{re.escape(str(path))}, line \d+: not valid YAML"):
        read_panel(path)

"""The flow inputs checked at the workflow's parse (rules/common.smk): panel and template.

Separate from template_checks (which the template reader itself calls) so that the
checks of one document never import the reader of the whole template.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cytotrial.flow.gating.template import IMPORTED_SUFFIXES, read_gating_template
from cytotrial.flow.interop.gatingml_import import population_map_path, read_population_map
from cytotrial.io.panel import read_panel

__all__ = ["check_flow_inputs"]


def check_flow_inputs(config: Mapping[str, Any]) -> None:
    """The workflow's parse-time check (rules/common.smk): the panel, and the template
    (YAML), or the map of an imported .xml/.wsp template (FlowKit parses the file
    itself in the import job). Raises InputError naming file, gate and key."""
    panel = read_panel(config["panel"])
    markers = [c.marker for c in panel.channels]
    template = Path(str(config["gating_template"]))
    if template.suffix.lower() in IMPORTED_SUFFIXES:
        map_path = population_map_path(template)
        read_population_map(map_path, markers)
    else:
        read_gating_template(template, markers)

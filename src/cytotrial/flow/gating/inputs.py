"""The flow inputs checked at the workflow's parse (rules/common.smk): panel and template.

Separate from template_checks (which the template reader itself calls) so that the
checks of one document never import the reader of the whole template.
"""

from __future__ import annotations

from pathlib import Path

from cytotrial.flow.gating.template import IMPORTED_SUFFIXES, read_gating_template
from cytotrial.flow.interop.gatingml_import import population_map_path, read_population_map
from cytotrial.io.panel import read_panel

__all__ = ["check_flow_inputs"]


def check_flow_inputs(panel_path: str | Path, template_path: str | Path) -> None:
    """The workflow's parse-time check (rules/common.smk) of the config's panel and
    gating template: the panel, and the template (YAML), or the map of an imported
    .xml/.wsp template (FlowKit parses the file itself in the import job). Raises
    InputError naming file, gate and key."""
    panel = read_panel(panel_path)
    markers = [c.marker for c in panel.channels]
    template = Path(str(template_path))
    if template.suffix.lower() in IMPORTED_SUFFIXES:
        map_path = population_map_path(template)
        read_population_map(map_path, markers)
    else:
        read_gating_template(template, markers)

"""The text a reader of the report meets, and the code names it must not contain.

Configuration keys (`flow.review`), file paths of the package (simulate/flow/scenarios)
belong to Methods, Provenance and the configuration as run; anywhere else a reader
needs words. Shared by the demo test (tests/workflow/test_demo_run.py) and its unit test.
"""

from __future__ import annotations

import html
import re

__all__ = ["CONFIG_KEY", "code_names_in_reader_text", "reader_text"]

# A config key of a top-level section (clinical.ae_table_rows, flow.cohort_qc.z_limit) or a
# package module path (simulate/flow/scenarios, simulate/paper_targets.py). A word boundary
# before it: 'cytotrial_report.html' or 'cohort_qc.tsv' is a file the reader can open.
CONFIG_KEY = re.compile(
    r"\b(?:clinical|flow|simulate|report|stats)\.[a-z_]+[a-z_.]*"
    r"|\bsimulate/[a-z_/.]+"
    # a config value as the code takes it, and an anchor printed as the target of a link
    r"|\bCI method (?:spss|plain|log|log-log)\b|\bsection [a-z]+(?: [a-z]+)*\)"
)
# Where keys belong (the sections that state the settings) and what is not text.
_NOT_READER_TEXT = [
    re.compile(r"<style\b.*?</style>", re.S),
    re.compile(r"<script\b.*?</script>", re.S),
    re.compile(r'<section id="(?:methods|provenance)".*?</section>', re.S),
    re.compile(r"<pre class=\"config\">.*?</pre>", re.S),
]
_TAG = re.compile(r"<[^>]+>")
_SOFT_BREAK = re.compile(r"<wbr>|\u00ad")  # break hints inside a word (layout.breakable)


def reader_text(page: str) -> str:
    """The page's text outside Methods, Provenance, the configuration, styles and
    scripts; tags (and so attributes: tooltips naming CSV columns) removed."""
    for part in _NOT_READER_TEXT:
        page = part.sub(" ", page)
    return html.unescape(_TAG.sub(" ", _SOFT_BREAK.sub("", page)))


def code_names_in_reader_text(page: str) -> list[str]:
    """Each config key or package path in the reader's text, with 60 characters around."""
    text = " ".join(reader_text(page).split())
    return [text[max(0, m.start() - 60) : m.end() + 20] for m in CONFIG_KEY.finditer(text)]

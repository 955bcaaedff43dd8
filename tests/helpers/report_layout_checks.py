"""What a reader of the report must never meet, checked in a real browser and PDF.

Shared by tests/workflow/test_report_layout_browser.py (a synthetic report) and its demo test:
rows or cell text hidden without a control that says how much is hidden, a page wider
than the window, and a printed PDF missing a section or a row.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

# Rows of each table the reader cannot see (display none, or outside an ancestor that
# clips: a fixed-height scroll box) and whether a visible control in the table's block
# says "show all" with the table's row count; cells whose text is cut (line clamp,
# overflow hidden) need a visible "show all" control, or in print a note saying where the
# full text is, in the same cell.
HIDDEN_WITHOUT_CONTROL_JS = r"""
const shown = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
const clips = el => ['hidden', 'clip', 'auto', 'scroll'].some(v =>
    [getComputedStyle(el).overflowX, getComputedStyle(el).overflowY].includes(v));
function visible(el) {
  if (!shown(el)) return false;
  const r = el.getBoundingClientRect();
  for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    if (!clips(a)) continue;
    const b = a.getBoundingClientRect();
    if (r.top < b.top - 1 || r.bottom > b.bottom + 1) return false;
    if (r.left < b.left - 1 || r.right > b.right + 1) return false;
  }
  return true;
}
const controls = (root, text) =>
  [...root.querySelectorAll('label, button, summary, a, [role=note]')]
  .filter(c => shown(c) && /show all|full text is in/i.test(c.textContent))
  .filter(c => !text || c.textContent.includes(text));
const problems = [];
for (const table of document.querySelectorAll('main table')) {
  const block = table.closest('.table-block') || table.parentElement;
  const title = (block.querySelector('h3') || {textContent: '(untitled)'}).textContent;
  // a group's label row (Table 1's sections) is a heading, not one of the table's rows
  const rows = [...table.querySelectorAll('tbody tr:not(.group-row)')];
  const hidden = rows.filter(r => !visible(r)).length;
  if (hidden && !controls(block, String(rows.length)).length)
    problems.push(`${title}: ${hidden} of ${rows.length} rows hidden without a control`);
  for (const cell of table.querySelectorAll('td')) {
    const cut = [cell, ...cell.querySelectorAll('*')].some(e =>
      shown(e) && clips(e) && e.scrollHeight > e.clientHeight + 1);
    if (cut && !controls(cell, '').length)
      problems.push(`${title}: a cell's text is cut without a control`);
  }
}
return problems;
"""

# Open every fold (click each control), then the same check must find nothing hidden.
OPEN_ALL_JS = r"""
for (const c of document.querySelectorAll('label.fold-control')) c.click();
"""

# Anything the reader would have to scroll sideways: the page or a box inside it.
SIDEWAYS_JS = r"""
const doc = document.documentElement;
const out = [];
if (doc.scrollWidth > doc.clientWidth)
  out.push(`page ${doc.scrollWidth} px wide in ${doc.clientWidth}`);
for (const el of document.querySelectorAll('body *')) {
  const s = getComputedStyle(el);
  if (['auto', 'scroll'].includes(s.overflowX) && el.scrollWidth > el.clientWidth + 1)
    out.push(`${el.tagName.toLowerCase()}.${el.className} scrolls sideways `
      + `(${el.scrollWidth} in ${el.clientWidth})`);
}
return out;
"""


def hidden_without_control(browser) -> list[str]:
    return browser.execute_script(HIDDEN_WITHOUT_CONTROL_JS)


def hidden_after_opening_all(browser) -> list[str]:
    """Problems left after clicking every control: all rows and text must then show."""
    browser.execute_script(OPEN_ALL_JS)
    # With every control open, any row still hidden is hidden for good: drop the
    # control exemption by asking for controls that cannot exist.
    script = HIDDEN_WITHOUT_CONTROL_JS.replace("/show all|full text is in/i", "/(?!)/")
    return browser.execute_script(script)


def sideways(browser) -> list[str]:
    return browser.execute_script(SIDEWAYS_JS)


def section_titles(browser) -> list[str]:
    return browser.execute_script(
        "return [...document.querySelectorAll('h2')].map(h => h.textContent.trim())"
    )


def pdf_text(pdf: Path) -> str:
    """The PDF's text as pdftotext (poppler-utils) reads it, whitespace collapsed."""
    found = shutil.which("pdftotext")
    assert found, "pdftotext (poppler-utils) is needed to read the printed report"
    text = subprocess.run(
        [found, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(text.split())


# The running header and footer every printed page carries (the template's @page margin
# boxes): the simulated-data warning when simulated, the trial, "page N of M".
RUNNING_HEADER = re.compile(r"^\s*(SIMULATED DATA - demo)?\s*Trial .*$")
RUNNING_FOOTER = re.compile(r"^\s*(SIMULATED DATA - demo)?\s*page \d+ of \d+\s*$")


def pdf_raw_pages(pdf: Path) -> list[list[str]]:
    """Each page's non-empty lines as pdftotext -layout prints them (pages split at its
    form feeds; the empty piece after the last one dropped)."""
    found = shutil.which("pdftotext")
    assert found, "pdftotext (poppler-utils) is needed to read the printed report"
    text = subprocess.run(
        [found, "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = [[line for line in page.splitlines() if line.strip()] for page in text.split("\f")]
    return pages[:-1] if pages and not pages[-1] else pages


def pdf_pages(pdf: Path) -> list[str]:
    """Each page's body text, whitespace collapsed: without the running header (its
    first line) and footer (its last), which pdf_raw_pages keeps."""
    pages = []
    for lines in pdf_raw_pages(pdf):
        if lines and RUNNING_HEADER.match(lines[0]):
            lines = lines[1:]
        if lines and RUNNING_FOOTER.match(lines[-1]):
            lines = lines[:-1]
        pages.append(" ".join(" ".join(lines).split()))
    return pages


# A column heading broken inside a word ('Respons-e'), or a word sticking out of its
# cell: each word of a heading must sit on one line inside the cell's content box. The
# pieces between <wbr> (separate text nodes) and after a hyphen or slash may break, as
# the heading allows there.
HEADER_WORD_BREAKS_JS = r"""
const out = [];
for (const th of document.querySelectorAll('main th')) {
  if (!th.getClientRects().length) continue;
  const box = th.getBoundingClientRect(), s = getComputedStyle(th);
  const left = box.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft);
  const right = box.right - parseFloat(s.borderRightWidth) - parseFloat(s.paddingRight);
  const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.textContent.matchAll(/[^\s\-\/]+[\-\/]?/g)) {
      const range = document.createRange();
      range.setStart(node, m.index);
      range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const lines = new Set(rects.map(r => Math.round(r.top)));
      const where = `${th.closest('.table-block')?.querySelector('h3')?.textContent}: `
        + `'${th.textContent.trim()}'`;
      if (lines.size > 1) out.push(`${where}: '${m[0]}' breaks inside the word`);
      else if (rects.some(r => r.right > right + 1 || r.left < left - 1))
        out.push(`${where}: '${m[0]}' sticks out of its cell`);
    }
  }
}
return out;
"""


def header_word_breaks(browser) -> list[str]:
    """Headings broken inside a word or wider than their cell (see HEADER_WORD_BREAKS_JS)."""
    return browser.execute_script(HEADER_WORD_BREAKS_JS)


# Every table and figure states what it counts: 'n = <number> ...' (class "n") first in
# its caption (issue 18); and the symbols a person reads are written as such.
N_STATEMENT = re.compile(r"^n = \d")
ASCII_SYMBOLS = re.compile(r">=|<=|\buL\b|\bm2\b")  # whole words: 'mg_m2' is a code name


def captions_without_n(page: str) -> list[str]:
    """Titles of the page's tables and figures (in <main>) whose caption has no
    'n = <number>' statement (class "n")."""
    from lxml import html as lxml_html

    root = lxml_html.fromstring(page)
    missing = []
    for item in root.xpath("//main//div[contains(@class, 'table-block')] | //main//figure"):
        title = item.xpath("string(.//h3 | .//figcaption/strong)").strip()
        statements = [s.text_content().strip() for s in item.find_class("n")]
        if not any(N_STATEMENT.match(s) for s in statements):
            missing.append(title)
    return missing


def visible_ascii_symbols(page: str) -> list[str]:
    """Text a reader sees (not attributes, not the configuration as run in <pre>) that
    holds >=, <=, uL or m2 where ≥, ≤, µL or m² belongs."""
    from lxml import html as lxml_html

    root = lxml_html.fromstring(page)
    for hidden in root.xpath("//style | //script | //pre | //title"):
        hidden.drop_tree()
    return [t.strip()[:120] for t in root.xpath("//body//text()") if ASCII_SYMBOLS.search(t)]


# A code name as the pipeline writes it: snake_case, optionally 'box:sub_box' (patient flow).
CODE_NAME = re.compile(
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?::[a-z0-9_]+)?\b|\b[a-z0-9]+:[a-z0-9_]+\b"
)


def visible_code_names(page: str, codes: set[str]) -> list[str]:
    """Code names out of `codes` (population codes, value columns, flow boxes, IMWG reasons,
    ...) in text a reader sees: not in <code> or <pre> (the configuration as run), the
    provenance section, the CSV download links, attributes (tooltips) or styles."""
    from lxml import html as lxml_html

    root = lxml_html.fromstring(page.replace("<wbr>", ""))  # a wrap point splits no word
    hidden = "//style | //script | //pre | //code | //title | //section[@id='provenance']"
    for element in root.xpath(hidden + " | //p[contains(@class, 'download')]"):
        element.drop_tree()
    found = []
    for text in root.xpath("//body//text()"):
        for match in CODE_NAME.finditer(text):
            word = match.group(0)
            if word in codes or set(word.split(":")) & codes:
                found.append(f"{word}: ...{text.strip()[:100]}")
    return found

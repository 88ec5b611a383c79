"""A list page's table as text, for tests of rows written in Python (issue 14)."""

import re
from html import unescape

CELLS = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
TAGS = re.compile(r"<[^>]+>")


def table_rows(html: str) -> dict[str, list[str]]:
    """{the first cell's text: the text of each cell}, from the table's body."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [unescape(" ".join(TAGS.sub(" ", cell).split())) for cell in CELLS.findall(row)]
        rows[cells[0]] = cells
    return rows

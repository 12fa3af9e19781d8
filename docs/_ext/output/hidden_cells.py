"""Write the toggle of a hidden cell as valid HTML that screen readers name by its text.

myst-nb puts two ``<p>`` ("Show code cell source", "Hide ...") inside the
``<summary>``, where only phrasing content is allowed (the Nu Html Checker
reports an error on every page with a hidden cell), and labels the summary
"Toggle hidden content", a name other than the text a reader sees. Here the
two labels are ``<span>`` and the visible text is the name; the stylesheet
gives the spans the look myst-nb gives the paragraphs.

The labels are in the edition's language, and an exercise's solution (a cell
whose code starts with ``# Solution N``) says so: "Show solution 2".
"""

from __future__ import annotations

import os
import re
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput
from sphinx.application import Sphinx
from sphinx.writers.html5 import HTML5Translator

from editions.interface_language import translate

_CSS = "hidden-cells.css"
_SOLUTION = re.compile(r"# Solution (\d+)")


def prompts(node: HideCodeCellNode) -> tuple[str, str]:
    """The toggle's two labels, "show" and "hide", in the edition's language."""
    code = node.next_node(nodes.literal_block)
    solution = _SOLUTION.match(code.astext()) if code is not None else None
    if solution:
        number = solution[1]
        return (
            str(translate("Show solution {number}")).format(number=number),
            str(translate("Hide solution {number}")).format(number=number),
        )
    # myst-nb's own labels ("Show code cell content"), which have a translation each.
    return str(translate(node["prompt_show"])), str(translate(node["prompt_hide"]))


def _visit(self: HTML5Translator, node: HideCodeCellNode) -> None:
    classes = " ".join(node["classes"])
    show, hide = prompts(node)
    self.body.append(
        f'<details class="admonition hide {classes}">\n<summary>\n'
        f'<span class="collapsed admonition-title">{escape(show)}</span>\n'
        f'<span class="expanded admonition-title">{escape(hide)}</span>\n'
        "</summary>\n"
    )


def _add_static_path(app: Sphinx, config: Any) -> None:
    # Relative to conf.py, as Sphinx reads it: an absolute path would enter the
    # configuration's hash in .buildinfo, and two clean builds of the same pages
    # in two folders would then differ in that file.
    static = Path(__file__).parent / "hidden_cells_static"
    config.html_static_path.append(os.path.relpath(static, app.confdir))


def setup(app: Sphinx) -> dict[str, Any]:
    """Replace myst-nb's HTML for hidden cells; must come after ``myst_nb`` in extensions."""
    app.add_node(HideCodeCellNode, override=True, html=(_visit, depart_HideCellInput))
    app.connect("config-inited", _add_static_path)
    app.add_css_file(_CSS)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

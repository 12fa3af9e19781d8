"""Fail the build on a figure drawn by a cell that weighs more than the guide allows.

Every figure is computed at build time, so nothing stops a plot of a hundred
thousand points from becoming a megabyte of SVG that each reader downloads.
A figure (an image a code cell outputs, SVG or PNG) over :data:`MAX_FIGURE_BYTES`
fails the build, naming the page, the cell's line and the size; the audit's page
weight counts the figures too, as the browser loads them. A page with a figure
too heavy is read again on the next build, so an incremental build cannot hide it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from checks.cell_checks import fence_line
from checks.image_alt import drawing_cell
from execution.reread import PagesToReread

logger = logging.getLogger(__name__)

# The most a figure may weigh (issue 14: "no figure over 100 KiB").
MAX_FIGURE_BYTES = 100 * 1024
# The pages with a figure too heavy, with how many: read again on the next build.
_HEAVY: PagesToReread[int] = PagesToReread("figure_size")


def _kib(size: int) -> str:
    return f"{size / 1024:.1f} KiB"


def _report_heavy_figures(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    heavy = 0
    for image in doctree.findall(nodes.image):
        cell = drawing_cell(image)
        uri = str(image.get("uri", ""))
        if cell is None or not uri or "://" in uri or uri.startswith("data:"):
            continue
        # myst-nb writes each output image to a file and points the image at it.
        path = Path(app.env.relfn2path(uri, docname)[1])
        if not path.is_file() or path.stat().st_size <= MAX_FIGURE_BYTES:
            continue
        heavy += 1
        logger.warning(
            "the figure this cell draws weighs %s, over the %s a figure may weigh;"
            " draw it lighter (fewer points or elements, SVG rather than PNG, a smaller size)",
            _kib(path.stat().st_size),
            _kib(MAX_FIGURE_BYTES),
            location=(docname, fence_line(cell)),
            type="autograd_guide",
            subtype="figure_size",
        )
    if heavy:
        _HEAVY.notes(app.env)[docname] = heavy


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the figure-size check with Sphinx."""
    app.connect("doctree-read", _report_heavy_figures)
    _HEAVY.connect(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}

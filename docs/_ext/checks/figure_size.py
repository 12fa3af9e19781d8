"""Fail the build on a figure drawn by a cell that weighs more than the guide allows.

Every figure is computed at build time, so nothing stops a plot of a hundred
thousand points from becoming a megabyte of SVG that each reader downloads.
A figure (an image a code cell outputs, SVG or PNG) over :data:`MAX_FIGURE_BYTES`
fails the build, naming the page, the cell's line and the size; the audit's page
weight counts the figures too, as the browser loads them. A figure whose file
is not where its image points fails the build too, rather than pass unweighed.
Either failure has the page read again on the next build, so that an
incremental build cannot hide it.
"""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import Any, TypeVar

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from execution.cells import drawing_cell, fence_line
from execution.reread import PagesToReread

logger = logging.getLogger(__name__)

# The most a figure may weigh (issue 14: "no figure over 100 KiB").
MAX_FIGURE_BYTES = 100 * 1024
# The pages with a figure too heavy or missing, with how many: read again on the next build.
_HEAVY: PagesToReread[int] = PagesToReread("figure_size")
P = TypeVar("P", bound=PurePath)


def _kib(size: int) -> str:
    return f"{size / 1024:.1f} KiB"


def figure_file(uri: str, source: P) -> P:
    """The file of a figure a cell drew, from its image's URI, and the source folder.

    myst-nb writes each output image to a file and points the image at it from
    the source folder (``/../build/jupyter_execute/…``), or, on Windows, with
    the absolute path (``C:/…``): no relative path crosses drives. Sphinx's
    image collector (``doctree-read``, a built-in extension, so connected before
    this one at the same priority) rewrites the URI relative to the source
    folder, not to the page, keeping an absolute path on another drive. Each
    form is read here, with ``source``'s own path rules (``PureWindowsPath``
    in the tests).
    """
    # Joined to the source folder, an absolute path ("C:/…", "/…") stays itself.
    return source / uri[1:] if uri.startswith("/") else source / uri


def _report_heavy_figures(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    failed = 0
    for image in doctree.findall(nodes.image):
        cell = drawing_cell(image)
        uri = str(image.get("uri", ""))
        if cell is None or not uri or "://" in uri or uri.startswith("data:"):
            continue
        path = figure_file(uri, Path(app.srcdir)).resolve()
        if not path.is_file():
            # Not passed unweighed: a check that cannot find the figures checks nothing.
            message = "the figure this cell draws is not at %s, so its size could not be checked"
            values: tuple[object, ...] = (path,)
        elif (size := path.stat().st_size) > MAX_FIGURE_BYTES:
            message = (
                "the figure this cell draws weighs %s, over the %s a figure may weigh;"
                " draw it lighter (fewer points or elements, SVG rather than PNG, a smaller size)"
            )
            values = (_kib(size), _kib(MAX_FIGURE_BYTES))
        else:
            continue
        failed += 1
        logger.warning(
            message,
            *values,
            location=(docname, fence_line(cell)),
            type="autograd_guide",
            subtype="figure_size",
        )
    if failed:
        _HEAVY.notes(app.env)[docname] = failed


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the figure-size check with Sphinx."""
    app.connect("doctree-read", _report_heavy_figures)
    _HEAVY.connect(app)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}

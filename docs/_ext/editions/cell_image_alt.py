"""The alt text of the images that code cells draw, as messages of the page's catalog.

A figure drawn by a cell takes its alt text from the cell's ``mystnb: image:
alt:`` option. Sphinx translates the alt text of every image of a translated
edition itself (its ``Locale`` transform, since Sphinx 4.0), and myst-nb creates a
cell's images while it parses the page, before that transform runs: with the
message in the page's catalog, the Chinese build shows the translated alt with no
help, from the cached outputs too, since the alt comes from the cell and not from
the executed notebook.

What Sphinx cannot do is extract the message. The catalogs are extracted without
running any cell (``nox -s translations``), so there is no image to extract it
from; and even from executed outputs myst-nb gives the gettext builder only an
output's ``text/plain`` form. This extension gives the gettext builder, and no
other, the image that the cell would draw: an empty SVG carrying the option's alt
text, at the cell's line, from which Sphinx extracts the alt text as it does any
image's.

``checks.image_alt`` fails a translated edition's build on a figure whose alt text
is still the English one.

One thing beyond Sphinx's documented API is relied on: the order of its
transforms. The images must exist before ``UIDTransform`` gives each message its
id, or the gettext builder drops their messages. ``tests/test_cell_image_alt.py``
fails if that changes.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.versioning import UIDTransform

from execution.cells import cell_alt, code_cell_nodes, fence_line

# The image a cell would draw, as small as an SVG can be: the gettext builder
# writes no page, and the message is its alt text.
EMPTY_SVG = "data:image/svg+xml,%3Csvg/%3E"


class AddCellImageAlt(SphinxTransform):
    """Put an image carrying the alt text into every code cell that has one."""

    # Just before Sphinx's UIDTransform: the gettext builder takes only the
    # messages of nodes that transform gave an id.
    default_priority = UIDTransform.default_priority - 10

    def apply(self, **kwargs: Any) -> None:
        """Add the images to the page being read."""
        key = getattr(self.config, "nb_cell_metadata_key", "mystnb")
        for cell in code_cell_nodes(self.document):
            alt = cell_alt(cell, key)
            if alt is None:
                continue
            image = nodes.image(uri=EMPTY_SVG, alt=alt)
            image.source, image.line = cell.source, fence_line(cell)
            cell.append(image)


def _register_for_gettext(app: Sphinx) -> None:
    # Only the message catalogs need the images; no other builder ever sees one.
    if app.builder.name == "gettext":
        app.add_transform(AddCellImageAlt)


def setup(app: Sphinx) -> dict[str, Any]:
    """Extract the alt text of cell images when the builder is gettext's."""
    app.connect("builder-inited", _register_for_gettext)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

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
other, one message node per code cell with the option, at the cell's line, so that
the alt text arrives in the page's catalog like a paragraph.

``checks.image_alt`` fails a translated edition's build on a figure whose alt text
is still the English one.

Sphinx documents no API for adding a message, so two of its internals are used
here, and only here: the protocol of its message nodes (``addnodes.translatable``,
which its toctree nodes follow) and the order of its transforms (the message
nodes must exist before ``UIDTransform`` gives each message its id, or the
gettext builder drops them). ``tests/test_cell_image_alt.py`` fails when either
changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.gettext import I18nBuilder
from sphinx.transforms import SphinxTransform

from checks.cell_checks import fence_line


def cell_alt(cell: nodes.Element, metadata_key: str = "mystnb") -> str | None:
    """The alt text a code cell gives its images (``mystnb: image: alt:``), if any.

    ``metadata_key`` is myst-nb's ``nb_cell_metadata_key``. The alt text is the
    string myst-nb puts on the images, so it is also the message's id.
    """
    metadata = cell.get("cell_metadata")
    options = metadata.get(metadata_key) if isinstance(metadata, dict) else None
    image = options.get("image") if isinstance(options, dict) else None
    alt = image.get("alt") if isinstance(image, dict) else None
    return alt if isinstance(alt, str) and alt.strip() else None


def code_cells(doctree: nodes.Node) -> list[nodes.Element]:
    """The code cells of a page's doctree, as myst-nb marks them."""
    return [
        node for node in doctree.findall(nodes.container) if node.get("nb_element") == "cell_code"
    ]


# In lower case, as docutils and Sphinx name their nodes.
class cell_image_alt(nodes.Invisible, nodes.Element, addnodes.translatable):
    """The alt text of a cell's images, as a message for the gettext builder."""

    def preserve_original_messages(self) -> None:
        """Nothing to keep: ``alt`` holds the English text, and a translation goes beside it."""

    def apply_translated_message(self, original_message: str, translated_message: str) -> None:
        """Keep the translation beside the English text; Sphinx translates the images."""
        self["translated_alt"] = translated_message

    def extract_original_messages(self) -> Sequence[str]:
        """The message: the English alt text."""
        return [str(self["alt"])]


class AddCellImageAlt(SphinxTransform):
    """Put a message node carrying the alt text into every code cell that has one."""

    # Before Sphinx's UIDTransform (880): the gettext builder takes only the
    # messages of nodes that transform gave an id.
    default_priority = 870

    def apply(self, **kwargs: Any) -> None:
        """Add the message nodes to the page being read."""
        key = getattr(self.config, "nb_cell_metadata_key", "mystnb")
        for cell in code_cells(self.document):
            alt = cell_alt(cell, key)
            if alt is None:
                continue
            message = cell_image_alt(alt=alt)
            message.source, message.line = cell.source, fence_line(cell)
            cell.append(message)


def _register_for_gettext(app: Sphinx) -> None:
    # Only the message builders need the nodes; no other builder ever sees one.
    if isinstance(app.builder, I18nBuilder):
        app.add_transform(AddCellImageAlt)


def setup(app: Sphinx) -> dict[str, Any]:
    """Extract the alt text of cell images when the builder is gettext's."""
    app.connect("builder-inited", _register_for_gettext)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

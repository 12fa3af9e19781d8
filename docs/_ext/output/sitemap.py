"""Write ``sitemap.xml``: every page of the site at its published address.

sphinx-sitemap 2.9.0 lists only the pages written by the current build, so an
incremental build replaced a 27-page sitemap with a 2-page one (measured). This
lists every document Sphinx knows, whichever pages this build rewrote.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from sphinx.application import Sphinx
from sphinx.errors import ConfigError

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def page_addresses(app: Sphinx) -> list[str]:
    """The absolute address of every page, sorted, without the excluded ones."""
    base = app.config.html_baseurl.rstrip("/") + "/"
    excluded = set(app.config.sitemap_excluded_docs)
    return sorted(
        base + app.builder.get_target_uri(docname)
        for docname in app.env.found_docs
        if docname not in excluded
    )


def _write_sitemap(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    root = ElementTree.Element("urlset", xmlns=NAMESPACE)
    for address in page_addresses(app):
        ElementTree.SubElement(ElementTree.SubElement(root, "url"), "loc").text = address
    ElementTree.indent(root)
    ElementTree.ElementTree(root).write(
        f"{app.outdir}/sitemap.xml", encoding="utf-8", xml_declaration=True
    )


def _require_base_url(app: Sphinx, config: Any) -> None:
    if not config.html_baseurl.startswith("https://"):
        msg = "html_baseurl must be the site's https:// address: the sitemap needs it"
        raise ConfigError(msg)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the sitemap with Sphinx."""
    app.add_config_value("sitemap_excluded_docs", [], "html", types=[list])
    app.connect("config-inited", _require_base_url)
    app.connect("build-finished", _write_sitemap)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

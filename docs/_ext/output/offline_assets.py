"""Make sure the site works with no network: refuse any asset from another host.

Sphinx would load MathJax from a CDN; the site writes its math as MathML
instead (``output.mathml``), so pages load no math script at all. After the
build, every HTML page is scanned: a script, stylesheet, font, image or frame
loaded from another host fails the build, naming the page.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

# Attributes through which a page loads something as it renders. Plain links
# (<a href>) are navigation, not loads, and may point anywhere.
_REMOTE_LOAD = re.compile(
    r"<(script|img|iframe|source|audio|video)\b[^>]*\bsrc=[\"']((?:https?:)?//[^\"']+)"
    r"|url\(\s*[\"']?((?:https?:)?//[^)\"']+)",
    re.IGNORECASE,
)
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"\b(rel|href)=[\"']([^\"']*)[\"']", re.IGNORECASE)
_REMOTE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)
# <link rel=...> values that only name a page (the canonical address, another
# language's version) without making the browser fetch anything.
_NAMING_RELS = {"canonical", "alternate", "author", "license", "help", "search", "next", "prev"}


def remote_loads(html: str) -> list[str]:
    """Return the addresses on other hosts that a page would load while rendering."""
    found = [
        next(group for group in match.groups()[1:] if group)
        for match in _REMOTE_LOAD.finditer(html)
    ]
    for tag in _LINK.findall(html):
        attributes = {name.lower(): value for name, value in _ATTRIBUTE.findall(tag)}
        href = attributes.get("href", "")
        rels = set(attributes.get("rel", "").lower().split())
        if _REMOTE.match(href) and not (rels and rels <= _NAMING_RELS):
            found.append(href)
    return found


def _refuse_remote_assets(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in sorted(outdir.rglob("*.html")):
        for address in remote_loads(page.read_text(encoding="utf-8")):
            logger.warning(
                "%s loads %s from another host; the site must work offline",
                page.relative_to(outdir),
                address,
                type="autograd_guide",
                subtype="remote_asset",
            )


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the remote-asset check with Sphinx."""
    app.connect("build-finished", _refuse_remote_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Give every page one stylesheet instead of eleven.

A page of the theme links eleven stylesheets (the theme's two, one of which
imports a third, then Pygments', myst-nb's, sphinx-design's, the copy
button's and the guide's own), and the browser draws nothing until it has
fetched them all: on a phone's slow connection each extra request and the
import behind ``theme.css`` delay the first paint (Lighthouse's mobile
profile: 1.8 s with eleven files, 1.2 s with one). Here the page's
stylesheets, in their order, become one file, ``_static/styles/site-<key>.css``,
written once the build has copied the static files; the key names the list
of files bundled, so pages that link the same files share one bundle.

What is bundled keeps its meaning: ``@import`` rules are replaced by the file
they import, relative ``url()`` references are rewritten to point from the
bundle's folder to the same file, and a stylesheet linked for a media query
is wrapped in ``@media``. A stylesheet linked with other attributes (an
``id``, a ``title``) stays a link of its own, after the bundle. The theme's
two stylesheets are not in Sphinx's list: ``docs/_templates/layout.html``
leaves their links out when a page has a bundle, and they open it.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from output.built_pages import own_pages

logger = logging.getLogger(__name__)

FOLDER = "_static/styles"
# pydata-sphinx-theme links these before Sphinx's list (its webpack macros).
THEME_STYLESHEETS = ("_static/styles/theme.css", "_static/styles/pydata-sphinx-theme.css")
# A page's bundle -> the files in it, each with its media query ("" for all).
_BUNDLES: dict[str, tuple[tuple[str, str], ...]] = {}
_URL = re.compile(r"""url\(\s*(["']?)([^"')]+)\1\s*\)""")
_IMPORT = re.compile(r"""@import\s+(?:url\(\s*)?["']?([^"')\s;]+)["']?\s*\)?\s*([^;]*);""")
# A bundle a page links, by file name (the 404 page links it by an absolute address).
_LINKED = re.compile(r'(site-[0-9a-f]+\.css)(?:\?v=\w+)?"')
# A source map names the file it maps, not the bundle: dropped.
_SOURCE_MAP = re.compile(r"/\*# sourceMappingURL=[^*]*\*/")
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", re.IGNORECASE)


def rebase_urls(css: str, source: str, target: str) -> str:
    """``css`` from the file ``source`` with its relative URLs made relative to ``target``'s folder.

    Paths are relative to the site's root, with ``/``.

    Examples:
        >>> rebase_urls('a{background:url("../img/x.png")}', "_static/css/a.css", "_static/styles/b.css")
        'a{background:url("../img/x.png")}'
        >>> rebase_urls("a{src:url(fonts/f.woff2)}", "_static/a.css", "_static/styles/b.css")
        'a{src:url(../fonts/f.woff2)}'
        >>> rebase_urls('a{mask:url("data:image/svg+xml,x")}', "_static/a.css", "_static/styles/b.css")
        'a{mask:url("data:image/svg+xml,x")}'
    """
    here = posixpath.dirname(source)
    there = posixpath.dirname(target)

    def rebased(match: re.Match[str]) -> str:
        quote, address = match.group(1), match.group(2)
        if _ABSOLUTE.match(address):
            return match.group(0)
        moved = posixpath.relpath(posixpath.normpath(posixpath.join(here, address)), there)
        return f"url({quote}{moved}{quote})"

    return _URL.sub(rebased, css)


def _read(outdir: Path, name: str, target: str, seen: tuple[str, ...] = ()) -> str:
    """The stylesheet ``name`` with its ``@import`` rules replaced by what they import."""
    if name in seen:
        msg = f"{name} imports itself (through {' -> '.join(seen)})"
        raise ValueError(msg)
    css = _SOURCE_MAP.sub("", (outdir / name).read_text(encoding="utf-8"))
    parts, start = [], 0
    for match in _IMPORT.finditer(css):
        parts.append(rebase_urls(css[start : match.start()], name, target))
        address, media = match.group(1), match.group(2).strip()
        if _ABSOLUTE.match(address):
            msg = f"{name} imports {address}, which is not a file of the site"
            raise ValueError(msg)
        path = posixpath.normpath(posixpath.join(posixpath.dirname(name), address))
        content = _read(outdir, path, target, (*seen, name))  # its URLs rebased already
        parts.append(f"@media {media}{{\n{content}\n}}" if media else content)
        start = match.end()
    parts.append(rebase_urls(css[start:], name, target))
    return "".join(parts)


def bundle(outdir: Path, name: str, files: tuple[tuple[str, str], ...]) -> str:
    """The content of the bundle ``name``: each of ``files`` (path, media), in order."""
    parts = []
    for path, media in files:
        css = _read(outdir, path, name)
        parts.append(f"/* {path} */\n" + (f"@media {media}{{\n{css}\n}}" if media else css))
    return "\n".join(parts) + "\n"


def _attributes(stylesheet: Any) -> dict[str, str]:
    return {
        key: value
        for key, value in getattr(stylesheet, "attributes", {}).items()
        if value is not None and key not in {"rel", "type"}
    }


def _filename(stylesheet: Any) -> str:
    name = os.fspath(getattr(stylesheet, "filename", stylesheet))
    return name if name.startswith("_static/") or "://" in name else f"_static/{name}"


def split(stylesheets: list[Any]) -> tuple[str, tuple[tuple[str, str], ...], list[Any]]:
    """A page's bundle: its name, the files in it (path, media), and the stylesheets left out.

    The theme's two come first, then Sphinx's list in its order: by priority,
    as Sphinx sorts it only after the pages' handlers have run. A stylesheet
    from another host, or with attributes other than a media query, is left
    out, to be linked after the bundle.

    Examples:
        >>> name, files, kept = split(["_static/b.css", "_static/a.css"])
        >>> name.startswith("_static/styles/site-"), files[2:], kept
        (True, (('_static/b.css', ''), ('_static/a.css', '')), [])
    """
    files: list[tuple[str, str]] = [(name, "") for name in THEME_STYLESHEETS]
    kept = []
    for stylesheet in sorted(stylesheets, key=lambda css: getattr(css, "priority", 500)):
        name, attributes = _filename(stylesheet), _attributes(stylesheet)
        media = attributes.pop("media", "")
        if "://" in name or attributes:
            kept.append(stylesheet)
        else:
            files.append((name, "" if media in {"", "all"} else media))
    key = hashlib.sha256(repr(files).encode()).hexdigest()[:10]
    return f"{FOLDER}/site-{key}.css", tuple(files), kept


def _bundle_page(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    name, files, kept = split(list(context.get("css_files", [])))
    _BUNDLES[name] = files
    context["css_files"] = [name, *kept]
    # layout.html leaves out the theme's own links to these, which open the bundle.
    context["bundled_stylesheets"] = THEME_STYLESHEETS


def _write_bundles(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    # The bundles of the pages written in this process. With `-j`, Sphinx writes
    # the first page and its generated pages (index, search, 404) here and the
    # rest in worker processes; a worker's page whose stylesheets differ from
    # all of those would link a bundle that is not written: the check below says so.
    versions = {}
    for name, files in sorted(_BUNDLES.items()):
        try:
            content = bundle(outdir, name, files)
        except (OSError, ValueError) as error:
            logger.warning(
                "cannot bundle the stylesheets of %s: %s",
                name,
                error,
                type="autograd_guide",
                subtype="stylesheets",
            )
            continue
        (outdir / name).write_text(content, encoding="utf-8")
        versions[Path(name).name] = hashlib.sha256(content.encode()).hexdigest()[:8]
    for page in own_pages(outdir):
        html = page.read_text(encoding="utf-8")
        for linked in set(_LINKED.findall(html)):
            if linked not in versions:
                logger.warning(
                    "%s links the stylesheet %s, which this build did not write",
                    page.relative_to(outdir),
                    linked,
                    type="autograd_guide",
                    subtype="stylesheets",
                )
        # The address changes with the content: a browser never keeps a stale bundle.
        versioned = _LINKED.sub(lambda match: f'{match[1]}?v={versions.get(match[1], "")}"', html)
        if versioned != html:
            page.write_text(versioned, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """Bundle each page's stylesheets (after the themes' own handlers) and write the bundles."""
    app.connect("html-page-context", _bundle_page, priority=950)
    app.connect("build-finished", _write_bundles, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

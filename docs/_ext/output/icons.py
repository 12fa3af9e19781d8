"""Draw the theme's icons as SVG, so that no page downloads an icon font.

The theme (pydata-sphinx-theme, under sphinx-book-theme) draws its twenty-odd
header and navigation icons with Font Awesome's web fonts: 220 KiB gzipped
(two fonts, one of them for the GitHub logo alone), requested on every page,
and text that waits for them (``font-display: block``). After the build, this
extension reads the icons the pages use (``class="fa-solid fa-bars"``), takes
each one's outline from the very font file the theme ships, and writes
``_static/icons.css``: each icon a CSS mask of its SVG outline, painted in
the text's colour (so light and dark modes keep working), in the box the
font's glyph had. The icon elements no longer use the fonts, so browsers never
fetch them.

An icon a page uses that the theme's style sheet or font does not define fails
the build, naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.ttLib import TTFont
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

STYLESHEET = "icons.css"
# Where the theme's style sheet and fonts land in the built site.
_THEME_CSS = Path("_static/styles/pydata-sphinx-theme.css")
_FONTS = Path("_static/vendor/fontawesome/webfonts")
# The class that picks an icon's font, and that font's file.
_FAMILIES = {
    "fa-solid": "fa-solid-900.woff2",
    "fas": "fa-solid-900.woff2",
    "fa-regular": "fa-regular-400.woff2",
    "far": "fa-regular-400.woff2",
    "fa-brands": "fa-brands-400.woff2",
    "fab": "fa-brands-400.woff2",
}
# `.fa-bars,.fa-navicon{--fa:"\f0c9"}`: the icon classes and their code point.
_CODE_POINT = re.compile(r'([^{}]+)\{--fa:"\\([0-9a-f]+)')
_ICON_CLASS = re.compile(r"\.(fa-[a-z0-9-]+)")
_CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')
# Every element the theme's style sheet draws as an icon (its selector, as the theme writes it).
_ICON_ELEMENTS = ":is(.fa,.fa-brands,.fa-classic,.fa-regular,.fa-solid,.fab,.far,.fas)"


@dataclass(frozen=True)
class Icon:
    """One icon as a page uses it: the class that picks its font, and its name."""

    family: str  # "fa-solid"
    name: str  # "fa-bars"


def code_points(css: str) -> dict[str, int]:
    r"""The code point of each icon class that ``css`` defines.

    Examples:
        >>> code_points('.fa-bars,.fa-navicon{--fa:"\\f0c9"}.fa-github{--fa:"\\f09b"}')
        {'fa-bars': 61641, 'fa-navicon': 61641, 'fa-github': 61595}
    """
    points: dict[str, int] = {}
    for selectors, point in _CODE_POINT.findall(css):
        for selector in selectors.split(","):
            if (match := _ICON_CLASS.fullmatch(selector.strip())) is not None:
                points[match.group(1)] = int(point, 16)
    return points


def icons_used(html: str, names: set[str]) -> set[Icon]:
    """The icons of ``names`` that the elements of ``html`` use, each with its font's class.

    Examples:
        >>> sorted(icons_used('<i class="fa-brands fa-github fa-lg"></i>', {"fa-github"}))
        [Icon(family='fa-brands', name='fa-github')]
        >>> icons_used('<span class="fa-lg"></span>', {"fa-github"})
        set()
    """
    found = set()
    for attribute in _CLASS_ATTRIBUTE.findall(html):
        classes = attribute.split()
        families = [name for name in classes if name in _FAMILIES]
        for name in classes:
            if name in names:
                found.add(Icon(families[0] if families else "fa-solid", name))
    return found


def outline_svg(font: TTFont, code_point: int) -> str:
    """The glyph of ``code_point`` in ``font`` as an SVG image, one em high, as wide as its advance.

    Raises:
        KeyError: the font has no glyph for ``code_point``.
    """
    glyph_name = font.getBestCmap()[code_point]
    glyphs = font.getGlyphSet()
    pen = SVGPathPen(glyphs)
    glyphs[glyph_name].draw(pen)
    em = font["head"].unitsPerEm
    ascent = font["hhea"].ascent
    advance = font["hmtx"][glyph_name][0]
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 {-ascent} {advance} {em}">'
        f'<path transform="scale(1 -1)" d="{pen.getCommands()}"/></svg>'
    )


def stylesheet(outlines: dict[Icon, str]) -> str:
    """The CSS that draws each icon as a mask of its outline, in the colour of its text.

    Examples:
        >>> css = stylesheet({Icon("fa-solid", "fa-bars"): "<svg/>"})
        >>> css.splitlines()[-1]
        '.fa-solid.fa-bars{--icon:url("data:image/svg+xml,%3Csvg/%3E")}'
    """
    rules = [
        "/* Written by docs/_ext/output/icons.py: the theme's Font Awesome icons as SVG",
        "   masks, so that no page downloads the icon fonts. */",
        f"{_ICON_ELEMENTS}{{font-family:inherit}}",
        (
            f'{_ICON_ELEMENTS}::before{{content:"";display:inline-block;width:1em;height:1em;'
            "vertical-align:-0.125em;background-color:currentColor;"
            "-webkit-mask:var(--icon) center/contain no-repeat;"
            "mask:var(--icon) center/contain no-repeat}"
        ),
    ]
    for icon in sorted(outlines, key=lambda icon: (icon.family, icon.name)):
        image = quote(outlines[icon], safe=" /=:-.,'")
        rules.append(f'.{icon.family}.{icon.name}{{--icon:url("data:image/svg+xml,{image}")}}')
    return "\n".join(rules) + "\n"


def _write_stylesheet(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    points = code_points((outdir / _THEME_CSS).read_text(encoding="utf-8"))
    used: set[Icon] = set()
    for page in sorted(outdir.rglob("*.html")):
        used |= icons_used(page.read_text(encoding="utf-8"), set(points))
    fonts: dict[str, TTFont] = {}
    outlines = {}
    for icon in sorted(used, key=lambda icon: (icon.family, icon.name)):
        file = _FAMILIES[icon.family]
        font = fonts.get(file) or fonts.setdefault(file, TTFont(outdir / _FONTS / file))
        try:
            outlines[icon] = outline_svg(font, points[icon.name])
        except KeyError:
            logger.warning(
                "the theme's icon %s %s has no glyph in %s",
                icon.family,
                icon.name,
                file,
                type="autograd_guide",
                subtype="icons",
            )
    (outdir / "_static" / STYLESHEET).write_text(stylesheet(outlines), encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    """Link every page to the icons' style sheet, written once the pages are."""
    app.add_css_file(STYLESHEET)
    app.connect("build-finished", _write_stylesheet)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Draw the theme's icons as SVG, so that no page downloads an icon font.

The theme (pydata-sphinx-theme, under sphinx-book-theme) draws its twenty-odd
header and navigation icons with Font Awesome's web fonts: 220 KiB gzipped
(two fonts, one of them for the GitHub logo alone), requested on every page,
and text that waits for them (``font-display: block``). After the build, this
extension reads the icons the pages use (``class="fa-solid fa-bars"``), takes
each one's outline from the very font file the theme ships, and writes
``_static/icons.css``: each icon a CSS mask of its SVG outline, painted in
the text's colour (so light and dark modes keep working), in the box the
font's glyph had. The icon elements no longer use the fonts, so browsers do
not fetch them for those. The theme still draws a few icons with the fonts
itself, in pseudo-elements (the GitHub logo before a link to GitHub): the
fonts keep those glyphs only (108 KiB -> a few KiB for the brands font).

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
from fontTools.subset import Options, Subsetter
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
# `--pst-icon-github:"\f09b"`: a glyph the theme draws in a pseudo-element.
_PSEUDO_ICON = re.compile(r'--pst-icon-[a-z0-9-]+:\s*"([^"]*)"')
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}) ?")
_PRIVATE_USE = 0xE000  # Font Awesome's glyphs are in Unicode's private use area
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


def pseudo_element_icons(css: str) -> set[int]:
    r"""The code points of the icons that the theme's own rules draw with the fonts.

    pydata-sphinx-theme draws a few icons in ``::before`` and ``::after`` with
    Font Awesome's fonts (the GitHub logo before a link to GitHub, say),
    naming each glyph in a ``--pst-icon-...`` variable, as a character or an
    escape.

    Examples:
        >>> sorted(map(hex, pseudo_element_icons('--pst-icon-github:"\\f09b";--pst-icon-x:"\uf35d"')))
        ['0xf09b', '0xf35d']
    """
    points = set()
    for value in _PSEUDO_ICON.findall(css):
        text = _ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), value)
        points |= {ord(character) for character in text if ord(character) >= _PRIVATE_USE}
    return points


def subset_font(path: Path, points: set[int]) -> None:
    """Keep in the WOFF2 font at ``path`` only the glyphs of ``points`` (those it has)."""
    font = TTFont(path)
    options = Options(flavor="woff2", layout_features=[], name_IDs=["*"], notdef_outline=True)
    subsetter = Subsetter(options)
    subsetter.populate(unicodes=points & set(font.getBestCmap()))
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(path)


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
    theme_css = (outdir / _THEME_CSS).read_text(encoding="utf-8")
    points = code_points(theme_css)
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
    # What is left for the fonts: the icons the theme draws in pseudo-elements.
    drawn = pseudo_element_icons(theme_css)
    for file in sorted(set(_FAMILIES.values())):
        subset_font(outdir / _FONTS / file, drawn)


def setup(app: Sphinx) -> dict[str, Any]:
    """Link every page to the icons' style sheet, written once the pages are."""
    app.add_css_file(STYLESHEET)
    app.connect("build-finished", _write_stylesheet)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

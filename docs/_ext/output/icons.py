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

A class ``fa-...`` on a page that the theme's stylesheet does not define, or an
icon whose glyph its font lacks, fails the build, naming it.
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

from output.built_pages import own_pages

logger = logging.getLogger(__name__)

STYLESHEET = "icons.css"
# Where the theme's style sheet and fonts land in the built site.
_THEME_CSS = Path("_static/styles/pydata-sphinx-theme.css")
_FONTS = Path("_static/vendor/fontawesome/webfonts")
# The class that picks an icon's font, and that font's file.
_FAMILIES = {
    "fa": "fa-solid-900.woff2",  # Font Awesome's default family, drawn solid
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
_PSEUDO_ICON = re.compile(r'(?:--pst-icon-[a-z0-9-]+|\bcontent):\s*"([^"]*)"')
_VIEW_BOX = re.compile(r'viewBox="0 -?\d+ (\d+) (\d+)"')
_FA_CLASS = re.compile(r"\.(fa-[a-z0-9-]+)")
_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6}) ?")
_PRIVATE_USE = 0xE000  # Font Awesome's glyphs are in Unicode's private use area
_CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')


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
        if not families:
            continue  # Font Awesome draws no icon without the class of a font
        for name in classes:
            if name in names:
                found.add(Icon(families[0], name))
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
    r"""The code points of the icons that ``css`` names for pseudo-elements to draw with the fonts.

    Each is a private-use character in a ``--pst-icon-...`` variable or a
    ``content``, written as itself or as an escape.

    Examples:
        >>> css = '--pst-icon-github:"\\f09b";--pst-icon-x:"\uf35d";a:after{content:"\\f107"}'
        >>> sorted(map(hex, pseudo_element_icons(css)))
        ['0xf09b', '0xf107', '0xf35d']
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

    Only the icons given are drawn so: an element whose icon has no outline
    here keeps the theme's font. Each mask is as wide as the glyph's advance.

    Examples:
        >>> svg = '<svg viewBox="0 -448 640 512"/>'
        >>> print(stylesheet({Icon("fa-solid", "fa-language"): svg}))  # doctest: +ELLIPSIS
        /* Written by ...
        :is(.fa-solid.fa-language){font-family:inherit}
        :is(.fa-solid.fa-language)::before{content:"";display:inline-block;height:1em;...}
        .fa-solid.fa-language::before{width:1.25em;--icon:url("data:image/svg+xml,%3Csvg viewBox=%220 -448 640 512%22/%3E")}
        <BLANKLINE>
    """
    drawn = sorted(outlines, key=lambda icon: (icon.family, icon.name))
    if not drawn:
        return ""
    elements = ":is(" + ",".join(f".{icon.family}.{icon.name}" for icon in drawn) + ")"
    rules = [
        "/* Written by docs/_ext/output/icons.py: the theme's Font Awesome icons as SVG",
        "   masks, so that no page downloads the icon fonts for them. */",
        f"{elements}{{font-family:inherit}}",
        (
            f'{elements}::before{{content:"";display:inline-block;height:1em;'
            "vertical-align:-0.125em;background-color:currentColor;"
            "-webkit-mask:var(--icon) center/contain no-repeat;"
            "mask:var(--icon) center/contain no-repeat}"
        ),
    ]
    for icon in drawn:
        box = _VIEW_BOX.search(outlines[icon])
        width = int(box[1]) / int(box[2]) if box else 1
        image = quote(outlines[icon], safe=" /=:-.,'")
        rules.append(
            f".{icon.family}.{icon.name}::before"
            f'{{width:{width:.4g}em;--icon:url("data:image/svg+xml,{image}")}}'
        )
    return "\n".join(rules) + "\n"


def drawn_by_stylesheets(static: Path) -> set[int]:
    r"""The icons that the stylesheets under ``static`` draw with the fonts in ``content``.

    pydata-sphinx-theme names its glyphs in ``--pst-icon-...`` variables
    (the GitHub logo before a link to GitHub), sphinx-book-theme writes one
    straight into a ``content`` (the arrow of the secondary sidebar); as a
    character or an escape. Font Awesome's own ``--fa`` classes are not
    counted: their icons are drawn as SVG where the pages use them.
    """
    points = set()
    for css in static.rglob("*.css"):
        if css.name == STYLESHEET or css.name.startswith("site-"):
            continue
        points |= pseudo_element_icons(css.read_text(encoding="utf-8"))
    return points


def unknown_classes(html: str, known: set[str]) -> set[str]:
    """The ``fa-`` classes of ``html`` that the theme's stylesheet does not define.

    Examples:
        >>> sorted(unknown_classes('<i class="fa-solid fa-barz fa-lg"></i>', {"fa-solid", "fa-lg"}))
        ['fa-barz']
    """
    return {
        name
        for attribute in _CLASS_ATTRIBUTE.findall(html)
        for name in attribute.split()
        if name.startswith("fa-") and name not in known
    }


def _write_stylesheet(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    theme_css = (outdir / _THEME_CSS).read_text(encoding="utf-8")
    points = code_points(theme_css)
    known = set(_FA_CLASS.findall(theme_css))
    used: set[Icon] = set()
    for page in own_pages(outdir):
        html = page.read_text(encoding="utf-8")
        used |= icons_used(html, set(points))
        for name in sorted(unknown_classes(html, known)):
            logger.warning(
                "%s uses the icon class %s, which the theme does not define",
                page.relative_to(outdir),
                name,
                type="autograd_guide",
                subtype="icons",
            )
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
    # What is left for the fonts: the icons the themes draw in pseudo-elements.
    drawn = drawn_by_stylesheets(outdir / "_static")
    for file in sorted(set(_FAMILIES.values())):
        subset_font(outdir / _FONTS / file, drawn)


def setup(app: Sphinx) -> dict[str, Any]:
    """Link every page to the icons' style sheet, written once the pages are."""
    app.add_css_file(STYLESHEET)
    app.connect("build-finished", _write_stylesheet)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

r"""Typeset the math when the site is built, as MathML, so pages load no math script.

Browsers draw MathML themselves (Chrome and Edge since 109, Firefox, Safari)
and expose it to screen readers as math. Doing it at build time keeps
MathJax's script (257 KiB gzipped) and its fonts off every page, and the text
no longer moves when a script typesets the math after the page has painted.
The TeX is converted by ``latex2mathml``; each formula keeps its TeX source in
``alttext`` for readers whose assistive technology does not read MathML.
A display formula wider than a phone's screen scrolls inside its box, which
``mathml.js`` makes a tab stop, so that keyboard users can scroll it too.

``latex2mathml`` writes a function name such as ``\cos`` as a plain ``<mi>``,
which browsers set flush against its neighbours ("3cos2"); TeX puts a thin
space between an operator name and the ordinary symbols beside it.
:func:`space_operator_names` adds those spaces.

A formula that ``latex2mathml`` cannot convert fails the build, naming the page.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path
from typing import Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number
from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

_NAMESPACE = ' xmlns="http://www.w3.org/1998/Math/MathML"'
# TeX's thin space, \, : what it puts between an operator name and an ordinary symbol.
_THIN_SPACE = "0.1667em"
# Names TeX sets upright as operators (\sin, \max, ...); \operatorname{...}
# comes out of latex2mathml as an <mo> holding letters, which counts too.
_OPERATOR_NAMES = frozenset(
    {"arccos", "arcsin", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg", "det"}
    | {"dim", "exp", "gcd", "hom", "inf", "ker", "lg", "lim", "liminf", "limsup", "ln", "log"}
    | {"max", "min", "Pr", "sec", "sin", "sinh", "sup", "tan", "tanh"}
)
# Elements whose children are set in a row, one after another.
_ROWS = frozenset({"math", "mrow", "mtd", "msqrt", "mstyle", "mpadded", "mphantom", "menclose"})
# Elements whose first child is the symbol they decorate: x_i, \max_i, \hat x.
_SCRIPTED = frozenset({"msub", "msup", "msubsup", "munder", "mover", "munderover"})
# Closing fences, after which TeX spaces an operator name as after a symbol: f(x)\sin y.
_CLOSING = frozenset(")]}|\u2016\u27e9")
# \mathrm{...} around letters only: a word set upright (d, softmax, out).
_MATHRM_WORD = re.compile(r"\\mathrm\{([A-Za-z]+)\}")
# TeX's escaped specials inside \text{...}: \_ \% \& \$ \# \{ \}.
_TEXT_ESCAPE = re.compile(r"\\([_%&$#{}])")
_LETTERS = re.compile(r"[A-Za-z]{2,}")


def _base(element: ET.Element) -> ET.Element:
    """The symbol that a scripted element decorates (``x`` of ``x_i``), else the element."""
    while element.tag in _SCRIPTED and len(element):
        element = element[0]
    return element


def _is_operator_name(element: ET.Element) -> bool:
    text = element.text or ""
    if element.tag == "mi":
        return text in _OPERATOR_NAMES
    return element.tag == "mo" and _LETTERS.fullmatch(text) is not None


def _spaced_before(symbol: ET.Element) -> bool:
    """Whether TeX puts a thin space between ``symbol`` and an operator name after it."""
    if symbol.tag == "mo":
        return (symbol.text or "") in _CLOSING
    return symbol.tag != "mspace"


def _thin_space() -> ET.Element:
    return ET.Element("mspace", width=_THIN_SPACE)


def space_operator_names(root: ET.Element) -> None:
    r"""Put TeX's thin spaces around the operator names (``\cos``, ``\max``) in ``root``.

    A space goes before the name unless it starts its row or follows an
    operator other than a closing fence (``=``, ``+``, ``(``), and after it
    unless it ends its row or an operator follows (``(``, ``+``). The name becomes an ``<mi>``, which
    browsers set upright and without the wide default spacing of an unknown
    ``<mo>``.

    Examples:
        >>> def spaced(mathml):
        ...     root = ET.fromstring(mathml)
        ...     space_operator_names(root)
        ...     return ET.tostring(root, encoding="unicode").replace(' width="0.1667em" /', "")
        >>> spaced("<math><mn>3</mn><mi>cos</mi><mn>2</mn></math>")
        '<math><mn>3</mn><mspace><mi>cos</mi><mspace><mn>2</mn></math>'
        >>> spaced("<math><mi>f</mi><mo>=</mo><mi>sin</mi><mo>(</mo><mi>x</mi><mo>)</mo></math>")
        '<math><mi>f</mi><mo>=</mo><mi>sin</mi><mo>(</mo><mi>x</mi><mo>)</mo></math>'
        >>> spaced("<math><msub><mo>max</mo><mi>i</mi></msub><mi>z</mi></math>")
        '<math><msub><mi>max</mi><mi>i</mi></msub><mspace><mi>z</mi></math>'
    """
    for row in [element for element in root.iter() if element.tag in _ROWS]:
        children = list(row)
        if not any(_is_operator_name(_base(child)) for child in children):
            continue
        spaced: list[ET.Element] = []
        for index, child in enumerate(children):
            name = _base(child)
            if not _is_operator_name(name):
                spaced.append(child)
                continue
            name.tag = "mi"
            name.attrib.clear()
            before = children[index - 1] if index else None
            after = children[index + 1] if index + 1 < len(children) else None
            if before is not None and _spaced_before(_base(before)):
                spaced.append(_thin_space())
            spaced.append(child)
            if after is not None and _base(after).tag not in {"mo", "mspace"}:
                spaced.append(_thin_space())
        row[:] = spaced


def _upright_words(tex: str) -> str:
    r"""``tex`` with each ``\mathrm{word}`` as ``\text{word}``.

    latex2mathml writes ``\mathrm{softmax}`` as seven one-letter ``<mi>``s,
    which screen readers spell out, and ``\mathrm{d}`` as an italic d; as
    ``\text``, a word stays one upright word.

    Examples:
        >>> _upright_words(r"\mathrm{d}x + \mathrm{softmax}(z)_i")
        '\\text{d}x + \\text{softmax}(z)_i'
    """
    return _MATHRM_WORD.sub(r"\\text{\1}", tex)


def to_mathml(tex: str, *, display: bool) -> str:
    r"""The MathML of ``tex``, with its source as ``alttext``; ValueError if it does not convert.

    Examples:
        >>> to_mathml(r"\frac{a}{b}", display=False)
        '<math display="inline" alttext="\\frac{a}{b}"><mrow><mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac></mrow></math>'
        >>> to_mathml(r"\text{max\_norm}", display=True)
        '<math display="block" alttext="\\text{max\\_norm}"><mrow><mtext>max_norm</mtext></mrow></math>'
        >>> to_mathml(r"\frac{1}{", display=True)
        Traceback (most recent call last):
        ...
        ValueError: latex2mathml cannot convert '\\frac{1}{': NoAvailableTokensError
    """
    try:
        converted = convert(_upright_words(tex), display="block" if display else "inline")
        root = ET.fromstring(converted.replace(_NAMESPACE, "", 1))
    except Exception as error:  # latex2mathml raises its own errors and plain ones alike
        msg = f"latex2mathml cannot convert {tex!r}: {str(error) or type(error).__name__}"
        raise ValueError(msg) from error
    for text in root.iter("mtext"):  # latex2mathml keeps \text{max\_norm}'s escapes
        text.text = _TEXT_ESCAPE.sub(r"\1", text.text or "")
    if any("\\" in text for text in root.itertext()):
        msg = f"latex2mathml left TeX in the MathML of {tex!r}: {converted}"
        raise ValueError(msg)
    space_operator_names(root)
    root.set("alttext", " ".join(tex.split()))
    return ET.tostring(root, encoding="unicode")


def _converted(node: nodes.Element, tex: str, *, display: bool) -> str:
    """The MathML of ``tex``; if it does not convert, a warning (an error under ``-W``)."""
    try:
        return to_mathml(tex, display=display)
    except ValueError as error:
        logger.warning("%s", error, location=node, type="autograd_guide", subtype="mathml")
        return f'<code class="math-error">{escape(tex)}</code>'


def _visit_inline(self: HTML5Translator, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    self.body.append(_converted(node, node.astext(), display=False))
    self.body.append("</span>")
    raise nodes.SkipNode


def _visit_block(self: HTML5Translator, node: nodes.math_block) -> None:
    self.body.append(self.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        number = get_node_equation_number(self, node)
        self.body.append(f'<span class="eqno">({number})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    # Sphinx's convention: equations separated by a blank line are set one under another.
    parts = [part for part in node.astext().split("\n\n") if part.strip()]
    for part in parts:
        self.body.append(_converted(node, part, display=True))
    self.body.append("</div>\n")
    raise nodes.SkipNode


def _add_static_path(app: Sphinx, config: Config) -> None:
    static = Path(__file__).parent / "mathml_static"
    config.html_static_path.append(os.path.relpath(static, app.confdir))


def _add_script(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    # As sphinx.ext.mathjax decides: the math visitors set this on a page with formulas.
    if context.get("has_maths_elements"):
        app.add_js_file("mathml.js", loading_method="defer")


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the renderer (``html_math_renderer = "mathml"`` selects it) and its style sheet."""
    app.add_html_math_renderer("mathml", (_visit_inline, None), (_visit_block, None))
    app.connect("config-inited", _add_static_path)
    app.connect("html-page-context", _add_script)
    app.add_css_file("mathml.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}

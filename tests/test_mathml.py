"""The math written as MathML at build time (docs/_ext/output/mathml.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from output.mathml import space_operator_names, to_mathml
from sites import EXT, sphinx, write_files

CONF = f"""
import sys
sys.path.insert(0, {str(EXT)!r})
project = "Math"
extensions = ["myst_parser", "output.mathml"]
myst_enable_extensions = ["dollarmath", "amsmath"]
html_math_renderer = "mathml"
"""
PAGE = r"""# Math

Inline $3\cos 2 = f(x)$ and a numbered equation:

$$
J = \begin{pmatrix} x_2 & x_1 \\ 0 & 1 \end{pmatrix}
$$ (jacobian)

See {eq}`jacobian`.

$$
a = 1

b = 2
$$
"""
DOCS = Path(__file__).resolve().parents[1] / "docs"


def row(tex: str) -> str:
    """The tags of a formula's MathML in order, spaces as ``_``: ``mn _ mi _ mn``."""
    root = ET.fromstring(to_mathml(tex, display=False))
    tags = [element.tag for element in root.iter() if element.tag not in {"math", "mrow"}]
    return " ".join("_" if tag == "mspace" else tag for tag in tags)


def build(tmp_path: Path, page: str) -> tuple[int, str, Path]:
    source = write_files(tmp_path / "source", {"conf.py": CONF, "index.md": page})
    built = sphinx(source)
    return built.returncode, built.stdout + built.stderr, tmp_path / "html"


@pytest.mark.parametrize(
    ("tex", "tags"),
    [
        # TeX: a thin space between an ordinary symbol and an operator name, both sides.
        (r"3\cos 2", "mn _ mi _ mn"),
        (r"\cos\theta", "mi _ mi"),
        # None before an opening parenthesis, nor after a relation or a binary operator.
        (r"\sin(x)", "mi mo mi mo"),
        (r"y = \log x", "mi mo mi _ mi"),
        (r"a + \exp(b)", "mi mo mi mo mi mo"),
        # After a closing parenthesis, as after a symbol.
        (r"f(x)\tanh y", "mi mo mi mo _ mi _ mi"),
        # A scripted name (\max_i) is spaced as the name; \operatorname counts.
        (r"\max_i z_i", "msub mi mi _ msub mi mi"),
        (r"\operatorname{diag}(x)", "mi mo mi mo"),
        # Letters that are not an operator name are left alone.
        (r"xy", "mi mi"),
    ],
)
def test_operator_names_are_spaced_as_tex_spaces_them(tex: str, tags: str) -> None:
    assert row(tex) == tags


def test_an_operator_name_becomes_an_upright_mi_without_the_mo_spacing() -> None:
    root = ET.fromstring("<math><mo lspace='1em'>diag</mo><mi>x</mi></math>")
    space_operator_names(root)
    name = root[0]
    assert (name.tag, name.attrib, name.text) == ("mi", {}, "diag")


@pytest.mark.parametrize(
    ("tex", "text"),
    [(r"\mathrm{d}x", ["d"]), (r"\mathrm{softmax}(z)_i", ["softmax"]), (r"\mathrm{out}", ["out"])],
)
def test_an_upright_word_stays_one_word(tex: str, text: list[str]) -> None:
    root = ET.fromstring(to_mathml(tex, display=False))
    assert [element.text for element in root.iter("mtext")] == text
    assert not [element for element in root.iter("mi") if element.get("mathvariant")]


def test_the_tex_source_is_the_alt_text_with_whitespace_collapsed() -> None:
    mathml = to_mathml("a\n  + b", display=True)
    assert ET.fromstring(mathml).attrib == {"display": "block", "alttext": "a + b"}


@pytest.mark.parametrize("tex", [r"\frac{1}{", r"\unknowncommand x"])
def test_tex_that_does_not_convert_cleanly_is_refused(tex: str) -> None:
    with pytest.raises(ValueError, match="latex2mathml"):
        to_mathml(tex, display=False)


def test_every_formula_of_the_site_converts() -> None:
    """Each $...$ and $$...$$ of the pages, read straight from their sources."""
    formulas = []
    for page in sorted(DOCS.rglob("*.md")):
        text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
        text = re.sub(r"`[^`\n]*`", "", text)
        formulas += re.findall(r"\$\$(.+?)\$\$", text, flags=re.DOTALL)
        formulas += re.findall(
            r"(?<!\$)\$([^$\n]+)\$(?!\$)", re.sub(r"\$\$.+?\$\$", "", text, flags=re.DOTALL)
        )
    assert len(formulas) > 1000
    for tex in formulas:
        for part in tex.split("\n\n"):
            if part.strip():
                to_mathml(part, display=True)


@pytest.mark.slow
def test_a_page_gets_mathml_and_no_math_script(tmp_path: Path) -> None:
    status, log, html = build(tmp_path, PAGE)
    assert status == 0, log
    page = (html / "index.html").read_text(encoding="utf-8")
    # No MathJax: the one script about math makes a formula that scrolls take focus.
    scripts = [tag for tag in re.findall(r"<script[^>]*>", page) if "math" in tag.lower()]
    assert len(scripts) == 1, scripts
    assert re.fullmatch(r'<script defer="defer" src="_static/mathml\.js\?v=\w+">', scripts[0])
    # A page without formulas does without it.
    assert "mathml.js" not in (html / "genindex.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" type="text/css" href="_static/mathml.css' in page
    assert (html / "_static" / "mathml.css").is_file()
    inline = re.search(
        r'<span class="math notranslate nohighlight"><math display="inline" '
        r'alttext="3\\cos 2 = f\(x\)">',
        page,
    )
    assert inline is not None, page
    # The numbered equation: its number, its anchor for {eq}, and the reference to it.
    assert re.search(
        r'<div class="math notranslate nohighlight" id="equation-jacobian">\s*'
        r'<span class="eqno">\(1\)',
        page,
    ), page
    assert 'href="#equation-jacobian"' in page
    # Two equations separated by a blank line: two formulas, one under the other.
    assert page.count('alttext="a = 1"') == page.count('alttext="b = 2"') == 1


@pytest.mark.slow
def test_tex_that_does_not_convert_fails_the_build_naming_the_page(tmp_path: Path) -> None:
    status, log, _ = build(tmp_path, "# Math\n\nBroken $\\frac{1}{$ here.\n")
    assert status != 0
    assert re.search(
        r"index\.md:\d+: WARNING: latex2mathml cannot convert '\\\\frac\{1\}\{'", log
    ), log

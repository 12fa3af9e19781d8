"""The interface around the pages is in each edition's language (docs/_ext/editions/interface_language.py)."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from editions.interface_language import HARD_CODED, catalog_path, english_interface_text
from sites import EXT, NOTEBOOK_HEADER, sphinx

DOCS = EXT.parent
LANGUAGES = sorted(
    path.name for path in (DOCS / "locales").iterdir() if path.is_dir() and path.name != "en"
)
# myst-nb's labels for hidden cells ("Show code cell {type}"), which hidden_cells translates.
MYST_NB_PROMPTS = [
    f"{verb} code cell {kind}"
    for verb in ("Show", "Hide")
    for kind in ("content", "source", "outputs")
]


def string_constants(tree: ast.Module) -> dict[str, str]:
    """The module's ``NAME = "text"`` assignments."""
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def translated_strings() -> set[str]:
    """Every text the guide's extensions pass to ``translate``, literally or by constant."""
    found = set()
    for module in EXT.rglob("*.py"):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        constants = string_constants(tree)
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "translate"
                and node.args
            ):
                continue
            argument = node.args[0]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.add(argument.value)
            elif isinstance(argument, ast.Name) and argument.id in constants:
                found.add(constants[argument.id])
    # conf.py's texts that interface_language translates.
    configured = string_constants(ast.parse((DOCS / "conf.py").read_text(encoding="utf-8")))
    return found | {configured["html_title"], configured["copyright"]}


def read_catalog(language: str) -> Catalog:
    with catalog_path(DOCS, language).open("rb") as file:
        return read_po(file)


def test_the_extensions_ask_for_their_strings_through_translate() -> None:
    # If this set shrank to nothing the test below would check nothing.
    assert {"Show solution {number}", "Pages under {title}"} <= translated_strings()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_interface_string_has_a_translation(language: str) -> None:
    catalog = read_catalog(language)
    wanted = translated_strings() | {msgid for *_, msgid in HARD_CODED} | set(MYST_NB_PROMPTS)
    missing = sorted(text for text in wanted if not (catalog.get(text) and catalog[text].string))
    assert not missing, f"{catalog_path('docs', language)} lacks: {missing}"
    fuzzy = [message.id for message in catalog if message.id and message.fuzzy]
    assert not fuzzy, f"fuzzy: {fuzzy}"


@pytest.mark.parametrize(("template", "markup", "msgid"), HARD_CODED)
def test_the_theme_still_writes_each_hard_coded_string(
    template: str, markup: str, msgid: str
) -> None:
    # The extension replaces this markup in the written pages: if a theme
    # release changes it, the replacement silently stops; this test does not.
    package, _, rest = template.partition("/")
    spec = importlib.util.find_spec(package)
    assert spec is not None, f"{package} is not installed"
    assert spec.origin is not None
    path = Path(spec.origin).parent / "theme" / package / rest
    assert path.exists(), f"{package} no longer has {rest}"
    assert markup in path.read_text(encoding="utf-8"), f"{path} no longer writes {markup}"


def test_english_interface_text_is_found_outside_the_article_and_in_toggles() -> None:
    page = """
    <nav aria-label="Main"><a href="a.html">数学原理</a><button title="Toggle sidebar">
    </button></nav>
    <article>
      <p>Prose of the page, translated or not, is the page's business.</p>
      <details><summary><span>Show solution 1</span></summary><pre>x = 1</pre></details>
      <span class="math">\\(x \\in \\mathbb{R}\\)</span>
    </article>
    <footer><code>print(x)</code> autograd_guide torch.func Colab <img alt="Colab 徽标"></footer>
    """
    assert english_interface_text(page) == ["Main", "Toggle sidebar", "Show solution 1"]
    assert english_interface_text("<nav><a>搜索</a> <kbd>Ctrl</kbd> Binder</nav>") == []


def solution_page(tmp_path: Path) -> Path:
    source = tmp_path / "docs"
    (source / "locales").mkdir(parents=True)
    for language in LANGUAGES:
        folder = source / "locales" / language
        folder.mkdir()
        (folder / "interface.po").write_bytes(catalog_path(DOCS, language).read_bytes())
    (source / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(EXT)!r})\n"
        "extensions = ['editions.interface_language', 'myst_nb', 'output.hidden_cells']\n"
        "nb_execution_mode = 'off'\n"
        # Nothing runs, so no kernel names the cells' language.
        # The default theme's interface has no translation here: only the toggles count.
        "suppress_warnings = ['myst-nb.lexer', 'autograd_guide.interface_language']\n"
        "locale_dirs = ['locales']\n",
        encoding="utf-8",
    )
    (source / "index.md").write_text(
        NOTEBOOK_HEADER + "# Page\n\n1. An exercise.\n\n"
        "```{code-cell} ipython3\n:tags: [hide-cell]\n# Solution 1\nassert True\n```\n\n"
        "```{code-cell} ipython3\n:tags: [hide-input]\nx = 1\n```\n",
        encoding="utf-8",
    )
    return source


def test_solution_toggles_name_the_solution_in_each_language(tmp_path: Path) -> None:
    source = solution_page(tmp_path)
    english = sphinx(source, "-b", "html", output=tmp_path / "en")
    assert english.returncode == 0, english.stderr
    html = (tmp_path / "en" / "index.html").read_text(encoding="utf-8")
    assert "Show solution 1" in html
    assert "Hide solution 1" in html
    assert "Show code cell source" in html  # an ordinary hidden cell keeps myst-nb's label
    chinese = sphinx(source, "-b", "html", "-D", "language=zh_CN", output=tmp_path / "zh")
    assert chinese.returncode == 0, chinese.stderr
    html = (tmp_path / "zh" / "index.html").read_text(encoding="utf-8")
    assert "显示练习 1 的参考答案" in html
    assert "显示代码单元格源码" in html
    assert "Show solution" not in html
    assert "Show code cell" not in html

"""The guide's templates (docs/_templates) on a small site with the guide's theme settings."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sites import INTERFACE_STAND_IN, sphinx, write_files

DOCS = Path(__file__).resolve().parents[1] / "docs"
CONF = f"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).parent))  # _ext.py
project = "Templates"
extensions = ["myst_parser", "_ext"]
html_theme = "sphinx_book_theme"
templates_path = [{str(DOCS / "_templates")!r}]
html_static_path = [{str(DOCS / "_static")!r}]
html_css_files = ["search-field.css"]
html_context = {{"default_mode": "auto"}}
html_theme_options = {{"navbar_persistent": []}}
"""
SEARCH_SCRIPTS = ("searchtools.js", "language_data.js", "searchindex.js")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built site of one page, with the index and search pages Sphinx adds."""
    source = write_files(
        tmp_path_factory.mktemp("templates") / "source",
        {"conf.py": CONF, "index.md": "# A page\n\nSome text.\n", "_ext.py": INTERFACE_STAND_IN},
    )
    built = sphinx(source)
    assert built.returncode == 0, built.stdout + built.stderr
    return source.parent / "html"


def forms(page: str) -> list[str]:
    """Every search form of a page, as written."""
    return re.findall(r'<form class="bd-search.*?</form>', page, flags=re.DOTALL)


@pytest.mark.slow
def test_only_the_search_page_loads_the_search_scripts(site: Path) -> None:
    page = (site / "index.html").read_text(encoding="utf-8")
    search = (site / "search.html").read_text(encoding="utf-8")
    assert [script for script in SEARCH_SCRIPTS if script in page] == []
    assert [script for script in SEARCH_SCRIPTS if script in search] == list(SEARCH_SCRIPTS)


@pytest.mark.slow
def test_every_search_form_has_a_submit_button_after_its_field(site: Path) -> None:
    for name, count in (("index.html", 1), ("search.html", 2)):
        found = forms((site / name).read_text(encoding="utf-8"))
        assert len(found) == count, (name, found)
        for form in found:
            # After the field: opening the dialog focuses the first thing that takes focus.
            assert form.index('<input type="search"') < form.index('<button type="submit"'), form
            assert 'aria-label="[Search]"' in form, form
            assert "fa-magnifying-glass" in form, form


@pytest.mark.slow
def test_the_print_heading_of_a_generated_page_is_its_title(site: Path) -> None:
    page = (site / "genindex.html").read_text(encoding="utf-8")
    heading = re.search(r'id="jb-print-docs-body"[^>]*>\s*<h1>(.*?)</h1>', page)
    assert heading is not None
    assert heading[1] == "Index"


@pytest.mark.slow
def test_scripts_in_the_head_are_deferred_and_keep_their_order(site: Path) -> None:
    for name in ("index.html", "search.html"):
        head = (site / name).read_text(encoding="utf-8").split("</head>")[0]
        scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", head)
        blocking = [tag for tag in scripts if " defer" not in tag]
        assert blocking == [], name
        names = [re.search(r'src="[^"]*?([\w.-]+\.js)', tag)[1] for tag in scripts]  # type: ignore[index]
        assert names.index("documentation_options.js") < names.index("doctools.js"), names
        # The inline scripts that set its options wait for it, as modules, in order.
        assert "<script>DOCUMENTATION_OPTIONS." not in head, name
        assert head.index("documentation_options.js") < head.index(
            '<script type="module">DOCUMENTATION_OPTIONS.pagename'
        ), name
    # The search scripts need doctools.js: deferred too, they run after it.
    assert (
        names.index("doctools.js") < names.index("searchtools.js") < names.index("searchindex.js")
    )


def test_the_site_links_every_stylesheet_of_docs_static() -> None:
    # search-field.css places the search button; scrollbar.css keeps the columns
    # from moving when the scrollbar appears (tests/browser/test_scrollbar_in_chromium.py).
    conf = ast.parse((DOCS / "conf.py").read_text(encoding="utf-8"))
    (linked,) = [
        ast.literal_eval(node.value)
        for node in conf.body
        if isinstance(node, ast.Assign)
        and [getattr(target, "id", None) for target in node.targets] == ["html_css_files"]
    ]
    assert sorted(linked) == sorted(path.name for path in (DOCS / "_static").glob("*.css"))

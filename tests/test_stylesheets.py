"""One stylesheet per page (docs/_ext/output/stylesheets.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from output.stylesheets import bundle
from sites import EXT, INTERFACE_STAND_IN, sphinx, write_files

DOCS = Path(__file__).resolve().parents[1] / "docs"
CONF = f"""
import sys
from pathlib import Path
sys.path.insert(0, {str(EXT)!r})
sys.path.insert(0, str(Path(__file__).parent))  # _ext.py
project = "Bundle"
extensions = ["myst_parser", "sphinx_copybutton", "output.stylesheets", "_ext"]
html_theme = "sphinx_book_theme"
templates_path = [{str(DOCS / "_templates")!r}]
html_static_path = ["_static"]
html_css_files = ["own.css", ("print.css", {{"media": "print"}}), ("alt.css", {{"title": "Alt"}})]
html_context = {{"default_mode": "auto"}}
"""


def test_imports_are_inlined_urls_rebased_and_media_kept(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "_static/theme.css": '@import "base.css";\n.t{background:url(img/t.png)}',
            "_static/base.css": ".b{src:url('fonts/f.woff2')}\n/*# sourceMappingURL=base.css.map */",
            "_static/print.css": ".p{color:black}",
        },
    )
    files = (("_static/theme.css", ""), ("_static/print.css", "print"))
    css = bundle(tmp_path, "_static/styles/site-x.css", files)
    assert css == (
        "/* _static/theme.css */\n"
        ".b{src:url('../fonts/f.woff2')}\n\n"
        ".t{background:url(../img/t.png)}\n"
        "/* _static/print.css */\n"
        "@media print{\n.p{color:black}\n}\n"
    )


def test_an_import_cycle_is_refused(tmp_path: Path) -> None:
    write_files(
        tmp_path, {"_static/a.css": '@import "b.css";', "_static/b.css": '@import "a.css";'}
    )
    with pytest.raises(ValueError, match=r"_static/a.css imports itself"):
        bundle(tmp_path, "_static/styles/site-x.css", (("_static/a.css", ""),))


def test_an_import_from_another_host_is_refused(tmp_path: Path) -> None:
    write_files(tmp_path, {"_static/a.css": '@import url("https://cdn.example.org/x.css");'})
    with pytest.raises(ValueError, match="not a file of the site"):
        bundle(tmp_path, "_static/styles/site-x.css", (("_static/a.css", ""),))


@pytest.mark.slow
def test_a_page_links_one_bundle_of_its_stylesheets_in_their_order(tmp_path: Path) -> None:
    source = tmp_path / "source"
    write_files(
        source,
        {
            "conf.py": CONF,
            "index.md": "# A page\n\nSome text.\n",
            "_static/own.css": ".own{color:red}",
            "_static/print.css": ".printed{color:black}",
            "_static/alt.css": ".alt{color:blue}",
            # interface() comes from the guide's extension; a stand-in gives it here,
            # with a stylesheet added late, as sphinx-design does, but by priority
            # before the site's own.
            "_ext.py": INTERFACE_STAND_IN
            + "    app.connect('builder-inited', lambda app: app.add_css_file('late.css'))\n",
            "_static/late.css": ".late{color:green}",
        },
    )
    built = sphinx(source)
    assert built.returncode == 0, built.stdout + built.stderr
    html = tmp_path / "html"
    head = (html / "index.html").read_text(encoding="utf-8").split("</head>")[0]
    links = re.findall(r"<link[^>]*stylesheet[^>]*>", head)
    # The bundle, then the stylesheet with a title, which stays a link of its own.
    assert len(links) == 2, links
    # Its address changes with its content.
    assert re.search(r'href="_static/styles/site-[0-9a-f]{10}\.css\?v=[0-9a-f]{8}"', links[0]), (
        links
    )
    assert 'href="_static/alt.css' in links[1], links
    name = re.search(r"site-[0-9a-f]{10}\.css", links[0])
    assert name is not None
    css = (html / "_static" / "styles" / name[0]).read_text(encoding="utf-8")
    order = [
        "/* _static/styles/theme.css */",
        "/* _static/styles/pydata-sphinx-theme.css */",
        "/* _static/pygments.css */",
        "/* _static/copybutton.css */",
        "/* _static/late.css */",
        "/* _static/own.css */",
        "/* _static/print.css */\n@media print{\n.printed{color:black}",
    ]
    positions = [css.index(part) for part in order]
    assert positions == sorted(positions), positions
    assert "@import" not in css
    # basic.css, which theme.css imported, is in it; the search page links the same bundle.
    assert "div.clearer" in css
    search = (html / "search.html").read_text(encoding="utf-8")
    assert name[0] in search

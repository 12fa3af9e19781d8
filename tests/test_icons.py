"""The theme's icons drawn as SVG masks instead of Font Awesome's fonts (docs/_ext/output/icons.py)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from fontTools.ttLib import TTFont

from output.icons import Icon, code_points, drawn_by_stylesheets, icons_used
from sites import EXT, sphinx, write_files

CONF = f"""
import sys
sys.path.insert(0, {str(EXT)!r})
project = "Icons"
extensions = ["myst_parser", "output.icons"]
html_theme = "sphinx_book_theme"
html_theme_options = {{"repository_url": "https://github.com/example/repo", "use_repository_button": True}}
"""
MASK = re.compile(
    r'\.(fa[a-z-]*)\.(fa-[a-z0-9-]+)::before\{width:[0-9.]+em;--icon:url\("data:image/svg\+xml,([^"]+)"\)\}'
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = write_files(
        tmp_path_factory.mktemp("icons") / "source",
        {"conf.py": CONF, "index.md": "# Icons\n\nA page.\n"},
    )
    built = sphinx(source)
    assert built.returncode == 0, built.stdout + built.stderr
    return source.parent / "html"


def test_code_points_are_read_from_every_selector_of_a_rule() -> None:
    css = '.fa-a,.fa-b{--fa:"\\f001"}.x .fa-c{--fa:"\\f002"}.fa-d{color:red}'
    assert code_points(css) == {"fa-a": 0xF001, "fa-b": 0xF001}


def test_an_icon_is_drawn_in_the_font_its_family_class_picks_and_none_without_one() -> None:
    html = '<i class="fa-bars"></i><span class="fab fa-github x"></span><i class="fa fa-list"></i>'
    assert icons_used(html, {"fa-bars", "fa-github", "fa-list"}) == {
        Icon("fab", "fa-github"),
        Icon("fa", "fa-list"),
    }


@pytest.mark.slow
def test_every_icon_of_the_pages_has_an_outline_and_no_page_uses_the_fonts(site: Path) -> None:
    css = (site / "_static" / "icons.css").read_text(encoding="utf-8")
    masks = {(family, name): unquote(svg) for family, name, svg in MASK.findall(css)}
    page = (site / "index.html").read_text(encoding="utf-8")
    used = icons_used(
        page,
        set(
            code_points(
                (site / "_static" / "styles" / "pydata-sphinx-theme.css").read_text(
                    encoding="utf-8"
                )
            )
        ),
    )
    assert Icon("fab", "fa-github") in used  # the repository button
    assert {(icon.family, icon.name) for icon in used} <= set(masks)
    for svg in masks.values():
        assert re.fullmatch(
            r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 -\d+ \d+ \d+">'
            r'<path transform="scale\(1 -1\)" d="M[^"]+Z"/></svg>',
            svg,
        ), svg
    # Different icons, different outlines: each came from its own glyph.
    assert len(set(masks.values())) == len(masks)
    # The icon elements no longer draw text in the icon font.
    assert "{font-family:inherit}" in css
    assert 'content:""' in css
    assert page.index("pydata-sphinx-theme.css") < page.index("_static/icons.css")


@pytest.mark.slow
def test_the_fonts_keep_only_the_glyphs_the_theme_draws_in_pseudo_elements(site: Path) -> None:
    drawn = drawn_by_stylesheets(site / "_static")
    assert 0xF09B in drawn  # pydata-sphinx-theme's GitHub logo before a link to GitHub
    assert 0xF107 in drawn  # sphinx-book-theme's arrow of the hidden secondary sidebar
    fonts = site / "_static" / "vendor" / "fontawesome" / "webfonts"
    brands = TTFont(fonts / "fa-brands-400.woff2")
    assert 0xF09B in brands.getBestCmap()  # kept: its link has no other icon
    kept = set()
    for font in fonts.glob("*.woff2"):
        kept |= set(TTFont(font).getBestCmap())
        assert set(TTFont(font).getBestCmap()) <= drawn, font.name
        assert font.stat().st_size < 4096, font.name
    # Every glyph drawn in a pseudo-element is still in one of the fonts.
    assert kept >= {0xF09B, 0xF107}


@pytest.mark.slow
def test_a_second_build_in_the_same_folder_draws_every_icon_again(site: Path) -> None:
    """The fonts are cut down after the first build; the next one reads the theme's again."""
    before = (site / "_static" / "icons.css").read_text(encoding="utf-8")
    built = sphinx(site.parent / "source")
    assert built.returncode == 0, built.stdout + built.stderr
    assert (site / "_static" / "icons.css").read_text(encoding="utf-8") == before


@pytest.mark.slow
def test_an_icon_class_the_theme_does_not_define_fails_the_build(tmp_path: Path) -> None:
    page = '# Icons\n\n<i class="fa-solid fa-barz"></i> A typo.\n'
    source = write_files(tmp_path / "source", {"conf.py": CONF, "index.md": page})
    built = sphinx(source)
    assert built.returncode != 0
    assert "index.html uses the icon class fa-barz, which the theme does not define" in built.stderr

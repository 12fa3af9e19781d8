"""Page descriptions: the opening paragraph, shortened for search results and link previews."""

from __future__ import annotations

from pathlib import Path

from output.page_description import MAX_LENGTH, shorten
from sites import EXT, sphinx


def test_a_short_paragraph_is_kept_with_its_whitespace_collapsed() -> None:
    assert (
        shorten("Track  operations\nwith requires_grad.") == "Track operations with requires_grad."
    )


def test_a_long_paragraph_is_cut_at_a_word_and_marked() -> None:
    text = "word " * 100
    short = shorten(text)
    assert len(short) <= MAX_LENGTH
    assert short.endswith("word…")


def test_link_previews_get_the_opening_paragraph_without_stray_spaces(tmp_path: Path) -> None:
    source = tmp_path / "docs"
    source.mkdir()
    (source / "conf.py").write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(EXT)!r})\n"
        "extensions = ['output.page_description', 'sphinxext.opengraph']\n"
        "ogp_site_url = 'https://example.org/guide/'\n"
        "ogp_social_cards = {'enable': False}\n",
        encoding="utf-8",
    )
    (source / "index.rst").write_text(
        "标题\n====\n\n只需读过“`另一页 <other.html>`_”并了解偏导数即可。\n\n第二段不属于描述。\n",
        encoding="utf-8",
    )
    result = sphinx(source, "-b", "html", output=tmp_path / "html")
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "html" / "index.html").read_text(encoding="utf-8")
    wanted = "只需读过“另一页”并了解偏导数即可。"
    assert f'<meta name="description" content="{wanted}" />' in page
    assert f'<meta property="og:description" content="{wanted}" />' in page
    assert '<meta property="og:url" content="https://example.org/guide/index.html" />' in page

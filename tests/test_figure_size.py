"""A figure that a cell draws may weigh at most 100 KiB, SVG or PNG."""

from __future__ import annotations

import re
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

import pytest

from checks.figure_size import MAX_FIGURE_BYTES, figure_file
from sites import NOTEBOOK_HEADER, figure_site, sphinx


def figure(code: str) -> str:
    alt = "---\nmystnb:\n  image:\n    alt: A figure.\n---\n"
    return f"```{{code-cell}} ipython3\n{alt}{code}\n```\n\n"


# An SVG of {} dots, 15 bytes each.
SVG = (
    "from IPython.display import SVG\n"
    "SVG('<svg xmlns=\"http://www.w3.org/2000/svg\">' + '<circle r=\"1\"/>' * {} + '</svg>')"
)
# A PNG's signature and enough bytes after it: the browser would download them all.
PNG = "from IPython.display import Image\nImage(data=b'\\x89PNG\\r\\n\\x1a\\n' + bytes({}), format='png')"


def test_the_limit_is_100_kib() -> None:
    assert MAX_FIGURE_BYTES == 100 * 1024


def in_a_folder_too(source: Path) -> Path:
    """Copy the site's page into a folder of the site, as the guide's pages are; return it."""
    folder = source / "part"
    folder.mkdir()
    (folder / "page.md").write_text((source / "page.md").read_text(encoding="utf-8"))
    (source / "index.md").write_text(
        NOTEBOOK_HEADER + "# Site\n\n```{toctree}\npage\npart/page\n```\n", encoding="utf-8"
    )
    return folder / "page.md"


@pytest.mark.slow
def test_a_figure_over_100_kib_fails_the_build_naming_page_cell_and_size(tmp_path: Path) -> None:
    cells = (
        figure(SVG.format(8_000))  # line 13, about 117 KiB
        + figure(PNG.format(120_000))  # line 23: 120,008 bytes
        + figure(SVG.format(6_800))  # line 33: just under the limit
    )
    source = figure_site(tmp_path, ["checks.image_alt", "checks.figure_size"], cells)
    in_a_folder_too(source)
    result = sphinx(source, "-q")
    assert result.returncode != 0
    for page in (source / "page.md", source / "part" / "page.md"):
        heavy = re.findall(
            rf"^{re.escape(str(page))}:(\d+): WARNING: the figure this cell draws weighs"
            r" ([\d.]+ KiB), over the 100.0 KiB a figure may weigh",
            result.stderr,
            re.MULTILINE,
        )
        assert [line for line, _ in heavy] == ["13", "23"], result.stderr
        assert heavy[1][1] == "117.2 KiB"
    assert result.stderr.count("[autograd_guide.figure_size]") == 4, result.stderr
    # Nothing changed, and the next build still fails: the page is read again.
    assert sphinx(source, "-q").returncode != 0


@pytest.mark.slow
def test_a_figure_whose_file_is_missing_fails_the_build_naming_page_and_cell(
    tmp_path: Path,
) -> None:
    # An image in a cell's output whose file is not there: its size cannot be
    # checked, and the check says so instead of passing it.
    missing = "from IPython.display import Markdown\nMarkdown('![A figure.](missing.png)')"
    source = figure_site(tmp_path, ["checks.figure_size"], figure(missing))
    page = in_a_folder_too(source)
    result = sphinx(source, "-q")
    assert result.returncode != 0
    assert (
        f"{page}:13: WARNING: the figure this cell draws is not at {source / 'part' / 'missing.png'},"
        " so its size could not be checked [autograd_guide.figure_size]" in result.stderr
    ), result.stderr


@pytest.mark.parametrize(
    ("uri", "source", "expected"),
    [
        # As Sphinx's image collector leaves myst-nb's address: from the source folder.
        (
            "../build/jupyter_execute/a.svg",
            PurePosixPath("/site/docs"),
            "/site/docs/../build/jupyter_execute/a.svg",
        ),
        # As myst-nb gives it: from the source folder too, marked by a slash.
        (
            "/../build/jupyter_execute/a.svg",
            PurePosixPath("/site/docs"),
            "/site/docs/../build/jupyter_execute/a.svg",
        ),
        # On Windows, as myst-nb gives it (no relative path crosses drives) and
        # as the collector leaves it, relative on the same drive.
        (
            "D:/build/jupyter_execute/a.svg",
            PureWindowsPath("C:/site/docs"),
            "D:/build/jupyter_execute/a.svg",
        ),
        (
            "C:/site/build/jupyter_execute/a.svg",
            PureWindowsPath("C:/site/docs"),
            "C:/site/build/jupyter_execute/a.svg",
        ),
        (
            "../build/jupyter_execute/a.svg",
            PureWindowsPath("C:/site/docs"),
            "C:/site/docs/../build/jupyter_execute/a.svg",
        ),
        (
            "/../build/jupyter_execute/a.svg",
            PureWindowsPath("C:/site/docs"),
            "C:/site/docs/../build/jupyter_execute/a.svg",
        ),
    ],
)
def test_a_figures_file_is_found_from_the_source_folder_or_where_it_names(
    uri: str, source: PurePath, expected: str
) -> None:
    assert figure_file(uri, source) == type(source)(expected)

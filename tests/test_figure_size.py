"""A figure that a cell draws may weigh at most 100 KiB, SVG or PNG."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from checks.figure_size import MAX_FIGURE_BYTES
from sites import figure_site, sphinx


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


@pytest.mark.slow
def test_a_figure_over_100_kib_fails_the_build_naming_page_cell_and_size(tmp_path: Path) -> None:
    cells = (
        figure(SVG.format(8_000))  # line 13, about 117 KiB
        + figure(PNG.format(120_000))  # line 23: 120,008 bytes
        + figure(SVG.format(6_800))  # line 33: just under the limit
    )
    source = figure_site(tmp_path, ["checks.image_alt", "checks.figure_size"], cells)
    result = sphinx(source, "-q")
    assert result.returncode != 0
    page = source / "page.md"
    heavy = re.findall(
        rf"^{re.escape(str(page))}:(\d+): WARNING: the figure this cell draws weighs"
        r" ([\d.]+ KiB), over the 100.0 KiB a figure may weigh",
        result.stderr,
        re.MULTILINE,
    )
    assert [line for line, _ in heavy] == ["13", "23"], result.stderr
    assert heavy[1][1] == "117.2 KiB"
    assert "[autograd_guide.figure_size]" in result.stderr
    # Nothing changed, and the next build still fails: the page is read again.
    assert sphinx(source, "-q").returncode != 0
